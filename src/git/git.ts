// A small typed wrapper over the git CLI: the few operations delivery needs
// (resolve refs, read commits, revert, push, export a commit's tree).
import { execa } from 'execa';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GitError, ModError } from '../errors.js';

/** The directory mod was pointed at is not in a git repository (or does not exist). */
export class NotAGitRepositoryError extends ModError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('NOT_A_GIT_REPOSITORY', message, { hint, cause });
  }
}

export interface CommitInfo {
  commit: string;
  subject: string;
  author: string;
  authorEmail: string;
  date: string;
  parents: string[];
}

export class Git {
  constructor(readonly dir: string) {}

  /**
   * The repository `cwd` is in. Not being in one is a usage error (exit 2):
   * the user ran mod in the wrong place, nothing failed.
   */
  static async open(cwd: string): Promise<Git> {
    const dir = await stat(cwd).catch(() => undefined);
    if (!dir?.isDirectory()) throw new NotAGitRepositoryError(`${cwd}: no such directory`, 'give -C the path of your application repository');
    try {
      const { stdout } = await execa('git', ['rev-parse', '--show-toplevel'], { cwd });
      return new Git(stdout.trim());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new GitError('git is not installed (or not on PATH)', 'install git', error);
      throw new NotAGitRepositoryError(`${cwd} is not inside a git repository`, 'run mod inside your application repository (or -C <repo>), or make this one: git init && git add -A && git commit -m "Initial commit"', error);
    }
  }

  async run(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    try {
      const { stdout } = await execa('git', args, { cwd: this.dir, input: options.input, env: options.env });
      return stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new GitError(`git ${args.join(' ')} failed${stderr ? `: ${stderr.split('\n').slice(-3).join(' ')}` : ''}`, undefined, error);
    }
  }

  private async tryRun(args: string[]): Promise<string | undefined> {
    try {
      return await this.run(args);
    } catch {
      return undefined;
    }
  }

