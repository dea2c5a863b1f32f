// Store errors: the database cannot be reached (callers answer 503 and retry)
// and migrations that cannot be applied safely.
import { ExitCode, ModError } from '../errors.js';

export class DatabaseUnavailableError extends ModError {
  constructor(message: string, cause?: unknown) {
    super('DATABASE_UNAVAILABLE', message, { hint: 'check that the database is running and DATABASE_URL points at it', exitCode: ExitCode.Failed, cause });
  }
}

export class MigrationError extends ModError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super('MIGRATION', message, { hint, exitCode: ExitCode.Failed, cause });
  }
}

// SQLSTATE classes that mean "the database or the connection is gone or not
// accepting work right now", as opposed to a bug in a statement:
// 08 connection exception, 53 insufficient resources, 57 operator
// intervention (admin shutdown, pg_terminate_backend, starting up), 40001/
// 40P01 serialisation failure and deadlock (retryable).
const UNAVAILABLE_SQLSTATE = /^(08|53|57)/;
const NODE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/** Whether an error from `pg` means "try again later" rather than "this statement is wrong". */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NODE_NETWORK_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && (UNAVAILABLE_SQLSTATE.test(code) || code === '40001' || code === '40P01')) return true;
  }
  // pg's own messages for a dropped or unobtainable connection carry no code.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|Query read timeout|not queryable/i.test(error.message);
}
