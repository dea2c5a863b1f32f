// Production deploys (and stops, rollbacks, approvals) ask first, through the
// output port. Non-interactive runs (CI, pipes) must say --yes: a question
// nobody can answer would hang a pipeline.
import { UsageError } from '../errors.js';
import type { Output } from './output/output.js';

export async function confirmOrRefuse(output: Output, question: string, yes: boolean | undefined, flagHint: string): Promise<void> {
  if (yes) return;
  const answer = await output.confirm(question);
  if (answer === 'unattended') {
    throw new UsageError(`${question.replace(/\?$/, '')}: refused without confirmation (not interactive)`, `pass --yes to confirm: ${flagHint} --yes`);
  }
  if (answer === 'no') throw new UsageError('cancelled', `${flagHint} --yes skips this question`);
}
