// Plain output for CI and pipes: one line per event on stderr, no colour, no
// spinner; the result as text on stdout.
import type { DeliveryEvent } from '../../delivery/events.js';
import { describeEvent } from './describe-event.js';
import type { Output, OutputStreams } from './output.js';

export class PlainOutput implements Output {
  readonly mode = 'plain' as const;
  constructor(
    private readonly streams: OutputStreams,
    private readonly verbose = false,
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
    if (this.verbose) this.streams.stderr.write(`${message}\n`);
  }
  event(event: DeliveryEvent): void {
    const line = describeEvent(event);
    if (!line) return;
    if (line.level === 'debug') this.debug(line.text);
    else if (line.level === 'warn') this.warn(line.text);
    else this.info(line.text);
  }
  close(): void {}
}
