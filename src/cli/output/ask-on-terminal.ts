// The AskUser of an interactive run: one readline question on the terminal,
// the prompt on stderr so stdout stays data only.
import type { AskUser } from './output.js';

export function askOnTerminal(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): AskUser {
  return async (prompt) => {
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input, output });
    try {
      return await rl.question(prompt);
    } finally {
      rl.close();
    }
  };
}
