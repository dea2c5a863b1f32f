// Production deploys ask first. Non-interactive runs (CI, pipes) must say
// --yes: a question nobody can answer would hang a pipeline.
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';

export async function confirmOrRefuse(context: CliContext, question: string, yes: boolean | undefined, flagHint: string): Promise<void> {
  if (yes) return;
  if (!context.interactive) {
    throw new UsageError(`${question.replace(/\?$/, '')}: refused without confirmation (not interactive)`, `pass --yes to confirm: ${flagHint} --yes`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new UsageError('cancelled', `${flagHint} --yes skips this question`);
  } finally {
    rl.close();
  }
}
