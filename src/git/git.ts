// A small typed wrapper over the git CLI: the few operations delivery needs
// (resolve refs, read commits, revert, push, export a commit's tree).
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GitError } from '../errors.js';

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

  static async open(cwd: string): Promise<Git> {
    try {
      const { stdout } = await execa('git', ['rev-parse', '--show-toplevel'], { cwd });
      return new Git(stdout.trim());
    } catch (error) {
      throw new GitError(`${cwd} is not inside a git repository`, 'run mod from your application repository (git init; git commit)', error);
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

  async userName(): Promise<string | undefined> {
    return (await this.tryRun(['config', 'user.name']))?.trim() || undefined;
  }
}
