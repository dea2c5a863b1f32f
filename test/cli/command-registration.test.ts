// commandAction: what a command body receives from commander, and how its
// result or error becomes the exit code; and the flag refusals as users see
// them through `mod` (before any repository, model or data is opened).
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { captureStreams } from '../support/captured-streams.js';
import { commandAction, type CommandRegistration } from '../../src/cli/command-registration.js';
import type { CliContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { UsageError } from '../../src/errors.js';

function capture(): { context: CliContext; text: () => { stdout: string; stderr: string } } {
  const { streams, text } = captureStreams();
  return { context: { streams, env: { CI: 'true' }, interactive: false }, text };
}

describe('commandAction', () => {
  it('passes positional arguments, the command options and the global flags; the body result is the exit code', async () => {
    const { context } = capture();
    const seen: unknown[] = [];
    const register: CommandRegistration = (program, ctx, setExit) => {
      program
        .command('greet')
        .argument('<name>')
        .argument('[greeting]')
        .option('--loud')
        .action(
          commandAction<{ loud?: boolean }, [string, string | undefined]>(ctx, setExit, async ({ args, options, globals }, output) => {
            seen.push(args, options, globals.json, output.mode);
            return 3;
          }),
        );
    };
    let exit = -1;
    const program = new Command('mod').option('--json').exitOverride();
    register(program, context, (code) => (exit = code));
    await program.parseAsync(['node', 'mod', '--json', 'greet', 'ann', '--loud']);
    expect(seen).toEqual([['ann', undefined], { loud: true }, true, 'json']);
    expect(exit).toBe(3);
  });

  it('maps a body that returns nothing to 0 and a thrown ModError to its exit code and message', async () => {
    const c = capture();
    const exits: number[] = [];
    const program = new Command('mod').exitOverride();
    program.command('ok').action(
      commandAction(
        c.context,
        (code) => exits.push(code),
        async () => {},
      ),
    );
    program.command('bad').action(
      commandAction(
        c.context,
        (code) => exits.push(code),
        async () => {
          throw new UsageError('no such thing', 'try another');
        },
      ),
    );
    await program.parseAsync(['node', 'mod', 'ok']);
    await program.parseAsync(['node', 'mod', 'bad']);
    expect(exits).toEqual([0, 2]);
    expect(c.text().stderr).toContain('no such thing');
  });
});

describe('numeric flags through mod', () => {
  async function run(args: string[]) {
    const c = capture();
    const code = await main(['node', 'mod', '--json', ...args], c.context);
    return { code, error: (JSON.parse(c.text().stdout) as { error: { code: string; message: string } }).error };
  }

  it('refuse bad values with exit 2 and the flag named', async () => {
    expect(await run(['history', '--limit', '0'])).toEqual({ code: 2, error: expect.objectContaining({ code: 'USAGE', message: '--limit must be a positive whole number, got 0' }) });
    expect(await run(['moderate', '--max-length', '1.5', 'hello'])).toEqual({ code: 2, error: expect.objectContaining({ message: '--max-length must be a positive whole number, got 1.5' }) });
    expect(await run(['model', 'train', '--data', 'none.csv', '--out', 'models', '--bits', '99'])).toEqual({ code: 2, error: expect.objectContaining({ message: '--bits must be a whole number from 10 to 24, got 99' }) });
    expect(await run(['model', 'check', '--candidate', 'a', '--baseline', 'b', '--tolerance', '1'])).toEqual({ code: 2, error: expect.objectContaining({ message: '--tolerance must be between 0 and 1, got 1' }) });
  });
});
