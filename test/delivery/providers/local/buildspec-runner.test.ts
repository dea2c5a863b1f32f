// The buildspec runner against real shells in temp dirs.
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeliveryEvent } from '../../../../src/delivery/events.js';
import { parseYamlSpec } from '../../../../src/delivery/yaml-spec.js';
import { BuildspecSchema } from '../../../../src/delivery/providers/local/buildspec.js';
import { BuildFailedError, runBuildspec } from '../../../../src/delivery/providers/local/buildspec-runner.js';

async function build(yaml: string, files: Record<string, string> = {}, timeoutMs = 30_000) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mod-build-'));
  const srcDir = path.join(root, 'src');
  await mkdir(srcDir);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(srcDir, file)), { recursive: true });
    await writeFile(path.join(srcDir, file), content);
  }
  const events: DeliveryEvent[] = [];
  const spec = parseYamlSpec(yaml, BuildspecSchema, 'buildspec.yml');
  const run = runBuildspec(spec, {
    srcDir,
    outDir: path.join(root, 'out'),
    workDir: path.join(root, 'work'),
    buildId: 'b-test',
    commit: 'c0ffee',
    timeoutMs,
    env: { PATH: process.env.PATH },
    events: (e) => events.push(e),
  });
  return { run, root, srcDir, events, log: () => readFile(path.join(root, 'work', 'build.log'), 'utf8') };
}

const phases = (events: DeliveryEvent[]) => events.flatMap((e) => (e.type === 'build.phase' && e.status !== 'start' ? [`${e.phase}:${e.status}`] : []));

describe('runBuildspec', () => {
  it('keeps exports and the working directory across commands and phases, with CodeBuild variables', async () => {
    const b = await build(`version: 0.2
env:
  variables:
    GREETING: hello
phases:
  install:
    commands:
      - export TOOL=lint
      - mkdir -p sub && cd sub
  build:
    commands:
      - echo "$GREETING $TOOL $(basename "$PWD") $CODEBUILD_RESOLVED_SOURCE_VERSION" > ../out.txt
artifacts:
  files: [out.txt]
`);
    await b.run;
    expect(await readFile(path.join(b.root, 'out', 'out.txt'), 'utf8')).toBe('hello lint sub c0ffee\n');
  });

  it('runs post_build after a failed build (CODEBUILD_BUILD_SUCCEEDING=0) and finally blocks, then fails naming the command', async () => {
    const b = await build(`version: 0.2
phases:
  build:
    commands:
      - echo before
      - "false"
      - echo never
    finally:
      - echo cleanup-ran
  post_build:
    commands:
      - echo "succeeding=$CODEBUILD_BUILD_SUCCEEDING"
`);
    const error = await b.run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildFailedError);
    expect(error).toMatchObject({ phase: 'build', commandText: 'false', commandExitCode: 1 });
    const log = await b.log();
    expect(log).toContain('cleanup-ran');
    expect(log).toContain('succeeding=0');
    expect(log).not.toContain('\nnever');
    expect(phases(b.events)).toEqual(['build:failed', 'post_build:succeeded']);
  });

  it('skips the remaining phases after a failed install unless on-failure is CONTINUE', async () => {
    const aborted = await build('version: 0.2\nphases:\n  install:\n    commands: ["exit 3"]\n  build:\n    commands: ["echo built"]\n  post_build:\n    commands: ["echo post"]\n');
    await expect(aborted.run).rejects.toMatchObject({ phase: 'install', commandExitCode: 3 });
    expect(phases(aborted.events)).toEqual(['install:failed', 'build:skipped', 'post_build:skipped']);

    const continued = await build('version: 0.2\nphases:\n  install:\n    on-failure: CONTINUE\n    commands: ["exit 3"]\n  build:\n    commands: ["echo built"]\n');
    await expect(continued.run).rejects.toMatchObject({ phase: 'install' });
    expect(phases(continued.events)).toEqual(['install:failed', 'build:succeeded']);
  });

  it('collects artifacts from base-directory, optionally discarding paths', async () => {
    const files = { 'web/a/x.txt': 'x', 'web/b/y.txt': 'y', 'web/skip.log': 'no' };
    const kept = await build('version: 0.2\nartifacts:\n  base-directory: web\n  files: ["**/*.txt"]\n', files);
    await kept.run;
    expect((await readdir(path.join(kept.root, 'out'), { recursive: true })).sort()).toEqual(['a', 'a/x.txt', 'b', 'b/y.txt']);
    const flat = await build('version: 0.2\nartifacts:\n  base-directory: web\n  discard-paths: yes\n  files: ["**/*.txt"]\n', files);
    await flat.run;
    expect((await readdir(path.join(flat.root, 'out'))).sort()).toEqual(['x.txt', 'y.txt']);
    const none = await build('version: 0.2\nartifacts:\n  files: ["dist/**/*"]\n', files);
    await expect(none.run).rejects.toThrow(/no artifact files matched/);
  });

  it('stops a build that passes its timeout', async () => {
    const b = await build('version: 0.2\nphases:\n  build:\n    commands: ["sleep 30"]\n', {}, 500);
    await expect(b.run).rejects.toThrow(/timed out/);
  });
});
