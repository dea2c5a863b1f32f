// The `/mod` command text: verbs, the environment, each verb's own flags,
// and errors that give the usage.
import { describe, expect, it } from 'vitest';
import { CommandSyntaxError, parseModCommand } from '../../../src/bot/mod-command.js';

describe('parseModCommand', () => {
  it('parses each verb with its flags', () => {
    expect(parseModCommand('')).toEqual({ verb: 'help' });
    expect(parseModCommand('status')).toEqual({ verb: 'status', env: undefined });
    expect(parseModCommand(' status  prod ')).toEqual({ verb: 'status', env: 'prod' });
    expect(parseModCommand('deploy stage --ref v1.2')).toEqual({ verb: 'deploy', env: 'stage', ref: 'v1.2' });
    expect(parseModCommand('gates production')).toEqual({ verb: 'gates', env: 'production', ref: undefined });
    expect(parseModCommand('rollback production --fast')).toEqual({ verb: 'rollback', env: 'production', fast: true });
    expect(parseModCommand('rollback stage --to d-20261202T100000-ab12cd')).toEqual({ verb: 'rollback', env: 'stage', fast: false, to: 'd-20261202T100000-ab12cd' });
    expect(parseModCommand('history')).toEqual({ verb: 'history', env: undefined, limit: 10 });
    expect(parseModCommand('history stage --limit 3')).toEqual({ verb: 'history', env: 'stage', limit: 3 });
    expect(parseModCommand('launch')).toBeUndefined();
  });

  it('refuses what a verb does not take, with its usage', () => {
    expect(() => parseModCommand('deploy')).toThrow(new CommandSyntaxError('deploy needs an environment. Usage: `/mod deploy <env> [--ref R]`'));
    expect(() => parseModCommand('deploy stage --fast')).toThrow('deploy takes no --fast');
    expect(() => parseModCommand('rollback stage --ref x')).toThrow('rollback takes no --ref');
    expect(() => parseModCommand('deploy stage --to x')).toThrow('deploy takes no --to');
    expect(() => parseModCommand('status stage production')).toThrow('one environment at most');
    expect(() => parseModCommand('history --limit 0')).toThrow('--limit 0: give a whole number from 1 to 50');
    expect(() => parseModCommand('deploy stage --yes')).toThrow('unknown flag --yes');
  });
});
