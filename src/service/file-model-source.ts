// The local provider's model source (MODEL_SOURCE=file:<path>): the pointer
// is a JSON file mod writes atomically in the env's state; the artifacts it
// names are directories on this machine, so materialising is the location.
import { readFile } from 'node:fs/promises';
import { parseModelPointer, type ModelPointer, type ModelRef } from '../moderation/model-pointer.js';
import type { ModelSource } from './model-source.js';

export function createFileModelSource(pointerPath: string): ModelSource {
  return {
    description: `file:${pointerPath}`,
    async read(): Promise<ModelPointer | null> {
      let text: string;
      try {
        text = await readFile(pointerPath, 'utf8');
      } catch (error) {
        // No file: nothing is released to the env (or the release was cleared).
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new Error(`cannot read the model pointer ${pointerPath}: ${(error as Error).message}`);
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new Error(`the model pointer ${pointerPath} is not JSON: ${(error as Error).message}`);
      }
      return parseModelPointer(value);
    },
    async materialise(ref: ModelRef): Promise<string> {
      return ref.location;
    },
  };
}
