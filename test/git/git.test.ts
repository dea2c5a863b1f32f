// Git operations against real repositories in temp dirs.
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Git, githubHostOf, githubRepositoryFromRemote } from '../../src/git/git.js';
import { repositoryFromRemote } from '../../src/github/octokit-pull-requests.js';
import { GitError } from '../../src/errors.js';

async function repo(): Promise<{ dir: string; git: Git; sh: (...args: string[]) => Promise<string>; commit: (file: string, content: string, message: string) => Promise<string> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-git-'));
  const sh = async (...args: string[]) => (await execa('git', args, { cwd: dir })).stdout.trim();
  await sh('init', '-q', '-b', 'master');
  await sh('config', 'user.name', 'T');
  await sh('config', 'user.email', 't@example.com');
  const commit = async (file: string, content: string, message: string) => {
    await writeFile(path.join(dir, file), content);
    await sh('add', '-A');
    await sh('commit', '-q', '-m', message);
    return sh('rev-parse', 'HEAD');
  };
  return { dir, git: await Git.open(dir), sh, commit };
}

describe('Git', () => {
  it('reverts a merge commit against its first parent (-m 1) as one commit', async () => {
    const r = await repo();
    const base = await r.commit('app.txt', 'v1\n', 'base');
    await r.sh('checkout', '-q', '-b', 'feature');
    await r.commit('app.txt', 'v2\n', 'feature change');
    await r.commit('extra.txt', 'x\n', 'feature extra');
    await r.sh('checkout', '-q', 'master');
    await r.sh('merge', '-q', '--no-ff', 'feature', '-m', 'Merge feature');
    const merge = await r.sh('rev-parse', 'HEAD');
    expect(await r.git.firstParentCommits(base, merge)).toEqual([merge]);
    const revert = await r.git.revertAsOneCommit([merge], 'Rollback');
    expect(await readFile(path.join(r.dir, 'app.txt'), 'utf8')).toBe('v1\n');
    expect(await r.git.tree(revert)).toBe(await r.git.tree(base));
    expect((await r.git.commitInfo(revert)).parents).toEqual([merge]);
  });

  it('aborts a conflicting revert and leaves the branch untouched', async () => {
    const r = await repo();
    await r.commit('app.txt', 'v1\n', 'one');
    const two = await r.commit('app.txt', 'v2\n', 'two');
    const three = await r.commit('app.txt', 'v3\n', 'three');
    await expect(r.git.revertAsOneCommit([two], 'Rollback')).rejects.toBeInstanceOf(GitError);
    expect(await r.sh('rev-parse', 'HEAD')).toBe(three);
    expect(await r.sh('status', '--porcelain')).toBe('');
  });

  it('works on a branch that is not checked out through a temporary worktree, and pushes without force', async () => {
    const r = await repo();
    await r.commit('app.txt', 'v1\n', 'one');
    await r.sh('branch', 'stage');
    const remote = await mkdtemp(path.join(os.tmpdir(), 'mod-remote-'));
    await execa('git', ['init', '-q', '--bare', remote]);
    await r.sh('remote', 'add', 'origin', remote);
    await r.sh('push', '-q', '-u', 'origin', 'stage');
    await r.sh('checkout', '-q', 'stage');
    const two = await r.commit('app.txt', 'v2\n', 'two');
    await r.sh('checkout', '-q', 'master');

    const revert = await r.git.withBranchCheckout('stage', (checkout) => checkout.revertAsOneCommit([two], 'Rollback stage'));
    expect(await r.sh('rev-parse', 'stage')).toBe(revert);
    expect(await r.sh('rev-parse', '--abbrev-ref', 'HEAD')).toBe('master');
    expect(await r.sh('worktree', 'list')).not.toContain('mod-worktree-');
    const upstream = await r.git.upstreamOf('stage');
    expect(upstream).toEqual({ remote: 'origin', ref: 'stage' });
    await r.git.push('stage', upstream!);
    expect((await execa('git', ['rev-parse', 'stage'], { cwd: remote })).stdout.trim()).toBe(revert);

    // Someone else pushed meanwhile: the push is rejected, never forced.
    const other = await mkdtemp(path.join(os.tmpdir(), 'mod-other-'));
    await execa('git', ['clone', '-q', '-b', 'stage', remote, other]);
    await execa('git', ['-c', 'user.name=O', '-c', 'user.email=o@x', 'commit', '-q', '--allow-empty', '-m', 'theirs'], { cwd: other });
    await execa('git', ['push', '-q', 'origin', 'stage'], { cwd: other });
    await r.sh('checkout', '-q', 'stage');
    await r.commit('app.txt', 'v4\n', 'ours');
    await expect(r.git.push('stage', upstream!)).rejects.toBeInstanceOf(GitError);
  });

  it('refuses to revert on a checked-out branch with uncommitted changes', async () => {
    const r = await repo();
    await r.commit('app.txt', 'v1\n', 'one');
    await writeFile(path.join(r.dir, 'app.txt'), 'dirty\n');
    await expect(r.git.withBranchCheckout('master', async () => 'x')).rejects.toThrow(/uncommitted changes/);
  });
});

