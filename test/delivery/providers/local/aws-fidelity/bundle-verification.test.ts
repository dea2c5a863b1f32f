// Issue 17.6: a cached revision bundle is verified against the manifest of
// hashes written when it was built before it is reused; one that fails is
// rebuilt (with a notice), never deployed. Also the build's own events
// (issue 17.14: build.start carries the log file) and CODEBUILD_BUILD_NUMBER,
// CodeBuild's per-project counter ("Environment variables in build
// environments"). Real git repositories and real builds in temp dirs.
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema, resolveEnvironment } from '../../../../../src/delivery/config.js';
import type { DeliveryEvent } from '../../../../../src/delivery/events.js';
import { BUNDLE_MANIFEST } from '../../../../../src/delivery/providers/local/bundle-manifest.js';
import { bundleExists, bundleProblems, buildRevision } from '../../../../../src/delivery/providers/local/revision-builder.js';
import { StatePaths } from '../../../../../src/delivery/state-paths.js';
import { TempRepository } from '../../../../fakes/temp-repository.js';

const BUILDSPEC = `version: 0.2
phases:
  build:
    commands:
      - echo "build $CODEBUILD_BUILD_NUMBER" > number.txt
artifacts:
  files: [appspec.yml, app/**/*, number.txt]
`;

const environment = resolveEnvironment(ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage' } } }), 'stage');
const repos: TempRepository[] = [];
afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.dispose()));
});

async function setup() {
  const repo = await TempRepository.create();
  repos.push(repo);
  const commit = await repo.commit('app', { 'buildspec.yml': BUILDSPEC, 'appspec.yml': 'version: 0.0\nos: linux\n', 'app/main.js': 'console.log(1)\n', 'app/run.sh': '#!/bin/sh\n' });
  const paths = new StatePaths(await repo.scratchDir());
  const events: DeliveryEvent[] = [];
  const buildIt = () => buildRevision({ git: repo.git, paths, commit, environment, events: (e) => events.push(e) });
  return { repo, commit, paths, events, buildIt };
}

describe('cached bundles are verified before reuse (issue 17.6)', () => {
  it('a bundle is reused only while it is exactly what its build produced', async () => {
    const { paths, events, buildIt } = await setup();
    const first = await buildIt();
    expect(first.reused).toBe(false);
    const manifest = JSON.parse(await readFile(path.join(paths.revision(first.bundleKey), BUNDLE_MANIFEST), 'utf8'));
    expect(Object.keys(manifest.files).sort()).toEqual(['app/main.js', 'app/run.sh', 'appspec.yml', 'number.txt']);
    expect(manifest.files['app/main.js'].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await bundleExists(paths, first.bundleKey)).toBe(true);
    const second = await buildIt();
    expect(second.reused).toBe(true);
    expect(events.filter((e) => e.type === 'build.reused')).toHaveLength(1);
  });

  it('issue 17.6: a bundle missing a file is not reused: a notice says why and it is rebuilt', async () => {
    const { paths, events, buildIt } = await setup();
    const first = await buildIt();
    await rm(path.join(first.bundleDir, 'app', 'main.js'));
    expect(await bundleExists(paths, first.bundleKey)).toBe(false);
    expect(await bundleProblems(paths, first.bundleKey)).toEqual(['app/main.js is missing']);
    const again = await buildIt();
    expect(again.reused).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ type: 'notice', level: 'warn', message: expect.stringMatching(/failed verification \(app\/main\.js is missing\); rebuilding it/) }));
    expect(await readFile(path.join(again.bundleDir, 'app', 'main.js'), 'utf8')).toBe('console.log(1)\n');
    expect(await bundleExists(paths, again.bundleKey)).toBe(true);
  });

  it('issue 17.6: a changed file, a changed mode or an added file fails verification too', async () => {
    const { paths, buildIt } = await setup();
    const { bundleDir, bundleKey } = await buildIt();
    await writeFile(path.join(bundleDir, 'app', 'main.js'), 'tampered\n');
    await chmod(path.join(bundleDir, 'app', 'run.sh'), 0o600);
    await writeFile(path.join(bundleDir, 'stray.txt'), 'x');
    expect(await bundleProblems(paths, bundleKey)).toEqual(['app/main.js changed since the build', 'app/run.sh changed mode since the build', 'stray.txt was added after the build']);
  });

  it('issue 17.6: content changed in place at the same size is found by its hash', async () => {
    const { paths, buildIt } = await setup();
    const { bundleDir, bundleKey } = await buildIt();
    // Same length as 'console.log(1)\n'; the write gives the file a new modification time.
    await writeFile(path.join(bundleDir, 'app', 'main.js'), 'console.log(2)\n');
    expect(await bundleProblems(paths, bundleKey)).toEqual(['app/main.js changed since the build']);
  });

  it('issue 17.6: a bundle without a manifest (built before verification) is rebuilt, not trusted', async () => {
    const { paths, buildIt } = await setup();
    const first = await buildIt();
    await rm(path.join(paths.revision(first.bundleKey), BUNDLE_MANIFEST));
    expect(await bundleExists(paths, first.bundleKey)).toBe(false);
    expect((await buildIt()).reused).toBe(false);
  });

  it('issue 17.14: build.start names the build log; CODEBUILD_BUILD_NUMBER counts the builds of the project', async () => {
    const { paths, events, buildIt } = await setup();
    const first = await buildIt();
    const start = events.find((e) => e.type === 'build.start');
    expect(start).toMatchObject({ type: 'build.start', logFile: expect.stringMatching(/builds\/b-[^/]+\/build\.log$/) });
    expect(await readFile(path.join(first.bundleDir, 'number.txt'), 'utf8')).toBe('build 1\n');
    await rm(path.join(paths.revision(first.bundleKey)), { recursive: true });
    const second = await buildIt();
    expect(await readFile(path.join(second.bundleDir, 'number.txt'), 'utf8')).toBe('build 2\n');
  });

  it('a failed build leaves its log and its artifacts for inspection, and records no revision', async () => {
    const repo = await TempRepository.create();
    repos.push(repo);
    const commit = await repo.commit('broken', { 'buildspec.yml': 'version: 0.2\nphases:\n  build:\n    commands: [echo partial > out.txt, exit 9]\nartifacts:\n  files: [out.txt]\n' });
    const paths = new StatePaths(await repo.scratchDir());
    const events: DeliveryEvent[] = [];
    const error = await buildRevision({ git: repo.git, paths, commit, environment, events: (e) => events.push(e) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUILD_FAILED', commandExitCode: 9 });
    const artifactsDir = (error as { artifactsDir: string }).artifactsDir;
    expect(await readFile(path.join(artifactsDir, 'out.txt'), 'utf8')).toBe('partial\n');
    expect(events).toContainEqual(expect.objectContaining({ type: 'notice', message: expect.stringMatching(/artifacts of the failed build are in .*they are not deployed/) }));
    expect(await bundleExists(paths, await repo.git.tree(commit))).toBe(false);
  });
});
