// Shell completion (issue 17.17): the scripts come from the commander program,
// so every registered command, subcommand and option is in them, and a new one
// appears without editing a list.
import { describe, expect, it } from 'vitest';
import { captureStreams } from '../support/captured-streams.js';
import { completionScript, completionTree } from '../../src/cli/commands/completion.js';
import { buildProgram, main } from '../../src/cli/main.js';

function program() {
  const { streams } = captureStreams();
  return buildProgram({ streams, env: { CI: 'true' }, interactive: false }, () => {});
}

describe('issue 17.17: mod completion', () => {
  it('the tree holds every command of the program with its options, and the global flags at every level', () => {
    const tree = completionTree(program());
    const paths = tree.map((n) => n.path);
    expect(paths).toEqual(expect.arrayContaining(['', 'deploy', 'rollback', 'status', 'history', 'model', 'model train', 'service token create', 'completion']));
    const deploy = tree.find((n) => n.path === 'deploy')!;
    expect(deploy.options.flatMap((o) => o.flags)).toEqual(expect.arrayContaining(['-e', '--env', '--ref', '--yes', '--json', '-C', '--cwd', '--help']));
    expect(tree.find((n) => n.path === '')!.options.find((o) => o.flags.includes('--cwd'))!.value).toBe('dir');
    expect(tree.find((n) => n.path === 'moderate')!.options.find((o) => o.flags.includes('--file'))!.value).toBe('file');
  });

  it('a command registered later is completed too: nothing is hand-listed', () => {
    const p = program();
    p.command('brand-new').description('added by a test').option('--shiny <file>', 'a flag');
    for (const shell of ['bash', 'zsh'] as const) {
      const script = completionScript(p, shell);
      expect(script).toContain('brand-new');
      expect(script).toContain('--shiny');
    }
    expect(completionScript(p, 'zsh')).toContain("'brand-new:added by a test'");
  });

  it('bash: a complete function; zsh: a #compdef function with descriptions', () => {
    const bash = completionScript(program(), 'bash');
    expect(bash).toMatch(/complete -o default -F _mod_completion mod\n$/);
    // Issue 13 adds subcommands after these (shadow-report, release, ...): the first three stay in order.
    expect(bash).toMatch(/'model'\) echo 'train eval check( [a-z-]+)*' ;;/);
    const zsh = completionScript(program(), 'zsh');
    expect(zsh.startsWith('#compdef mod\n')).toBe(true);
    expect(zsh).toMatch(/\n      'deploy:\S/);
    expect(zsh).toContain('compdef _mod mod');
  });

  it('an unknown shell is a usage error (exit 2)', async () => {
    const { streams, text } = captureStreams();
    const code = await main(['node', 'mod', 'completion', 'fish'], { streams, env: { CI: 'true' }, interactive: false });
    expect(code).toBe(2);
    expect(text().stderr).toMatch(/no completion for shell "fish"/);
  });
});
