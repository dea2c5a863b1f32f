// mod init's templates (issue 17.17): the app name it derives, and the files
// it writes parse with the same schemas a deploy uses.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appName } from '../../src/cli/commands/init.js';
import { nodeServiceFiles } from '../../src/cli/init-templates/node-service.js';
import { ConfigSchema } from '../../src/delivery/config.js';
import { readAppspec } from '../../src/delivery/providers/local/appspec.js';
import { readBuildspec } from '../../src/delivery/providers/local/buildspec.js';
import { parseYamlSpec } from '../../src/delivery/yaml-spec.js';

describe('issue 17.17: mod init templates', () => {
  it('names the app after the package (without its scope), else the directory, in the letters mod.config.yml allows', () => {
    expect(appName('@acme/hello-svc', 'repo')).toBe('hello-svc');
    expect(appName('shop', 'repo')).toBe('shop');
    expect(appName(undefined, 'My Service')).toBe('My-Service');
    expect(appName('', '.hidden dir')).toBe('hidden-dir');
    expect(appName(undefined, '???')).toBe('app');
  });

  it('every file parses with the schema mod deploys with; the build script runs only when package.json has one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-init-templates-'));
    try {
      for (const hasBuildScript of [true, false]) {
        const files = nodeServiceFiles({ app: 'hello-svc', entry: 'dist/main.js', hasBuildScript });
        const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
        const config = parseYamlSpec(byPath['mod.config.yml']!.content, ConfigSchema, 'mod.config.yml');
        expect(Object.keys(config.environments)).toEqual(['stage', 'production']);
        expect(config.environments.stage!.branch).toBe('stage');
        expect(config.environments.production!.branch).toBe('master');
        await writeFile(path.join(dir, 'appspec.yml'), byPath['appspec.yml']!.content);
        const appspec = await readAppspec(path.join(dir, 'appspec.yml'));
        const hookScripts = Object.values(appspec.hooks).flatMap((hooks) => (hooks ?? []).map((h) => h.location));
        for (const script of hookScripts) expect(byPath[script], script).toMatchObject({ executable: true });
        await writeFile(path.join(dir, 'buildspec.yml'), byPath['buildspec.yml']!.content);
        await readBuildspec(path.join(dir, 'buildspec.yml'));
        expect(byPath['buildspec.yml']!.content.includes('npm run build')).toBe(hasBuildScript);
        expect(byPath['scripts/lib.sh']!.content).toContain('ENTRY="$APP_DIR/dist/main.js"');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
