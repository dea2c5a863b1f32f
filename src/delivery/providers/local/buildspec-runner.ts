// Runs a buildspec the way CodeBuild does: one shell session carried across
// commands and phases (exports and `cd` persist), phases in order with
// CodeBuild's transitions (a failed build still runs post_build; a failed
// install or pre_build skips the rest unless on-failure is CONTINUE),
// `finally` blocks always run, then artifacts are collected.
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { ModError } from '../../../errors.js';
import type { DeliveryEvents } from '../../events.js';
import { runScript, tailFile } from './run-script.js';
import { PHASE_NAMES, type Buildspec, type BuildPhase, type PhaseName } from './buildspec.js';

export interface BuildContext {
  srcDir: string;
  /** Where the artifacts are collected. Must not exist or be empty. */
  outDir: string;
  /** Scratch space for the shell state and the build log. */
  workDir: string;
  buildId: string;
  commit: string;
  timeoutMs: number;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  events: DeliveryEvents;
}

export interface BuildResult {
  logFile: string;
  durationMs: number;
  phases: { name: PhaseName; status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED'; durationMs: number }[];
}

export class BuildFailedError extends ModError {
  constructor(
    readonly phase: string,
    readonly commandText: string | undefined,
    readonly commandExitCode: number | null,
    readonly logTail: string[],
    readonly logFile: string,
    reason: string,
  ) {
    super('BUILD_FAILED', `build failed in phase ${phase}${commandText ? ` running \`${commandText}\`` : ''}: ${reason}`, {
      hint: `full log: ${logFile}`,
    });
  }
}

export async function runBuildspec(spec: Buildspec, ctx: BuildContext): Promise<BuildResult> {
  const started = Date.now();
  await mkdir(ctx.workDir, { recursive: true });
  const logFile = path.join(ctx.workDir, 'build.log');
  const statePrefix = path.join(ctx.workDir, 'shell-state');
  await writeFile(`${statePrefix}.cwd`, ctx.srcDir);
  const deadline = started + ctx.timeoutMs;
  const shell = spec.env.shell === 'bash' ? 'bash' : 'sh';

  const baseEnv: Record<string, string | undefined> = {
    ...ctx.env,
    ...spec.env.variables,
    CODEBUILD_SRC_DIR: ctx.srcDir,
    CODEBUILD_BUILD_ID: ctx.buildId,
    CODEBUILD_RESOLVED_SOURCE_VERSION: ctx.commit,
    CODEBUILD_SOURCE_VERSION: ctx.commit,
    CODEBUILD_INITIATOR: 'mod/local',
    CODEBUILD_LOCAL_BUILD: 'true',
    CI: 'true',
  };
  for (const unsupported of ['parameter-store', 'secrets-manager'] as const) {
    if (spec.env[unsupported]) {
      ctx.events({ type: 'notice', level: 'warn', message: `buildspec env.${unsupported} is not available in a local build; those variables are unset` });
    }
  }

  const phases: BuildResult['phases'] = [];
  let succeeding = true;
  let buildOver = false;
  let firstFailure: BuildFailedError | undefined;

  for (const name of PHASE_NAMES) {
    const phase = spec.phases[name];
    if (!phase || buildOver) {
      if (phase) ctx.events({ type: 'build.phase', phase: name, status: 'skipped' });
      phases.push({ name, status: 'SKIPPED', durationMs: 0 });
      continue;
    }
    const phaseStart = Date.now();
    ctx.events({ type: 'build.phase', phase: name, status: 'start' });
    await appendLog(logFile, `\n[Container] Entering phase ${name.toUpperCase()}\n`);
    const env = { ...baseEnv, CODEBUILD_BUILD_SUCCEEDING: succeeding ? '1' : '0' };
    const failure = await runPhase(name, phase, { ctx, env, shell, statePrefix, logFile, deadline });
    const durationMs = Date.now() - phaseStart;
    const state = failure ? 'FAILED' : 'SUCCEEDED';
    phases.push({ name, status: state, durationMs });
    ctx.events({ type: 'build.phase', phase: name, status: failure ? 'failed' : 'succeeded', durationMs });
    await appendLog(logFile, `[Container] Phase complete: ${name.toUpperCase()} State: ${state}\n`);
    if (!failure) continue;
    if (failure.code === 'BUILD_TIMEOUT' || failure.code === 'BUILD_ABORTED') throw failure;
    succeeding = false;
    firstFailure ??= failure;
    // CodeBuild's transitions: a failed BUILD still runs POST_BUILD; any other
    // failed phase ends the build, unless the phase says on-failure: CONTINUE.
    if (phase['on-failure'] !== 'CONTINUE' && name !== 'build') buildOver = true;
  }
  if (firstFailure) throw firstFailure;

  if (spec.artifacts) await collectArtifacts(spec.artifacts, ctx.srcDir, ctx.outDir, logFile);
  else await mkdir(ctx.outDir, { recursive: true });
  return { logFile, durationMs: Date.now() - started, phases };
}

interface PhaseRun {
  ctx: BuildContext;
  env: Record<string, string | undefined>;
  shell: string;
  statePrefix: string;
  logFile: string;
  deadline: number;
}

async function runPhase(name: PhaseName, phase: BuildPhase, run: PhaseRun): Promise<BuildFailedError | undefined> {
  const failure = await runCommands(name, phase.commands, run);
  const finallyFailure = phase.finally.length ? await runCommands(name, phase.finally, run) : undefined;
  return failure ?? finallyFailure;
}

async function runCommands(name: PhaseName, commands: string[], run: PhaseRun): Promise<BuildFailedError | undefined> {
  if (commands.length === 0) return undefined;
  const { ctx, statePrefix, logFile } = run;
  const cmdFile = `${statePrefix}.cmd`;
  const script = [
    `__mod_state=${quote(statePrefix)}`,
    `if [ -f "$__mod_state.env" ]; then . "$__mod_state.env"; fi`,
    // Saved state must not override what changes between phases.
    `export CODEBUILD_BUILD_SUCCEEDING=${run.env.CODEBUILD_BUILD_SUCCEEDING ?? '1'}`,
    `cd "$(cat "$__mod_state.cwd")" || exit 1`,
    `trap 'export -p > "$__mod_state.env"; pwd > "$__mod_state.cwd"' EXIT`,
    ...commands.flatMap((command, index) => [`echo ${index} > "$__mod_state.cmd"`, `echo ${quote(`[Container] Running command ${command}`)}`, command, `__mod_rc=$?; if [ "$__mod_rc" -ne 0 ]; then exit "$__mod_rc"; fi`]),
    `echo done > "$__mod_state.cmd"`,
  ].join('\n');
  await rm(cmdFile, { force: true });
  const remaining = run.deadline - Date.now();
  const result = await runScript({
    command: run.shell,
    args: ['-c', script],
    cwd: ctx.srcDir,
    env: run.env,
    logFile,
    timeoutMs: Math.max(remaining, 1),
    signal: ctx.signal,
    onLine: (line) => ctx.events({ type: 'build.output', line }),
  });
  const marker = (await readFile(cmdFile, 'utf8').catch(() => '')).trim();
  if (marker === 'done' && result.exitCode === 0) return undefined;
  const index = Number(marker);
  const commandText = Number.isInteger(index) && marker !== '' ? commands[index] : undefined;
  const tail = await tailFile(logFile, 20);
  if (result.timedOut) {
    const error = new BuildFailedError(name, commandText, null, tail, logFile, 'build timed out');
    Object.defineProperty(error, 'code', { value: 'BUILD_TIMEOUT' });
    return error;
  }
  if (result.aborted) {
    const error = new BuildFailedError(name, commandText, null, tail, logFile, 'interrupted');
    Object.defineProperty(error, 'code', { value: 'BUILD_ABORTED' });
    return error;
  }
  const reason = result.exitCode === null ? `killed by ${result.signal}` : `exit status ${result.exitCode}`;
  return new BuildFailedError(name, commandText, result.exitCode, tail, logFile, reason);
}

async function collectArtifacts(artifacts: NonNullable<Buildspec['artifacts']>, srcDir: string, outDir: string, logFile: string): Promise<void> {
  const base = path.resolve(srcDir, artifacts['base-directory'] ?? '.');
  if (!base.startsWith(path.resolve(srcDir))) {
    throw new BuildFailedError('UPLOAD_ARTIFACTS', undefined, null, [], logFile, `artifacts.base-directory escapes the source: ${artifacts['base-directory']}`);
  }
  const files = await glob(artifacts.files, { cwd: base, dot: true, onlyFiles: true, ignore: artifacts['exclude-paths'], followSymbolicLinks: false });
  if (files.length === 0) {
    throw new BuildFailedError('UPLOAD_ARTIFACTS', undefined, null, await tailFile(logFile, 10), logFile, `no artifact files matched ${JSON.stringify(artifacts.files)} in ${artifacts['base-directory'] ?? '.'}`);
  }
  await mkdir(outDir, { recursive: true });
  const madeDirs = new Set<string>();
  for (const file of files) {
    const target = path.join(outDir, artifacts['discard-paths'] ? path.basename(file) : file);
    const dir = path.dirname(target);
    if (!madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      madeDirs.add(dir);
    }
    await cp(path.join(base, file), target, { preserveTimestamps: true, verbatimSymlinks: true });
  }
  await appendLog(logFile, `[Container] Collected ${files.length} artifact file(s)\n`);
}

async function appendLog(file: string, text: string): Promise<void> {
  await writeFile(file, text, { flag: 'a' });
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
