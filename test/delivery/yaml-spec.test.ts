// YAML specs (mod.config.yml, appspec.yml, buildspec.yml) through the one
// reader: aliases stay bounded, so a tiny file cannot expand to gigabytes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readAppspec } from '../../src/delivery/providers/local/appspec.js';
import { readBuildspec } from '../../src/delivery/providers/local/buildspec.js';
import { ConfigError } from '../../src/errors.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function file(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-yaml-spec-'));
  dirs.push(dir);
  const target = path.join(dir, name);
  await writeFile(target, content);
  return target;
}

/** Nine levels of nine aliases under `key`: 9^9 copies once expanded. */
function aliasBomb(key: string): string {
  const levels = 'abcdefghi'.split('');
  const lines = ['x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < levels.length; i++)
    lines.push(
      `x-${levels[i]}: &${levels[i]} [${Array(9)
        .fill(`*${levels[i - 1]}`)
        .join(',')}]`,
    );
  lines.push(`${key}: *i`);
  return `${lines.join('\n')}\n`;
}

describe('issue 17.12: YAML alias bombs in specs', () => {
  it('appspec.yml: a ConfigError (exit 2) naming the file, not an unexpected error', async () => {
    const spec = await file('appspec.yml', `version: 0.0\nos: linux\n${aliasBomb('files')}`);
    const error = await readAppspec(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2, file: expect.stringMatching(/^appspec\.yml:\d+$/) });
    // The agent's YAML.load (Psych 4+, Ruby 3.1+) refuses any alias before it could expand (issue 11).
    expect((error as Error).message).toMatch(/^appspec\.yml:\d+: .*alias \*\w+ is refused/);
  });

  it('buildspec.yml: the same', async () => {
    const spec = await file('buildspec.yml', `version: 0.2\n${aliasBomb('phases')}`);
    await expect(readBuildspec(spec)).rejects.toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2, file: 'buildspec.yml', message: expect.stringMatching(/alias bomb/) });
  });

  it('an alias to an anchor defined later is a config error too', async () => {
    const spec = await file('buildspec.yml', 'version: 0.2\nphases:\n  build:\n    commands: *later\nx: &later [echo]\n');
    await expect(readBuildspec(spec)).rejects.toMatchObject({ code: 'CONFIG_INVALID', file: expect.stringMatching(/^buildspec\.yml/) });
  });

  it('issue 11: an ordinary alias in appspec.yml is refused, as the agent (Ruby 3.1+ YAML.load, aliases: false) refuses it', async () => {
    const spec = await file('appspec.yml', 'version: 0.0\nos: linux\nhooks:\n  ApplicationStart: &check\n    - location: scripts/check.sh\n      timeout: 30\n  ValidateService: *check\n');
    await expect(readAppspec(spec)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^appspec\.yml:7: hooks\.ValidateService: the alias \*check is refused/) });
  });
});
