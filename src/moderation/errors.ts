// Typed errors of the moderation library. Bad labelled data, a corrupt or
// mismatched model artifact and text too long to score are all the caller's
// input, so the CLI maps them to exit 2 (usage).
import { ExitCode, ModError } from '../errors.js';

/** A labelled data file that is empty, malformed or has only one class. */
export class DataError extends ModError {
  readonly file: string | undefined;

  constructor(message: string, options: { file?: string; hint?: string; cause?: unknown } = {}) {
    super('DATA_INVALID', options.file ? `${options.file}: ${message}` : message, { hint: options.hint, exitCode: ExitCode.Usage, cause: options.cause });
    this.file = options.file;
  }
}

/** A model artifact that is missing, corrupt, or written by another format version. */
export class ModelArtifactError extends ModError {
  readonly artifact: string;

  constructor(artifact: string, message: string, hint?: string, cause?: unknown) {
    super('MODEL_ARTIFACT_INVALID', `${artifact}: ${message}`, { hint, exitCode: ExitCode.Usage, cause });
    this.artifact = artifact;
  }
}

/** Text beyond the length the moderator accepts: scoring cost stays bounded. */
export class TextTooLongError extends ModError {
  readonly length: number;
  readonly limit: number;

  constructor(length: number, limit: number, where?: string) {
    super('TEXT_TOO_LONG', `${where ? `${where}: ` : ''}text is ${length} characters; the limit is ${limit}`, {
      hint: 'split the text, or raise the limit: mod moderate --max-length, MAX_TEXT_LENGTH for the service',
      exitCode: ExitCode.Usage,
    });
    this.length = length;
    this.limit = limit;
  }
}

/** A decision-policy file that cannot be read or does not validate. */
export class PolicyError extends ModError {
  constructor(message: string, options: { file?: string; hint?: string; cause?: unknown } = {}) {
    super('POLICY_INVALID', options.file ? `${options.file}: ${message}` : message, { hint: options.hint, exitCode: ExitCode.Usage, cause: options.cause });
  }
}
