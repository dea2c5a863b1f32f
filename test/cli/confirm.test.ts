// Confirmation goes through the output port: --yes skips it, a run nobody can
// answer refuses (exit 2), an interactive run asks `question [y/N]` on stderr.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { captureStreams } from '../support/captured-streams.js';
import { confirmOrRefuse } from '../../src/cli/confirm.js';
import { createOutput } from '../../src/cli/context.js';
import { JsonOutput } from '../../src/cli/output/json-output.js';
import type { AskUser } from '../../src/cli/output/output.js';
import { PlainOutput } from '../../src/cli/output/plain-output.js';
import { TtyOutput } from '../../src/cli/output/tty-output.js';
import { ExitCode, UsageError } from '../../src/errors.js';

const capture = captureStreams;

/** Answers every prompt with `answer` and records the prompts. */
function answering(answer: string): { ask: AskUser; prompts: string[] } {
  const prompts: string[] = [];
  return { prompts, ask: async (prompt) => (prompts.push(prompt), answer) };
}

async function refusal(promise: Promise<unknown>): Promise<UsageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  return error as UsageError;
}

describe('confirmOrRefuse', () => {
  it('asks nothing with --yes', async () => {
    const { ask, prompts } = answering('n');
    await confirmOrRefuse(new PlainOutput(capture().streams, { ask }), 'Deploy to production?', true, 'mod deploy --env production');
    expect(prompts).toEqual([]);
  });

  it('refuses when nobody can answer, in every mode', async () => {
    for (const output of [new PlainOutput(capture().streams), new JsonOutput(capture().streams), new TtyOutput(capture().streams)]) {
      const error = await refusal(confirmOrRefuse(output, 'Deploy to production?', undefined, 'mod deploy --env production'));
      expect(error.message).toBe('Deploy to production: refused without confirmation (not interactive)');
      expect(error.hint).toBe('pass --yes to confirm: mod deploy --env production --yes');
      expect(error.exitCode).toBe(ExitCode.Usage);
    }
  });

  it('goes on when the user answers y or yes', async () => {
    for (const answer of ['y', ' YES \n']) {
      const { ask, prompts } = answering(answer);
      await confirmOrRefuse(new PlainOutput(capture().streams, { ask }), 'Stop production?', undefined, 'mod stop --env production');
      expect(prompts).toEqual(['Stop production? [y/N] ']);
    }
  });

  it('cancels on any other answer', async () => {
    for (const answer of ['', 'n', 'maybe']) {
      const { ask } = answering(answer);
      const error = await refusal(confirmOrRefuse(new JsonOutput(capture().streams, { ask }), 'Roll back production?', undefined, 'mod rollback --env production'));
      expect(error.message).toBe('cancelled');
      expect(error.hint).toBe('mod rollback --env production --yes skips this question');
    }
  });

  it('an interactive run asks on stderr and reads the answer from stdin, keeping stdout for data', async () => {
    const c = capture();
    const stdin = new PassThrough();
    const output = await createOutput({ json: true }, { streams: c.streams, env: {}, interactive: true, stdin });
    const answer = output.confirm('Approve production?');
    stdin.write('yes\n');
    expect(await answer).toBe('yes');
    expect(c.text().stderr).toContain('Approve production? [y/N] ');
    expect(c.text().stdout).toBe('');
  });

  it('a non-interactive run never reads stdin', async () => {
    const output = await createOutput({ plain: true }, { streams: capture().streams, env: {}, interactive: false, stdin: new PassThrough() });
    expect(await output.confirm('Deploy to production?')).toBe('unattended');
  });
});
