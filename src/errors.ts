// Typed errors shared by every layer. Each carries a stable code, a message a
// user can act on, an optional hint, and the exit code the CLI maps it to.

export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  GateRefused: 3,
  Timeout: 4,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class ModError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.Failed;
  }
}

/** Wrong flags, arguments or environment names: exit 2. */
export class UsageError extends ModError {
  constructor(message: string, hint?: string) {
    super('USAGE', message, { hint, exitCode: ExitCode.Usage });
  }
}

/** A config or spec file that does not validate: exit 2, naming file and key. */
export class ConfigError extends ModError {
  readonly file: string;
  readonly keyPath: string | undefined;

  constructor(file: string, keyPath: string | undefined, message: string, hint?: string) {
    super('CONFIG_INVALID', `${file}${keyPath ? `: ${keyPath}` : ''}: ${message}`, { hint, exitCode: ExitCode.Usage });
    this.file = file;
    this.keyPath = keyPath;
  }
}

/** Another process holds the environment's deployment lock. */
export class LockHeldError extends ModError {
  constructor(message: string, hint: string) {
    super('LOCK_HELD', message, { hint, exitCode: ExitCode.Failed });
  }
}

/** The user pressed Ctrl-C (or the process got SIGINT/SIGTERM). */
export class InterruptedError extends ModError {
  constructor(message = 'interrupted') {
    super('INTERRUPTED', message, { exitCode: ExitCode.Interrupted });
  }
}

export class TimeoutError extends ModError {
  constructor(message: string, hint?: string) {
    super('TIMEOUT', message, { hint, exitCode: ExitCode.Timeout });
  }
}

export class GitError extends ModError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super('GIT', message, { hint, exitCode: ExitCode.Failed, cause });
  }
}

export function isModError(error: unknown): error is ModError {
  return error instanceof ModError;
}