  async resolve(ref: string): Promise<string | undefined> {
    const out = await this.tryRun(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return out?.trim() || undefined;
  }

  async branchExists(branch: string): Promise<boolean> {
    return (await this.tryRun(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`])) !== undefined;
  }

  async currentBranch(): Promise<string | undefined> {
    const out = await this.tryRun(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return out?.trim() || undefined;
  }

  async commitInfo(ref: string): Promise<CommitInfo> {
    const out = await this.run(['show', '-s', '--format=%H%x00%s%x00%an%x00%ae%x00%cI%x00%P', ref]);
    const [commit = '', subject = '', author = '', authorEmail = '', date = '', parents = ''] = out.trim().split('\0');
    return { commit, subject, author, authorEmail, date, parents: parents.split(' ').filter(Boolean) };
  }

  async tree(ref: string): Promise<string> {
    return (await this.run(['rev-parse', `${ref}^{tree}`])).trim();
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await execa('git', ['merge-base', '--is-ancestor', ancestor, descendant], { cwd: this.dir });
      return true;
    } catch {
      return false;
    }
  }

  /** Commits reachable from `to` and not from `from`. */
  async countBetween(from: string, to: string): Promise<number> {
    return Number((await this.run(['rev-list', '--count', `${from}..${to}`])).trim());
  }

  async countReachable(ref: string): Promise<number> {
    return Number((await this.run(['rev-list', '--count', ref])).trim());
  }

  /** First-parent commits in from..to, newest first: merges count as one change. */
  async firstParentCommits(from: string, to: string): Promise<string[]> {
    return (await this.run(['rev-list', '--first-parent', `${from}..${to}`])).split('\n').filter(Boolean);
  }

  async upstreamOf(branch: string): Promise<{ remote: string; ref: string } | undefined> {
    const remote = (await this.tryRun(['config', `branch.${branch}.remote`]))?.trim();
    const merge = (await this.tryRun(['config', `branch.${branch}.merge`]))?.trim();
    if (!remote || !merge) return undefined;
    return { remote, ref: merge.replace(/^refs\/heads\//, '') };
  }

  /** Pushes a branch to its upstream. Never forces: a rejected push is an error. */
  async push(branch: string, upstream: { remote: string; ref: string }): Promise<void> {
    await this.run(['push', upstream.remote, `refs/heads/${branch}:refs/heads/${upstream.ref}`]);
  }

  async isClean(): Promise<boolean> {
    return (await this.run(['status', '--porcelain', '--untracked-files=no'])).trim() === '';
  }

  /** Writes the tree of `commit` (no .git, no untracked files) into `dest`. */
  async exportTree(commit: string, dest: string): Promise<void> {
    try {
      await execa('sh', ['-c', `git archive --format=tar "$1" | tar -x -C "$2"`, 'sh', commit, dest], { cwd: this.dir });
    } catch (error) {
      throw new GitError(`could not export commit ${commit.slice(0, 12)}: ${(error as { stderr?: string }).stderr ?? error}`, undefined, error);
    }
  }

  /**
   * Runs `work` with a checkout of `branch`: the main working tree when the
   * branch is checked out there (it must be clean), otherwise a temporary
   * linked worktree that is removed afterwards.
   */
  async withBranchCheckout<T>(branch: string, work: (checkout: Git) => Promise<T>): Promise<T> {
    if ((await this.currentBranch()) === branch) {
      if (!(await this.isClean())) {
        throw new GitError(`branch ${branch} is checked out here with uncommitted changes`, 'commit or stash them, then run the command again');
      }
      return work(this);
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-worktree-'));
    try {
      await this.run(['worktree', 'add', '--quiet', dir, branch]);
      return await work(new Git(dir));
    } finally {
      await this.tryRun(['worktree', 'remove', '--force', dir]);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Reverts `commits` (newest first) as one commit on the checked-out branch.
   * Merge commits are reverted against their first parent (-m 1).
   * On a conflict the revert is aborted and nothing changes.
   */
  async revertAsOneCommit(commits: string[], message: string): Promise<string> {
    try {
      for (const commit of commits) {
        const info = await this.commitInfo(commit);
        const mainline = info.parents.length > 1 ? ['-m', '1'] : [];
        await this.run(['revert', '--no-edit', '--no-commit', ...mainline, commit]);
      }
      await this.run(['commit', '--allow-empty', '-m', message]);
    } catch (error) {
      await this.tryRun(['revert', '--abort']);
      await this.tryRun(['reset', '--hard', 'HEAD']);
      throw new GitError(`could not revert ${commits.map((c) => c.slice(0, 8)).join(', ')}: ${(error as Error).message}`, 'later commits conflict with the revert; revert by hand (git revert) and deploy', error);
    }
    return (await this.run(['rev-parse', 'HEAD'])).trim();
  }

  /** A file's exact content at a commit (no trailing newline stripped: checksums depend on it). */
  async readFileAt(commit: string, file: string): Promise<string> {
    try {
      const { stdout } = await execa('git', ['show', `${commit}:${file}`], { cwd: this.dir, stripFinalNewline: false });
      return stdout;
    } catch (error) {
      throw new GitError(`cannot read ${file} at ${commit.slice(0, 8)}`, undefined, error);
    }
  }

  /** A file's content at a ref, or undefined when the ref or the file does not exist there. */
  async fileAtIfExists(ref: string, file: string): Promise<string | undefined> {
    return this.tryRun(['show', `${ref}:${file}`]);
  }

  /** The configured remotes' names. */
  async remotes(): Promise<string[]> {
    return (await this.run(['remote'])).split('\n').filter(Boolean);
  }

  /** A remote's URL, or undefined when there is no such remote. */
  async remoteUrl(remote: string): Promise<string | undefined> {
    return (await this.tryRun(['remote', 'get-url', remote]))?.trim() || undefined;
  }

  /** Pushes a commit to a branch of a remote: a plain push, so git refuses anything but a fast-forward. */
  async pushCommit(remote: string, commit: string, branch: string): Promise<void> {
    await this.run(['push', remote, `${commit}:refs/heads/${branch}`]);
  }

  /** The newest first-parent commits reachable from ref, at most max of them. */
  async recentFirstParentCommits(ref: string, max: number): Promise<string[]> {
    return (await this.run(['rev-list', '--first-parent', `--max-count=${max}`, ref])).split('\n').filter(Boolean);
  }

  /** The files added (A) or modified (M) from one commit to another; from null, every file of the second. */
  async changedFiles(from: string | null, to: string): Promise<{ status: 'A' | 'M'; path: string }[]> {
    const base = from ?? (await this.run(['hash-object', '-t', 'tree', '/dev/null'])).trim();
    return (await this.run(['diff', '--name-status', '--no-renames', base, to]))
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [status = '', file = ''] = line.split('\t');
        return { status, path: file };
      })
      .filter((f): f is { status: 'A' | 'M'; path: string } => f.status === 'A' || f.status === 'M');
  }

  /** Fetches a branch of a remote into its remote-tracking ref; the fetched commit. */
  async fetchBranch(remote: string, branch: string): Promise<string> {
    await this.run(['fetch', '--quiet', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`]);
    return (await this.run(['rev-parse', `refs/remotes/${remote}/${branch}`])).trim();
  }

  /** Creates a local branch at a remote-tracking branch, tracking it. */
  async createTrackingBranch(branch: string, remote: string): Promise<void> {
    await this.run(['branch', '--quiet', '--track', branch, `refs/remotes/${remote}/${branch}`]);
  }

  /** The directory of the worktree (this one or a linked one) that has `branch` checked out. */
  async worktreeOf(branch: string): Promise<string | undefined> {
    const out = await this.run(['worktree', 'list', '--porcelain']);
    for (const block of out.split('\n\n')) {
      const dir = /^worktree (.+)$/m.exec(block)?.[1];
      if (dir && block.split('\n').includes(`branch refs/heads/${branch}`)) return dir;
    }
    return undefined;
  }

  /** Whether pushing the branch to its upstream would be accepted (reachable, allowed, a fast-forward): git push --dry-run. */
  async pushDryRun(branch: string, upstream: { remote: string; ref: string }): Promise<void> {
    await this.run(['push', '--dry-run', '--quiet', upstream.remote, `refs/heads/${branch}:refs/heads/${upstream.ref}`]);
  }

  /** Whether `commits` (newest first) revert cleanly on top of `base`, tried in a throwaway worktree. */
  async revertsCleanly(base: string, commits: string[]): Promise<boolean> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-revert-check-'));
    try {
      await this.run(['worktree', 'add', '--quiet', '--detach', dir, base]);
      const checkout = new Git(dir);
      for (const commit of commits) {
        const info = await checkout.commitInfo(commit);
        await checkout.run(['revert', '--no-edit', '--no-commit', ...(info.parents.length > 1 ? ['-m', '1'] : []), commit]);
      }
      return true;
    } catch {
      return false;
    } finally {
      await this.tryRun(['worktree', 'remove', '--force', dir]);
      await rm(dir, { recursive: true, force: true });
    }
  }

