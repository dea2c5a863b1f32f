// mod init [dir]: sets up another repository for mod: writes mod.config.yml,
// appspec.yml, buildspec.yml and scripts/ (templates for a Node service that
// listens on $PORT and answers /healthz), git-ignores .mod/, and creates the
// stage and master branches at HEAD when they are missing. Existing files are
// never overwritten without --force; files already identical are left alone,
// so running it again after the first commit only adds the branches.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import type { GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export interface InitCommandOptions {
  force?: boolean;
}

/** The branches mod's default config deploys: stage and production. */
export const INIT_BRANCHES = ['stage', 'master'] as const;

export const registerInit: CommandRegistration = (program, context, setExit) => {
  program
    .command('init')
    .description('set up a repository for mod: mod.config.yml, appspec.yml, buildspec.yml and scripts/ for a Node service, and the stage and master branches')
    .argument('[dir]', 'the repository (default: -C or the current directory)')
    .option('--force', 'overwrite files that exist with other content')
    .action(commandAction<InitCommandOptions, [string | undefined]>(context, setExit, ({ args: [dir], options, globals }, output) => runInit(dir, options, globals, output)));
};

export interface InitResult {
  schemaVersion: 1;
  directory: string;
  files: { path: string; action: 'created' | 'overwritten' | 'unchanged' | 'appended' }[];
  branches: { name: string; action: 'created' | 'present' | 'not-created'; commit: string | null }[];
  next: string[];
}

export async function runInit(dir: string | undefined, options: InitCommandOptions, globals: GlobalOptions, output: Output): Promise<number> {
  const path = await import('node:path');
  const { chmod, mkdir, readFile, writeFile } = await import('node:fs/promises');
  const { Git } = await import('../../git/git.js');
  const { UsageError } = await import('../../errors.js');
  const { nodeServiceFiles } = await import('../init-templates/node-service.js');

  const base = globals.cwd ?? process.cwd();
  const git = await Git.open(dir ? path.resolve(base, dir) : base);
  const root = git.dir;
  const readText = (file: string) => readFile(path.join(root, file), 'utf8').catch(() => undefined);

  const pkg = await readPackageJson(await readText('package.json'));
  const files = nodeServiceFiles({ app: appName(pkg.name, path.basename(root)), entry: entryOf(pkg.main), hasBuildScript: typeof pkg.scripts?.build === 'string' });

  // All or nothing: look at every file before writing any.
  const plan: { file: (typeof files)[number]; action: 'created' | 'overwritten' | 'unchanged' }[] = [];
  for (const file of files) {
    const existing = await readText(file.path);
    plan.push({ file, action: existing === undefined ? 'created' : existing === file.content ? 'unchanged' : 'overwritten' });
  }
  const conflicts = plan.filter((p) => p.action === 'overwritten').map((p) => p.file.path);
  if (conflicts.length > 0 && !options.force) {
    throw new UsageError(`${root} already has ${conflicts.join(', ')} (with other content); nothing was written`, 'run mod init --force to replace them with the templates (commit or move yours first)');
  }
  for (const { file, action } of plan) {
    if (action === 'unchanged') continue;
    const target = path.join(root, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.content);
    if (file.executable) await chmod(target, 0o755);
  }
  const result: InitResult = { schemaVersion: 1, directory: root, files: plan.map((p) => ({ path: p.file.path, action: p.action })), branches: [], next: [] };

  // The local state directory must never be committed.
  const gitignore = (await readText('.gitignore')) ?? '';
  if (!gitignore.split(/\r?\n/).some((line) => ['.mod', '.mod/', '/.mod', '/.mod/'].includes(line.trim()))) {
    await writeFile(path.join(root, '.gitignore'), `${gitignore}${gitignore === '' || gitignore.endsWith('\n') ? '' : '\n'}.mod/\n`);
    result.files.push({ path: '.gitignore', action: 'appended' });
  }

  const head = await git.resolve('HEAD');
  for (const name of INIT_BRANCHES) {
    if (await git.branchExists(name)) result.branches.push({ name, action: 'present', commit: (await git.resolve(`refs/heads/${name}`)) ?? null });
    else if (head) {
      await git.run(['branch', name, head]);
      result.branches.push({ name, action: 'created', commit: head });
    } else result.branches.push({ name, action: 'not-created', commit: null });
  }

  const written = result.files.filter((f) => f.action !== 'unchanged').map((f) => f.path);
  // What is still to commit, this run's or an earlier one's (a second `mod init` before the commit).
  const uncommitted = head
    ? (await git.run(['status', '--porcelain', '--untracked-files=all', '--', ...result.files.map((f) => f.path)]))
        .split('\n')
        .filter(Boolean)
        .map((line) => line.slice(3))
    : result.files.map((f) => f.path);
  if (uncommitted.length > 0) result.next.push(`git add ${[...new Set(uncommitted.map((f) => f.split('/')[0]))].join(' ')} && git commit -m "Deliver with mod"`);
  if (!head) result.next.push('mod init (again, once there is a commit: it creates the stage and master branches)');
  const created = result.branches.filter((b) => b.action === 'created').map((b) => b.name);
  // The new branches point at the commit before these files: move them to the one that has them.
  if (written.length > 0 && created.length > 0) result.next.push(created.map((name) => `git branch -f ${name} HEAD`).join(' && '));
  result.next.push('mod deploy --env stage');

  output.result(result, () => describe(result));
  return 0;
}

interface PackageJson {
  name?: string;
  main?: string;
  scripts?: Record<string, unknown>;
}

async function readPackageJson(text: string | undefined): Promise<PackageJson> {
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as PackageJson) : {};
  } catch {
    const { UsageError } = await import('../../errors.js');
    throw new UsageError('package.json is not valid JSON', 'fix it first: mod init reads its name, main and build script');
  }
}

/** mod.config.yml's app: the package name without its scope, else the directory's name, in the letters the schema allows. */
export function appName(packageName: string | undefined, directory: string): string {
  const raw = (typeof packageName === 'string' && packageName ? packageName.replace(/^@[^/]+\//, '') : directory).replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '');
  return raw || 'app';
}

function entryOf(main: unknown): string {
  if (typeof main !== 'string' || main.trim() === '') return 'index.js';
  return main.replace(/^\.\//, '');
}

function describe(result: InitResult): string {
  const lines = [`mod init: ${result.directory}`];
  for (const f of result.files) lines.push(`  ${f.action.padEnd(11)} ${f.path}`);
  for (const b of result.branches) {
    const what = b.action === 'created' ? `created at ${b.commit!.slice(0, 8)}` : b.action === 'present' ? 'already there (left as it is)' : 'not created: the repository has no commit yet';
    lines.push(`  branch ${b.name.padEnd(7)} ${what}`);
  }
  lines.push('next:');
  for (const step of result.next) lines.push(`  ${step}`);
  return lines.join('\n');
}
