// Plain output for CI and pipes: one line per event on stderr, no colour, no
// spinner, failures as `error:` lines; the result as text on stdout.
import type { DeliveryEvent } from '../../delivery/events.js';
import { describeEvent } from './describe-event.js';
import { type ConfirmAnswer, confirmWith, type Output, type OutputOptions, type OutputStreams } from './output.js';

export class PlainOutput implements Output {
  readonly mode = 'plain' as const;
  constructor(
    private readonly streams: OutputStreams,
    private readonly options: OutputOptions = {},
  ) {}

  result(_json: unknown, human: () => string): void {
    const text = human();
    if (text) this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  info(message: string): void {
    this.streams.stderr.write(`${message}\n`);
  }
  warn(message: string): void {
    this.streams.stderr.write(`warning: ${message}\n`);
  }
  error(message: string, hint?: string): void {
    this.streams.stderr.write(`error: ${message}\n${hint ? `hint: ${hint}\n` : ''}`);
  }
  debug(message: string): void {
    if (this.options.verbose) this.streams.stderr.write(`${message}\n`);
  }
  event(event: DeliveryEvent): void {
    const line = describeEvent(event);
    if (!line) return;
    if (line.level === 'debug') this.debug(line.text);
    else if (line.level === 'warn') this.warn(line.text);
    else if (line.level === 'error') this.error(line.text);
    else this.info(line.text);
  }
  confirm(question: string): Promise<ConfirmAnswer> {
    return confirmWith(this.options.ask, question);
  }
  close(): void {}
}
