// Rollback = revert & deploy, with a merged pull request and an upstream:
// the merge is reverted against its first parent, the revert is pushed
// (never forced), and the pushed commit is what runs.
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureApp, postModerate } from '../support/fixture-app.js';

describe('rollback of a merged change with an upstream', () => {
  let app: FixtureApp;
  let remote: string;
  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 1 });
    remote = await mkdtemp(path.join(os.tmpdir(), 'mod-origin-'));
    await execa('git', ['init', '-q', '--bare', remote]);
    await app.git('remote', 'add', 'origin', remote);
    await app.git('push', '-q', '-u', 'origin', 'stage');
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('reverts the merge commit with -m 1, pushes the revert and deploys it', async () => {
    const first = await app.json<{ status: string; endpoint: string }>(['deploy', '--env', 'stage']);
    expect(first.body.status).toBe('Succeeded');

    await app.git('checkout', '-q', '-b', 'feature/v2');
    await app.write('VERSION', 'v2\n');
    await app.commit('Bump to v2');
    await app.write('CHANGELOG', 'v2\n');
    await app.commit('Changelog');
    await app.git('checkout', '-q', 'stage');
    await app.git('merge', '-q', '--no-ff', 'feature/v2', '-m', 'Merge pull request #7 from feature/v2');
    await app.git('push', '-q', 'origin', 'stage');
    expect((await app.json<{ status: string }>(['deploy', '--env', 'stage'])).body.status).toBe('Succeeded');
    expect((await postModerate(first.body.endpoint)).body.modelVersion).toBe('v2');

    const rollback = await app.json<{ status: string; revertCommit: string; pushed: boolean; revision: { commit: string } }>(['rollback', '--env', 'stage']);
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    expect(rollback.body).toMatchObject({ status: 'Succeeded', pushed: true });
    expect(rollback.body.revision.commit).toBe(rollback.body.revertCommit);
    expect((await execa('git', ['rev-parse', 'stage'], { cwd: remote })).stdout.trim()).toBe(rollback.body.revertCommit);
    expect(await app.read('VERSION')).toBe('v1\n');
    await expect(app.read('CHANGELOG')).rejects.toThrow();
    expect((await postModerate(first.body.endpoint)).body.modelVersion).toBe('v1');
  });
});
