// A real git repository in a temp dir for delivery tests: commits, branches,
// merges and a bare remote to push to, all through the git CLI (the only
// child process the delivery unit tests start). test/support/fixture-app.ts
// builds a whole deployable app and shells out to mkdir; this stays small,
// and runs git with execFile, which starts a process in half execa's time.
import { execFile } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Git } from '../../src/git/git.js';

const run = promisify(execFile);

async function git(args: string[], cwd?: string): Promise<string> {
  return (await run('git', args, { cwd })).stdout.trim();
}

export class TempRepository {
  readonly git: Git;
  private readonly cleanup: string[];

  private constructor(readonly dir: string) {
    this.git = new Git(dir);
    this.cleanup = [dir];
  }

  /** `git init` on `branch`, with an author so commits work on any machine. */
  static async create(branch = 'stage'): Promise<TempRepository> {
    const repo = new TempRepository(await mkdtemp(path.join(os.tmpdir(), 'mod-unit-repo-')));
    await repo.sh('init', '-q', '-b', branch);
    // Written directly: three `git config` processes would cost more than the rest of a small test.
    await appendFile(path.join(repo.dir, '.git', 'config'), '[user]\n\tname = Alice Author\n\temail = alice@example.com\n[commit]\n\tgpgsign = false\n');
    return repo;
  }

  /** Runs git in the repository and returns its trimmed stdout. */
  async sh(...args: string[]): Promise<string> {
    return git(args, this.dir);
  }

  async write(file: string, content: string): Promise<void> {
    const target = path.join(this.dir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }

  /** Writes `files`, commits everything on the checked-out branch and returns the commit. */
  async commit(message: string, files: Record<string, string> = {}): Promise<string> {
    for (const [file, content] of Object.entries(files)) await this.write(file, content);
    await this.sh('add', '-A');
    await this.sh('commit', '-q', '--allow-empty', '-m', message);
    return this.sh('rev-parse', 'HEAD');
  }

  async head(ref = 'HEAD'): Promise<string> {
    return this.sh('rev-parse', ref);
  }

  /** A bare repository added as `name`; returns its directory. */
  async addBareRemote(name = 'origin'): Promise<string> {
    const remote = await mkdtemp(path.join(os.tmpdir(), 'mod-unit-remote-'));
    this.cleanup.push(remote);
    await git(['init', '-q', '--bare', remote]);
    await this.sh('remote', 'add', name, remote);
    return remote;
  }

  /** The commit a branch points at in a bare remote, or undefined when it has no such branch. */
  async remoteBranch(remoteDir: string, branch: string): Promise<string | undefined> {
    return git(['--git-dir', remoteDir, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).catch(() => undefined);
  }

  /** A scratch directory removed with the repository (state dirs, lock files). */
  async scratchDir(prefix = 'mod-unit-state-'): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    this.cleanup.push(dir);
    return dir;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}
