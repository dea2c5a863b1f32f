// The error of an environment's model pointer that cannot be read (hand
// edited, truncated, written by something else): the same code, exit code
// and way out on every provider (issue 13). `mod model rollback --to
// bundled` replaces the pointer without reading it.
import { ModError } from '../../errors.js';
import type { Environment } from '../config.js';

/** Thrown by ModelStore.readPointer when the pointer is there but is not one. */
export class ModelPointerInvalidError extends ModError {
  constructor(env: Pick<Environment, 'name'>, where: string, problem: string, cause?: unknown) {
    super('MODEL_POINTER_INVALID', `the model pointer of ${env.name} (${where}) cannot be read: ${problem}`, {
      hint: `mod model rollback --env ${env.name} --to bundled replaces it without reading it (the instances go back to their bundled model), then release again; mod status shows what each instance holds`,
      cause,
    });
  }
}
