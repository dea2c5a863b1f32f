// Terminal output: an ora spinner for the step in progress, chalk colours,
// results on stdout. Only used when stderr is a TTY and not in CI.
import chalk from 'chalk';
import ora, { type Ora } from 'ora';
import type { DeliveryEvent } from '../../delivery/events.js';
import { describeEvent } from './describe-event.js';
import { type ConfirmAnswer, confirmWith, type Output, type OutputOptions, type OutputStreams } from './output.js';

export class TtyOutput implements Output {
  readonly mode = 'tty' as const;
  private spinner: Ora | undefined;

  constructor(
    private readonly streams: OutputStreams,
    private readonly options: OutputOptions = {},
  ) {}

  private line(text: string): void {
    const spinning = this.spinner?.isSpinning;
    if (spinning) this.spinner!.clear();
    this.streams.stderr.write(`${text}\n`);
    if (spinning) this.spinner!.render();
  }

  /** The step the spinner shows and when it began: the spinner counts its elapsed time. */
  private step: { text: string; since: number } | undefined;
  private ticker: NodeJS.Timeout | undefined;

  private spin(text: string): void {
    this.step = { text, since: Date.now() };
    if (!this.spinner) this.spinner = ora({ text: this.stepText(), stream: this.streams.stderr as NodeJS.WriteStream, discardStdin: false }).start();
    else {
      this.spinner.text = this.stepText();
      if (!this.spinner.isSpinning) this.spinner.start();
    }
    // A long build command (npm ci) would otherwise show the same line for minutes.
    this.ticker ??= setInterval(() => {
      if (this.spinner?.isSpinning) this.spinner.text = this.stepText();
    }, 1000).unref();
  }

  private stepText(): string {
    if (!this.step) return '';
    const seconds = Math.floor((Date.now() - this.step.since) / 1000);
    return seconds < 1 ? this.step.text : `${this.step.text} ${chalk.dim(elapsed(seconds))}`;
  }

  result(_json: unknown, human: () => string): void {
    this.close();
    const text = human();
    if (text) this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  info(message: string): void {
    this.line(message);
  }
  warn(message: string): void {
    this.line(chalk.yellow(`warning: ${message}`));
  }
  error(message: string, hint?: string): void {
    this.close();
    this.streams.stderr.write(`${chalk.red(`error: ${message}`)}\n${hint ? chalk.dim(`hint: ${hint}\n`) : ''}`);
  }
  debug(message: string): void {
    if (this.options.verbose) this.line(chalk.dim(message));
  }
  event(event: DeliveryEvent): void {
    const line = describeEvent(event);
    if (!line) return;
    if (line.level === 'debug') {
      // In-progress steps drive the spinner; build and hook output only with --verbose.
      if (event.type === 'build.output' || event.type === 'hook.output') return this.debug(line.text);
      return this.spin(line.text);
    }
    const mark = line.level === 'error' ? chalk.red('✖') : line.level === 'warn' ? chalk.yellow('!') : chalk.green('✔');
    this.line(`${mark} ${line.level === 'error' ? chalk.red(line.text) : line.text}`);
  }
  confirm(question: string): Promise<ConfirmAnswer> {
    // A spinner redrawing over the prompt would hide what is being asked.
    this.close();
    return confirmWith(this.options.ask, question);
  }
  close(): void {
    this.spinner?.stop();
    this.spinner = undefined;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }
}

function elapsed(seconds: number): string {
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}
