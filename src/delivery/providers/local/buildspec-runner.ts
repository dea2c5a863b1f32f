// Runs a buildspec the way CodeBuild does ("Build specification reference",
// "Build phase transitions", "Environment variables in build environments"):
// the shell state carried across commands and phases (build-shell.ts), the
// phases in order with CodeBuild's transitions (a failed install or pre_build
// ends the build; a failed build still runs post_build; UPLOAD_ARTIFACTS is
// attempted even when BUILD failed), on-failure ABORT / CONTINUE, `finally`
// blocks, run-as, runtime-versions checked against this machine, then the
// artifacts, secondary artifacts and report files collected.
import { execFile } from 'node:child_process';
import { chmod, cp, link, lstat, mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { glob, isDynamicPattern } from 'tinyglobby';
import { ConfigError, ModError } from '../../../errors.js';
import type { DeliveryEvents } from '../../events.js';
import { BuildShell, type ShellUser } from './build-shell.js';
import { PHASE_NAMES, type ArtifactSet, type Buildspec, type BuildPhase, type PhaseName } from './buildspec.js';
import { tailFile } from './run-script.js';

const run = promisify(execFile);

export interface BuildContext {
  srcDir: string;
  /** Where the artifacts are collected. Must not exist or be empty. */
  outDir: string;
  /** Scratch space for the shell state, the build log, secondary artifacts and reports. */
  workDir: string;
  buildId: string;
  commit: string;
  timeoutMs: number;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  events: DeliveryEvents;
  /** CODEBUILD_BUILD_NUMBER: the project's build counter. */
  buildNumber?: number;
  /** The CodeBuild project the build stands for (CODEBUILD_BUILD_ID is `<project>:<id>`). */
  projectName?: string;
  /** AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** Shown in the file name of the spec in messages. */
  specName?: string;
}

export interface BuildResult {
  logFile: string;
  durationMs: number;
  phases: { name: PhaseName; status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED'; durationMs: number }[];
  /** env.exported-variables with their values at the end of post_build. */
  exportedVariables: Record<string, string>;
  /** artifacts.secondary-artifacts, one directory each, by artifact identifier. */
  secondaryArtifacts: Record<string, string>;
  /** reports: the report files, one directory per report group. */
  reports: Record<string, string>;
}

export class BuildFailedError extends ModError {
  /** Where the artifacts of the failed build were collected (CodeBuild uploads them after a failed BUILD too). */
  artifactsDir?: string;

  constructor(
    readonly phase: string,
    readonly commandText: string | undefined,
    readonly commandExitCode: number | null,
    readonly logTail: string[],
    readonly logFile: string,
    reason: string,
    hint?: string,
  ) {
    super('BUILD_FAILED', `build failed in phase ${phase}${commandText ? ` running \`${commandText}\`` : ''}: ${reason}`, {
      hint: hint ? `${hint}; full log: ${logFile}` : `full log: ${logFile}`,
    });
  }
}

const DEFAULT_REGION = 'us-east-1';
const LOCAL_ACCOUNT = '000000000000';

export async function runBuildspec(spec: Buildspec, ctx: BuildContext): Promise<BuildResult> {
  const started = Date.now();
  await mkdir(ctx.workDir, { recursive: true });
  const logFile = path.join(ctx.workDir, 'build.log');
  const deadline = started + ctx.timeoutMs;
  const log = (line: string) => appendLog(logFile, `[Container] ${new Date().toISOString()} ${line}\n`);
  const specName = ctx.specName ?? 'buildspec.yml';

  if (spec.batch !== undefined) {
    throw new ConfigError(specName, 'batch', 'a batch build starts several CodeBuild builds; the local provider runs one build per deployment', 'remove batch from buildspec.yml, or deploy this environment with the aws provider');
  }
  const secrets = resolveSecrets(spec, ctx.env, specName);
  const reserved = Object.keys(spec.env.variables).filter((name) => name.startsWith('CODEBUILD_'));
  if (reserved.length) {
    ctx.events({ type: 'notice', level: 'warn', message: `buildspec env.variables ${reserved.join(', ')}: the CODEBUILD_ prefix is reserved for CodeBuild's own variables; where CodeBuild sets one, its value wins` });
  }
  if (spec.cache) {
    ctx.events({ type: 'notice', level: 'info', message: 'buildspec cache: a local build keeps no cache between builds (like a CodeBuild project with cache type NO_CACHE); every build starts from a clean export' });
  }

  const project = ctx.projectName ?? 'mod-local';
  const region = ctx.region ?? ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
  const buildNumber = String(ctx.buildNumber ?? 1);
  const codebuildId = `${project}:${ctx.buildId}`;
  // Precedence as in CodeBuild: the image's environment, then the buildspec's variables, then CodeBuild's own.
  const env: Record<string, string | undefined> = {
    ...ctx.env,
    ...spec.env.variables,
    ...secrets,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    CODEBUILD_SRC_DIR: ctx.srcDir,
    CODEBUILD_BUILD_ID: codebuildId,
    CODEBUILD_BUILD_ARN: `arn:aws:codebuild:${region}:${LOCAL_ACCOUNT}:build/${codebuildId}`,
    CODEBUILD_BUILD_NUMBER: buildNumber,
    CODEBUILD_START_TIME: String(started),
    CODEBUILD_RESOLVED_SOURCE_VERSION: ctx.commit,
    CODEBUILD_SOURCE_VERSION: ctx.commit,
    CODEBUILD_INITIATOR: 'mod/local',
    CODEBUILD_LOG_PATH: ctx.buildId,
    CODEBUILD_BUILD_IMAGE: 'mod/local',
    CODEBUILD_BUILD_SUCCEEDING: '1',
    CODEBUILD_LOCAL_BUILD: 'true',
    CI: 'true',
  };
  await log(`Running on the local provider: build ${codebuildId} (number ${buildNumber}), buildspec version ${spec.version}, shell ${spec.env.shell === 'bash' ? 'bash' : '/bin/sh'}`);
  if (spec.proxy) await log('proxy: no explicit proxy server in a local build; the setting has no effect');
  if (spec.env['git-credential-helper']) await log("git-credential-helper: git uses this machine's own credentials");

  const stateDir = path.join(ctx.workDir, 'shell');
  await mkdir(stateDir, { recursive: true });
  const shell = new BuildShell({ shell: spec.env.shell, env, cwd: ctx.srcDir, stateDir, logFile, isolated: spec.version === '0.1' });
  const users = new UserResolver(ctx.srcDir, [ctx.workDir, stateDir]);

  const phases: BuildResult['phases'] = [];
  let succeeding = true;
  let over = false;
  let uploadArtifacts = true;
  let firstFailure: BuildFailedError | undefined;

  for (const name of PHASE_NAMES) {
    const phase = spec.phases[name];
    if (!phase || over) {
      if (phase) ctx.events({ type: 'build.phase', phase: name, status: 'skipped' });
      phases.push({ name, status: 'SKIPPED', durationMs: 0 });
      continue;
    }
    const phaseStart = Date.now();
    ctx.events({ type: 'build.phase', phase: name, status: 'start' });
    await appendLog(logFile, `\n[Container] ${new Date().toISOString()} Entering phase ${name.toUpperCase()}\n`);
    const failure = await runPhase(name, phase, {
      ctx,
      shell,
      logFile,
      deadline,
      log,
      succeeding,
      runAs: phase['run-as'] ?? spec['run-as'],
      users,
      env,
    });
    const durationMs = Date.now() - phaseStart;
    const state = failure ? 'FAILED' : 'SUCCEEDED';
    phases.push({ name, status: state, durationMs });
    ctx.events({ type: 'build.phase', phase: name, status: failure ? 'failed' : 'succeeded', durationMs });
    await log(`Phase complete: ${name.toUpperCase()} State: ${state}`);
    if (!failure) continue;
    if (failure.code === 'BUILD_TIMEOUT' || failure.code === 'BUILD_ABORTED') throw failure;
    succeeding = false;
    firstFailure ??= failure;
    const onFailure = phase['on-failure'];
    if (onFailure === 'CONTINUE') continue;
    if (onFailure === 'ABORT' || name === 'install' || name === 'pre_build') {
      // Build phase transitions: a failed INSTALL / PRE_BUILD goes to FINALIZING; ABORT aborts the build.
      over = true;
      uploadArtifacts = false;
    }
    // A failed BUILD goes on to POST_BUILD; a failed POST_BUILD to UPLOAD_ARTIFACTS.
  }

  const exportedVariables: Record<string, string> = {};
  for (const name of spec.env['exported-variables']) {
    const value = shell.variable(name);
    if (value !== undefined && !name.startsWith('AWS_')) exportedVariables[name] = value;
  }
  if (Object.keys(exportedVariables).length)
    await log(
      `Exported variables: ${Object.entries(exportedVariables)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );

  const secondaryArtifacts: Record<string, string> = {};
  const reports: Record<string, string> = {};
  if (uploadArtifacts) {
    try {
      await uploadAll(spec, ctx, logFile, log, secondaryArtifacts, reports);
      if (firstFailure && spec.artifacts) firstFailure.artifactsDir = ctx.outDir;
    } catch (error) {
      // After a failed build the first failure is the one to report; the packaging error is in the log.
      if (!firstFailure) throw error;
      await log(`UPLOAD_ARTIFACTS after the failed build: ${(error as Error).message}`);
    }
  }
  if (firstFailure) throw firstFailure;
  if (!spec.artifacts) await mkdir(ctx.outDir, { recursive: true });
  return { logFile, durationMs: Date.now() - started, phases, exportedVariables, secondaryArtifacts, reports };
}

/** env.parameter-store / env.secrets-manager: a local build reads no AWS store, so the values must come from mod's environment. */
function resolveSecrets(spec: Buildspec, env: Record<string, string | undefined>, specName: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of ['parameter-store', 'secrets-manager'] as const) {
    const names = Object.keys(spec.env[key] ?? {});
    const missing = names.filter((name) => env[name] === undefined);
    if (missing.length) {
      throw new ConfigError(
        specName,
        `env.${key}.${missing[0]}`,
        `a local build cannot read ${key === 'parameter-store' ? 'Systems Manager Parameter Store' : 'Secrets Manager'}; ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set in the environment`,
        `export ${missing.map((m) => `${m}=...`).join(' ')} before running mod (the local build takes the value from there), or deploy with the aws provider`,
      );
    }
    for (const name of names) values[name] = env[name]!;
  }
  return values;
}

interface PhaseRun {
  ctx: BuildContext;
  shell: BuildShell;
  logFile: string;
  deadline: number;
  log: (line: string) => Promise<void>;
  succeeding: boolean;
  runAs: string | undefined;
  users: UserResolver;
  env: Record<string, string | undefined>;
}

async function runPhase(name: PhaseName, phase: BuildPhase, run: PhaseRun): Promise<BuildFailedError | undefined> {
  let user: ShellUser | undefined;
  if (run.runAs) {
    const resolved = await run.users.resolve(run.runAs);
    if (typeof resolved === 'string') return new BuildFailedError(name, undefined, null, await tailFile(run.logFile, 20), run.logFile, resolved, 'create the user (useradd) or remove run-as');
    user = resolved;
    await run.log(`Running commands as ${user.name} (uid ${user.uid})`);
  }
  if (phase['runtime-versions']) {
    const problem = await checkRuntimes(phase['runtime-versions'], run.env, run.log);
    if (problem) return new BuildFailedError(name, undefined, null, await tailFile(run.logFile, 20), run.logFile, problem, 'install that version on this machine (CodeBuild would select it from its image) or change runtime-versions');
  }
  const failure = await runCommands(name, phase.commands, run, user);
  if (failure && (failure.code === 'BUILD_TIMEOUT' || failure.code === 'BUILD_ABORTED')) return failure;
  // finally runs even when a command of the block failed.
  const finallyFailure = phase.finally.length ? await runCommands(name, phase.finally, run, user) : undefined;
  return failure ?? finallyFailure;
}

async function runCommands(name: PhaseName, commands: string[], run: PhaseRun, user: ShellUser | undefined): Promise<BuildFailedError | undefined> {
  const { ctx, logFile } = run;
  for (const command of commands) {
    ctx.events({ type: 'build.command', phase: name, command });
    await run.log(`Running command ${command}`);
    const result = await run.shell.run(command, {
      timeoutMs: run.deadline - Date.now(),
      signal: ctx.signal,
      user,
      overrides: { CODEBUILD_BUILD_SUCCEEDING: run.succeeding ? '1' : '0' },
      onLine: (line) => ctx.events({ type: 'build.output', line }),
    });
    if (result.exitCode === 0) continue;
    const tail = await tailFile(logFile, 20);
    if (result.timedOut) {
      const error = new BuildFailedError(name, command, null, tail, logFile, 'build timed out');
      Object.defineProperty(error, 'code', { value: 'BUILD_TIMEOUT' });
      return error;
    }
    if (result.aborted) {
      const error = new BuildFailedError(name, command, null, tail, logFile, 'interrupted');
      Object.defineProperty(error, 'code', { value: 'BUILD_ABORTED' });
      return error;
    }
    const reason = result.exitCode === null ? `killed by ${result.signal}` : `exit status ${result.exitCode}`;
    await run.log(`Command did not exit successfully ${command} ${reason}`);
    return new BuildFailedError(name, command, result.exitCode, tail, logFile, reason);
  }
  return undefined;
}

// ----- run-as -----------------------------------------------------------------

class UserResolver {
  private readonly cache = new Map<string, ShellUser | string>();
  private granted = false;

  constructor(
    private readonly srcDir: string,
    private readonly scratchDirs: string[],
  ) {}

  /** The user, or why the build cannot run as them. */
  async resolve(name: string): Promise<ShellUser | string> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const user = await lookUpUser(name);
    let result: ShellUser | string = user ?? `run-as user "${name}" does not exist on this machine`;
    if (user && user.uid !== process.getuid?.()) {
      if (process.getuid?.() !== 0) result = `run-as ${name} needs mod to run as root (it runs as uid ${process.getuid?.()})`;
      else {
        await this.grant();
        const blocked = await firstUnsearchable(user, [this.srcDir, ...this.scratchDirs]);
        if (blocked) result = `run-as ${name}: the user cannot reach the build directory, ${blocked} is not searchable by ${name}`;
      }
    }
    this.cache.set(name, result);
    return result;
  }

  // run-as "grants the specified user read and run permissions" on the source.
  private async grant(): Promise<void> {
    if (this.granted) return;
    this.granted = true;
    await run('chmod', ['-R', 'a+rX', this.srcDir]);
    for (const dir of this.scratchDirs) await chmod(dir, 0o755);
  }
}

/** The first directory on the way to `dirs` that `user` may not enter, if any. */
async function firstUnsearchable(user: ShellUser, dirs: string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    for (let current = path.resolve(dir); ; current = path.dirname(current)) {
      const info = await stat(current);
      const bit = info.uid === user.uid ? 0o100 : info.gid === user.gid ? 0o010 : 0o001;
      if (!(info.mode & bit)) return `${current} (mode ${(info.mode & 0o777).toString(8)})`;
      if (path.dirname(current) === current) break;
    }
  }
  return undefined;
}

async function lookUpUser(name: string): Promise<ShellUser | undefined> {
  const line = await run('getent', ['passwd', name]).then(
    (r) => r.stdout.trim().split('\n')[0],
    () => undefined,
  );
  const fields = line?.split(':');
  if (!fields || fields.length < 7) return undefined;
  return { name: fields[0]!, uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5]! };
}

// ----- runtime-versions -------------------------------------------------------

const RUNTIMES: Record<string, { command: string; args: string[]; version: RegExp }> = {
  nodejs: { command: 'node', args: ['--version'], version: /v?(\d+(?:\.\d+)*)/ },
  python: { command: 'python3', args: ['--version'], version: /Python (\d+(?:\.\d+)*)/ },
  golang: { command: 'go', args: ['version'], version: /go(\d+(?:\.\d+)*)/ },
  ruby: { command: 'ruby', args: ['--version'], version: /ruby (\d+(?:\.\d+)*)/ },
  php: { command: 'php', args: ['--version'], version: /PHP (\d+(?:\.\d+)*)/ },
  java: { command: 'java', args: ['-version'], version: /version "(\d+(?:\.\d+)*)/ },
  dotnet: { command: 'dotnet', args: ['--version'], version: /(\d+(?:\.\d+)*)/ },
};

/** Checks each runtime against what this machine has (CodeBuild would install it); the reason it cannot build, if any. */
async function checkRuntimes(runtimes: Record<string, string>, env: Record<string, string | undefined>, log: (line: string) => Promise<void>): Promise<string | undefined> {
  for (const [runtime, raw] of Object.entries(runtimes)) {
    const requested = raw.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => env[name] ?? '');
    const tool = RUNTIMES[runtime];
    if (!tool) return `runtime-versions: unknown runtime "${runtime}" for a local build (known: ${Object.keys(RUNTIMES).join(', ')})`;
    const output = await run(tool.command, tool.args, { env: env as NodeJS.ProcessEnv, timeout: 15_000 }).then(
      (r) => `${r.stdout}\n${r.stderr}`,
      () => undefined,
    );
    const installed = output?.match(tool.version)?.[1];
    if (!installed) return `runtime-versions: ${runtime} ${requested} is wanted but \`${tool.command}\` is not on this machine's PATH`;
    if (!versionSatisfies(runtime, requested, installed)) {
      return `runtime-versions: ${runtime} ${requested} is wanted but this machine has ${runtime} ${installed} (\`${tool.command}\` on PATH)`;
    }
    await log(`Installing runtime ${runtime} ${requested}: CodeBuild would select it from its image; this machine's ${runtime} ${installed} satisfies it`);
  }
  return undefined;
}

function versionSatisfies(runtime: string, requested: string, installed: string): boolean {
  if (requested === 'latest') return true;
  // java: corretto17 / openjdk11 name the major version; Java 8 reports itself as 1.8.
  const wanted = (runtime === 'java' ? requested.replace(/^[a-z]+/i, '') : requested).replace(/\.x$/i, '');
  const have = runtime === 'java' ? installed.replace(/^1\.(\d+)/, '$1') : installed;
  if (!/^\d+(\.\d+)*$/.test(wanted)) return false;
  const w = wanted.split('.');
  const h = have.split('.');
  return w.every((part, i) => Number(part) === Number(h[i] ?? NaN));
}

// ----- artifacts, secondary artifacts, reports ---------------------------------

async function uploadAll(spec: Buildspec, ctx: BuildContext, logFile: string, log: (line: string) => Promise<void>, secondary: Record<string, string>, reports: Record<string, string>): Promise<void> {
  const started = Date.now();
  ctx.events({ type: 'build.package', status: 'start' });
  await appendLog(logFile, `\n[Container] ${new Date().toISOString()} Entering phase UPLOAD_ARTIFACTS\n`);
  try {
    if (spec.artifacts) {
      const count = await collectFiles(spec.artifacts, ctx.srcDir, ctx.outDir);
      await log(`Collected ${count} artifact file(s)`);
      for (const [id, set] of Object.entries(spec.artifacts['secondary-artifacts'] ?? {})) {
        const dir = path.join(ctx.workDir, 'secondary', id);
        const n = await collectFiles(set, ctx.srcDir, dir, `artifacts.secondary-artifacts.${id}`);
        secondary[id] = dir;
        await log(`Secondary artifact ${id}: ${n} file(s) in ${dir} (not uploaded: local build)`);
      }
      if (Object.keys(secondary).length) {
        ctx.events({ type: 'notice', level: 'info', message: `secondary artifacts ${Object.keys(secondary).join(', ')} collected next to the bundle (a local deployment installs the primary artifact only)` });
      }
    }
    for (const [group, report] of Object.entries(spec.reports ?? {})) {
      const dir = path.join(ctx.workDir, 'reports', group.replace(/[^\w.-]+/g, '_'));
      // A report group without files fails the report, not the build.
      const n = await collectFiles(report, ctx.srcDir, dir, `reports.${group}`).catch(async (error: Error) => {
        await log(`Report group ${group}: ${error.message}; the report fails, the build does not`);
        return 0;
      });
      if (!n) continue;
      reports[group] = dir;
      await log(`Report group ${group}: ${n} ${report['file-format'] ?? 'JUNITXML'} file(s) in ${dir} (not uploaded: local build)`);
    }
    await log('Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED');
    ctx.events({ type: 'build.package', status: 'succeeded', durationMs: Date.now() - started });
  } catch (error) {
    await log(`${(error as Error).message}\n[Container] ${new Date().toISOString()} Phase complete: UPLOAD_ARTIFACTS State: FAILED`);
    ctx.events({ type: 'build.package', status: 'failed', durationMs: Date.now() - started });
    if (error instanceof CollectError) throw new BuildFailedError('UPLOAD_ARTIFACTS', undefined, null, await tailFile(logFile, 10), logFile, error.message);
    throw error;
  }
}

/** Why a set of files could not be collected (UPLOAD_ARTIFACTS fails with it). */
class CollectError extends Error {}

type FileSet = Pick<ArtifactSet, 'files' | 'base-directory' | 'discard-paths'> & Partial<Pick<ArtifactSet, 'exclude-paths' | 'enable-symlinks'>>;

async function collectFiles(set: FileSet, srcDir: string, outDir: string, what = 'artifacts'): Promise<number> {
  const root = path.resolve(srcDir);
  const realRoot = await realpath(root);
  const baseSpec = set['base-directory'];
  // base-directory may be a pattern ('my-build*'): each matching directory contributes its contents.
  const bases = !baseSpec ? ['.'] : isDynamicPattern(baseSpec) ? (await glob([baseSpec], { cwd: root, onlyDirectories: true, dot: true, expandDirectories: false })).map((d) => d.replace(/\/$/, '')).sort() : [baseSpec];
  const fail = (reason: string) => new CollectError(reason);
  if (bases.length === 0) throw fail(`${what}.base-directory ${baseSpec} matches no directory`);
  await mkdir(outDir, { recursive: true });
  const madeDirs = new Set<string>();
  let count = 0;
  for (const base of bases) {
    const baseDir = path.resolve(root, base);
    if (baseDir !== root && !baseDir.startsWith(root + path.sep)) throw fail(`${what}.base-directory escapes the source: ${base}`);
    if (!(await stat(baseDir).catch(() => undefined))?.isDirectory()) continue;
    const files = await glob(set.files, { cwd: baseDir, dot: true, onlyFiles: true, ignore: set['exclude-paths'] ?? [], followSymbolicLinks: true, expandDirectories: false });
    // enable-symlinks: yes keeps symbolic links (a linked directory stays one link); otherwise what they point to is packaged.
    const keepLinks = set['enable-symlinks'] === true;
    const sources = new Set<string>();
    for (const file of files) sources.add((keepLinks ? await firstSymlink(baseDir, file) : undefined) ?? file);
    const queue = [...sources].sort();
    const worker = async () => {
      for (let source = queue.shift(); source !== undefined; source = queue.shift()) {
        const target = path.join(outDir, set['discard-paths'] ? path.basename(source) : source);
        const dir = path.dirname(target);
        if (!madeDirs.has(dir)) {
          madeDirs.add(dir);
          await mkdir(dir, { recursive: true });
        }
        await packageFile(path.join(baseDir, source), target, realRoot, keepLinks);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    count += sources.size;
  }
  if (count === 0) throw fail(`no ${what === 'artifacts' ? 'artifact' : what} files matched ${JSON.stringify(set.files)} in ${baseSpec ?? '.'}`);
  return count;
}

/**
 * Puts one file into the artifact: a symbolic link stays one when
 * enable-symlinks listed it as such; anything else is packaged as its
 * content, by a hard link when it lies in the source export (deleted after
 * the build, so the bundle ends up the file's only name), else a copy.
 */
async function packageFile(source: string, target: string, root: string, keepLinks: boolean): Promise<void> {
  if (keepLinks && (await lstat(source)).isSymbolicLink()) return cp(source, target, { verbatimSymlinks: true });
  const real = await realpath(source).catch(() => {
    throw new CollectError(`${path.relative(root, source)} is a broken symbolic link`);
  });
  if (real.startsWith(root + path.sep)) {
    try {
      return await link(real, target);
    } catch {
      // another device, or a file system without hard links: copy
    }
  }
  await cp(real, target, { preserveTimestamps: true, dereference: true });
}

/** The first component of `file` (relative to `base`) that is a symbolic link, as a relative path. */
async function firstSymlink(base: string, file: string): Promise<string | undefined> {
  const parts = file.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if ((await lstat(path.join(base, prefix))).isSymbolicLink()) return prefix;
  }
  return undefined;
}

async function appendLog(file: string, text: string): Promise<void> {
  await writeFile(file, text, { flag: 'a' });
}
