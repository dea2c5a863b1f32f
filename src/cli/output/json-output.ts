// JSON output for scripts and bots: exactly one JSON document on stdout (the
// result, or an error object); progress, warnings and questions go to stderr
// as plain lines.
import type { DeliveryEvent } from '../../delivery/events.js';
import type { CliErrorCode } from '../../error-codes.js';
import type { ConfirmAnswer, Output, OutputOptions, OutputStreams } from './output.js';
import { PlainOutput } from './plain-output.js';

export class JsonOutput implements Output {
  readonly mode = 'json' as const;
  private readonly log: PlainOutput;
  private wrote = false;

  constructor(
    private readonly streams: OutputStreams,
    options: OutputOptions = {},
  ) {
    this.log = new PlainOutput({ stdout: streams.stderr, stderr: streams.stderr }, options);
  }

  result(json: unknown, _human?: () => string): void {
    if (this.wrote) return;
    this.wrote = true;
    this.streams.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  }
  info(message: string): void {
    this.log.info(message);
  }
  warn(message: string): void {
    this.log.warn(message);
  }
  error(message: string, hint?: string): void {
    this.log.error(message, hint);
  }
  debug(message: string): void {
    this.log.debug(message);
  }
  event(event: DeliveryEvent): void {
    this.log.event(event);
  }
  confirm(question: string): Promise<ConfirmAnswer> {
    return this.log.confirm(question);
  }
  /** Errors still produce one JSON document, so a parser never sees empty stdout. */
  errorResult(code: CliErrorCode, message: string, hint: string | undefined, exitCode: number): void {
    this.result({ schemaVersion: 1, error: { code, message, hint: hint ?? null, exitCode } });
  }
  get hasResult(): boolean {
    return this.wrote;
  }
  close(): void {}
}