  async userName(): Promise<string | undefined> {
    return (await this.tryRun(['config', 'user.name']))?.trim() || undefined;
  }
}

/**
 * The host of a GitHub API base URL: api.github.com is github.com; a GitHub
 * Enterprise Server API (https://github.example.com/api/v3) is its own host.
 */
export function githubHostOf(apiBaseUrl: string): string | undefined {
  try {
    const host = new URL(apiBaseUrl).hostname.toLowerCase();
    return host === 'api.github.com' ? 'github.com' : host;
  } catch {
    return undefined;
  }
}

/**
 * owner/name of a GitHub repository from a git remote URL (https, ssh://,
 * git://, or scp-like git@host:owner/name.git), only when the remote is on
 * one of `hosts` (github.com, or a configured GitHub Enterprise host). A
 * GitLab or Bitbucket remote, a local path or another ssh host is not a
 * GitHub repository, whatever its path looks like.
 */
export function githubRepositoryFromRemote(url: string, hosts: string[] = ['github.com']): string | undefined {
  const remote = url.trim();
  let host: string;
  let repoPath: string;
  const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(remote);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) {
    let parsed: URL;
    try {
      parsed = new URL(remote);
    } catch {
      return undefined;
    }
    if (!['https:', 'http:', 'ssh:', 'git:', 'git+ssh:', 'ssh+git:'].includes(parsed.protocol)) return undefined;
    host = parsed.hostname;
    repoPath = decodeURIComponent(parsed.pathname);
  } else if (scp && !remote.startsWith('/') && !remote.startsWith('.')) {
    host = scp[1]!;
    repoPath = scp[2]!;
  } else {
    return undefined;
  }
  // ssh.github.com is GitHub's ssh-over-443 host.
  const known = hosts.map((h) => h.toLowerCase());
  const normalized = host.toLowerCase() === 'ssh.github.com' ? 'github.com' : host.toLowerCase();
  if (!known.includes(normalized)) return undefined;
  const match = /^\/?([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(repoPath);
  return match ? `${match[1]}/${match[2]}` : undefined;
}
