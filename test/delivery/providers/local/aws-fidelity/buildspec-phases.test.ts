// CodeBuild fidelity: phases and what a failure does. Sources: "Build phase
// transitions" (a failed INSTALL / PRE_BUILD goes to FINALIZING, a failed
// BUILD goes on to POST_BUILD, "The UPLOAD_ARTIFACTS phase is always
// attempted, even if the BUILD phase fails"), "Build specification
// reference" (phases/*/on-failure: ABORT aborts the build, CONTINUE continues
// to the next phase, unset follows the transitions; phases/*/finally runs
// even when a command of the block fails; CODEBUILD_BUILD_SUCCEEDING in
// "Environment variables in build environments").
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../../src/errors.js';
import { BuildFailedError } from '../../../../../src/delivery/providers/local/buildspec-runner.js';
import { build, output, phaseStates } from './buildspec-harness.js';

const artifacts = 'artifacts:\n  files: [out.txt]\n';
const four = (failIn: string, onFailure = '') =>
  `version: 0.2
phases:
${['install', 'pre_build', 'build', 'post_build'].map((p) => `  ${p}:\n${p === failIn && onFailure ? `    on-failure: ${onFailure}\n` : ''}    commands:\n      - echo ${p} >> out.txt\n${p === failIn ? '      - exit 4\n' : ''}`).join('')}${artifacts}`;

describe('buildspec phase transitions (CodeBuild "Build phase transitions")', () => {
  it('a failed install skips pre_build, build and post_build, and uploads no artifacts', async () => {
    const b = await build(four('install'));
    expect(b.outcome).toMatchObject({ phase: 'install', commandExitCode: 4 });
    expect(phaseStates(b)).toEqual(['install:failed', 'pre_build:skipped', 'build:skipped', 'post_build:skipped']);
    expect(await b.artifacts()).toEqual([]);
  });

  it('a failed pre_build skips build and post_build, and uploads no artifacts', async () => {
    const b = await build(four('pre_build'));
    expect(phaseStates(b)).toEqual(['install:succeeded', 'pre_build:failed', 'build:skipped', 'post_build:skipped']);
    expect(await b.artifacts()).toEqual([]);
  });

  it('issue 11.10: a failed build still runs post_build (CODEBUILD_BUILD_SUCCEEDING=0) and UPLOAD_ARTIFACTS; the build fails', async () => {
    const b = await build(`${four('build')}`.replace('      - echo post_build >> out.txt', '      - echo "post_build succeeding=$CODEBUILD_BUILD_SUCCEEDING" >> out.txt'));
    expect(b.outcome).toBeInstanceOf(BuildFailedError);
    expect(b.outcome).toMatchObject({ phase: 'build', artifactsDir: b.outDir });
    expect(phaseStates(b)).toEqual(['install:succeeded', 'pre_build:succeeded', 'build:failed', 'post_build:succeeded']);
    expect(await b.read('out/out.txt')).toBe('install\npre_build\nbuild\npost_build succeeding=0\n');
    expect(b.events.filter((e) => e.type === 'build.package').map((e) => (e as { status: string }).status)).toEqual(['start', 'succeeded']);
  });

  it('a failed post_build still uploads the artifacts; the build fails', async () => {
    const b = await build(four('post_build'));
    expect(b.outcome).toMatchObject({ phase: 'post_build', artifactsDir: b.outDir });
    expect(await b.artifacts()).toEqual(['out.txt']);
  });

  it('issue 11.10: on-failure ABORT on the build phase aborts the build: post_build does not run, no artifacts', async () => {
    const b = await build(four('build', 'ABORT'));
    expect(b.outcome).toMatchObject({ phase: 'build' });
    expect(phaseStates(b)).toEqual(['install:succeeded', 'pre_build:succeeded', 'build:failed', 'post_build:skipped']);
    expect(await b.artifacts()).toEqual([]);
  });

  it('on-failure CONTINUE on install goes on to the next phases; the build still fails, naming the first failure', async () => {
    const b = await build(four('install', 'CONTINUE'));
    expect(b.outcome).toMatchObject({ phase: 'install', commandExitCode: 4 });
    expect(phaseStates(b)).toEqual(['install:failed', 'pre_build:succeeded', 'build:succeeded', 'post_build:succeeded']);
    expect(await b.read('out/out.txt')).toBe('install\npre_build\nbuild\npost_build\n');
  });

  it('on-failure RETRY is refused with a clear error (a local build does not rerun itself)', async () => {
    const b = await build(four('build', 'RETRY-2'));
    expect(b.outcome).toBeInstanceOf(ConfigError);
    expect((b.outcome as ConfigError).message).toMatch(/phases\.build\.on-failure: RETRY is not available in a local build/);
    expect((b.outcome as ConfigError).exitCode).toBe(2);
  });

  it('finally runs after a failed command (the remaining commands are skipped) and the phase fails', async () => {
    const b = await build('version: 0.2\nphases:\n  build:\n    commands:\n      - echo one\n      - "false"\n      - echo skipped\n    finally:\n      - echo cleanup\n      - echo cleanup-two\n');
    expect(output(b)).toEqual(['one', 'cleanup', 'cleanup-two']);
    expect(b.outcome).toMatchObject({ phase: 'build', commandText: 'false' });
  });

  it('a failing finally command fails a phase whose commands succeeded', async () => {
    const b = await build('version: 0.2\nphases:\n  install:\n    commands: [echo ok]\n    finally: ["exit 5"]\n  build:\n    commands: [echo built]\n');
    expect(b.outcome).toMatchObject({ phase: 'install', commandText: 'exit 5', commandExitCode: 5 });
    expect(phaseStates(b)).toEqual(['install:failed', 'build:skipped']);
  });

  it('issue 17.14: build.command is emitted before each command with its phase', async () => {
    const b = await build('version: 0.2\nphases:\n  install:\n    commands: [echo a]\n  build:\n    commands: [echo b]\n    finally: [echo c]\n');
    expect(b.events.filter((e) => e.type === 'build.command')).toEqual([
      { type: 'build.command', phase: 'install', command: 'echo a' },
      { type: 'build.command', phase: 'build', command: 'echo b' },
      { type: 'build.command', phase: 'build', command: 'echo c' },
    ]);
    const order = b.events.map((e) => e.type).filter((t) => t === 'build.command' || t === 'build.output');
    expect(order).toEqual(['build.command', 'build.output', 'build.command', 'build.output', 'build.command', 'build.output']);
  });

  it('issue 17.14: build.package surrounds packaging the artifacts, failed when no file matches', async () => {
    const b = await build('version: 0.2\nphases:\n  build:\n    commands: [echo b]\nartifacts:\n  files: [missing/**/*]\n');
    expect(b.outcome).toMatchObject({ phase: 'UPLOAD_ARTIFACTS' });
    expect((b.outcome as Error).message).toMatch(/no artifact files matched/);
    const pkg = b.events.filter((e) => e.type === 'build.package');
    expect(pkg.map((e) => (e as { status: string }).status)).toEqual(['start', 'failed']);
    expect(pkg[1]).toHaveProperty('durationMs');
  });

  it('a timeout stops the build as BUILD_TIMEOUT without running the remaining phases', async () => {
    const b = await build('version: 0.2\nphases:\n  build:\n    commands: ["sleep 30"]\n  post_build:\n    commands: [echo post]\n', { timeoutMs: 500 });
    expect(b.outcome).toMatchObject({ code: 'BUILD_TIMEOUT' });
    expect(output(b)).toEqual([]);
  });
});