describe('issue 17.17: Git.open outside a repository', () => {
  it('is NOT_A_GIT_REPOSITORY, exit 2, with a hint to git init', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-not-a-repo-'));
    await expect(Git.open(dir)).rejects.toMatchObject({ code: 'NOT_A_GIT_REPOSITORY', exitCode: 2, message: `${dir} is not inside a git repository`, hint: expect.stringMatching(/git init/) });
    await expect(Git.open(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'NOT_A_GIT_REPOSITORY', exitCode: 2, message: expect.stringMatching(/no such directory/) });
    await rm(dir, { recursive: true });
  });
});

describe('issue 17.17: only GitHub remotes name a GitHub repository', () => {
  it('reads owner/name from github.com remotes in every URL form', () => {
    for (const url of [
      'https://github.com/acme/shop.git',
      'https://github.com/acme/shop',
      'https://github.com/acme/shop/',
      'https://x-access-token:abc@github.com/acme/shop.git',
      'http://github.com/acme/shop.git',
      'git@github.com:acme/shop.git',
      'github.com:acme/shop',
      'ssh://git@github.com/acme/shop.git',
      'ssh://git@ssh.github.com:443/acme/shop.git',
      'git://github.com/acme/shop.git',
      'https://GitHub.com/acme/shop.git',
    ]) {
      expect(githubRepositoryFromRemote(url), url).toBe('acme/shop');
    }
    expect(githubRepositoryFromRemote('git@github.com:acme/my.shop-2.git')).toBe('acme/my.shop-2');
  });

  it('does not guess a repository from GitLab, Bitbucket, other ssh hosts or local paths', () => {
    for (const url of [
      'https://gitlab.com/acme/shop.git',
      'git@gitlab.com:acme/shop.git',
      'https://bitbucket.org/acme/shop.git',
      'git@bitbucket.org:acme/shop.git',
      'ssh://git@git.internal.example:2222/acme/shop.git',
      'deploy@build-host:acme/shop.git',
      'https://github.com.evil.example/acme/shop.git',
      'https://evil.example/github.com/acme/shop.git',
      '/srv/git/acme/shop.git',
      '../acme/shop.git',
      './shop.git',
      'file:///srv/git/acme/shop.git',
      'https://github.com/acme/shop/tree/main',
      'https://github.com/acme',
    ]) {
      expect(githubRepositoryFromRemote(url), url).toBeUndefined();
    }
  });

  it('accepts a GitHub Enterprise host given by github.baseUrl, and only that host', () => {
    expect(githubHostOf('https://api.github.com')).toBe('github.com');
    expect(githubHostOf('https://github.example.com/api/v3')).toBe('github.example.com');
    expect(repositoryFromRemote('git@github.example.com:acme/shop.git', 'https://github.example.com/api/v3')).toBe('acme/shop');
    expect(repositoryFromRemote('https://github.example.com/acme/shop.git', 'https://github.example.com/api/v3')).toBe('acme/shop');
    expect(repositoryFromRemote('git@github.com:acme/shop.git', 'https://github.example.com/api/v3')).toBeUndefined();
    expect(repositoryFromRemote('git@gitlab.example.com:acme/shop.git', 'https://github.example.com/api/v3')).toBeUndefined();
    expect(repositoryFromRemote('git@github.com:acme/shop.git')).toBe('acme/shop');
  });
});
