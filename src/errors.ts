// Typed errors shared by every layer. Each carries a stable code from the
// registry (error-codes.ts), a message a user can act on, an optional hint,
// and the exit code the CLI maps it to (the registry's, unless a site says).
import { type CliErrorCode, ExitCode, exitCodeOf } from './error-codes.js';

export { ExitCode } from './error-codes.js';
export type { CliErrorCode, ErrorCode, HttpErrorCode } from './error-codes.js';

export class ModError extends Error {
  readonly code: CliErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: CliErrorCode, message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? exitCodeOf(code);
  }
}

/** Wrong flags, arguments or environment names: exit 2. */
export class UsageError extends ModError {
  constructor(message: string, hint?: string) {
    super('USAGE', message, { hint });
  }
}

/** A config or spec file that does not validate: exit 2, naming file and key. */
export class ConfigError extends ModError {
  readonly file: string;
  readonly keyPath: string | undefined;

  constructor(file: string, keyPath: string | undefined, message: string, hint?: string) {
    super('CONFIG_INVALID', `${file}${keyPath ? `: ${keyPath}` : ''}: ${message}`, { hint });
    this.file = file;
    this.keyPath = keyPath;
  }
}

/** Another process holds the environment's deployment lock. */
export class LockHeldError extends ModError {
  constructor(message: string, hint: string) {
    super('LOCK_HELD', message, { hint });
  }
}

/** The user pressed Ctrl-C (or the process got SIGINT/SIGTERM). */
export class InterruptedError extends ModError {
  constructor(message = 'interrupted') {
    super('INTERRUPTED', message);
  }
}

export class TimeoutError extends ModError {
  constructor(message: string, hint?: string) {
    super('TIMEOUT', message, { hint });
  }
}

export class GitError extends ModError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super('GIT', message, { hint, cause });
  }
}

export function isModError(error: unknown): error is ModError {
  return error instanceof ModError;
}
