// CodeBuild fidelity: what a buildspec may say, and what a local build does
// with the parts only AWS can honour. Source: "Build specification reference
// for CodeBuild" (syntax, version, run-as, env/shell, parameter-store,
// secrets-manager, batch, phases/install/runtime-versions, cache, proxy).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../../src/errors.js';
import { BuildFailedError } from '../../../../../src/delivery/providers/local/buildspec-runner.js';
import { build, output } from './buildspec-harness.js';

const nodeMajor = process.versions.node.split('.')[0]!;

describe('buildspec syntax CodeBuild accepts', () => {
  it('issue 11.9: `commands` and `finally` as a single scalar, and a scalar artifacts.files', async () => {
    const b = await build('version: 0.2\nphases:\n  build:\n    commands: echo hi > out.txt\n    finally: echo done\nartifacts:\n  files: out.txt\n');
    expect(b.outcome).not.toBeInstanceOf(Error);
    expect(output(b)).toEqual(['done']);
    expect(await b.artifacts()).toEqual(['out.txt']);
  });

  it('issue 11.9: version as a string "0.2" and version 0.1; any other version is refused naming the key', async () => {
    expect((await build("version: '0.2'\nphases:\n  build:\n    commands: [echo a]\n")).outcome).not.toBeInstanceOf(Error);
    expect((await build('version: 0.1\nphases:\n  build:\n    commands: [echo a]\n')).outcome).not.toBeInstanceOf(Error);
    const bad = await build('version: 0.3\nphases:\n  build:\n    commands: [echo a]\n');
    expect(bad.outcome).toBeInstanceOf(ConfigError);
    expect((bad.outcome as Error).message).toMatch(/version: expected version 0\.2 \(or 0\.1\)/);
  });

  it('an unknown key is an error (CodeBuild: YAML_FILE_ERROR), e.g. a misspelt phase', async () => {
    const b = await build('version: 0.2\nphases:\n  biuld:\n    commands: [echo a]\n');
    expect((b.outcome as Error).message).toMatch(/phases\.biuld: unknown key/);
  });

  it('env.shell: a Windows shell is refused on a Linux build', async () => {
    const b = await build('version: 0.2\nenv:\n  shell: powershell.exe\nphases:\n  build:\n    commands: [echo a]\n');
    expect((b.outcome as Error).message).toMatch(/env\.shell: powershell\.exe is a Windows shell/);
  });

  it('runtime-versions outside the install phase is refused (the reference documents it under phases/install)', async () => {
    const b = await build('version: 0.2\nphases:\n  build:\n    runtime-versions:\n      nodejs: 20\n    commands: [echo a]\n');
    expect((b.outcome as Error).message).toMatch(/phases\.build\.runtime-versions: runtime-versions belongs to the install phase/);
  });
});

describe('buildspec parts only AWS can honour: supported where a local build can, refused (exit 2) where not', () => {
  it('issue 11.10: batch is refused with a hint', async () => {
    const b = await build('version: 0.2\nbatch:\n  fast-fail: true\nphases:\n  build:\n    commands: [echo a]\n');
    expect(b.outcome).toBeInstanceOf(ConfigError);
    expect(b.outcome).toMatchObject({ exitCode: 2, hint: expect.stringMatching(/remove batch/) });
    expect(output(b)).toEqual([]);
  });

  it('issue 11.10: parameter-store / secrets-manager take their value from the environment mod runs in, else the build is refused before any command', async () => {
    const yaml = 'version: 0.2\nenv:\n  parameter-store:\n    LOGIN_PASSWORD: /CodeBuild/dockerLoginPassword\n  secrets-manager:\n    TOKEN: "prod/token:key"\nphases:\n  build:\n    commands: [echo "$LOGIN_PASSWORD $TOKEN"]\n';
    const refused = await build(yaml);
    expect(refused.outcome).toBeInstanceOf(ConfigError);
    expect((refused.outcome as ConfigError).message).toMatch(/env\.parameter-store\.LOGIN_PASSWORD: a local build cannot read Systems Manager Parameter Store/);
    expect((refused.outcome as ConfigError).hint).toMatch(/export LOGIN_PASSWORD=\.\.\./);
    expect(output(refused)).toEqual([]);
    const provided = await build(yaml, { env: { PATH: process.env.PATH, LOGIN_PASSWORD: 'pw', TOKEN: 'tk' } });
    expect(output(provided)).toEqual(['pw tk']);
  });

  it('issue 11.10: cache is not silently dropped: a notice says the local build keeps no cache (CodeBuild NO_CACHE)', async () => {
    const b = await build("version: 0.2\nphases:\n  build:\n    commands: [echo a]\ncache:\n  paths:\n    - '/root/.m2/**/*'\n");
    expect(b.outcome).not.toBeInstanceOf(Error);
    expect(b.events).toContainEqual(expect.objectContaining({ type: 'notice', message: expect.stringMatching(/cache: a local build keeps no cache/) }));
  });

  it('proxy and git-credential-helper are accepted and logged', async () => {
    const b = await build('version: 0.2\nenv:\n  git-credential-helper: yes\nproxy:\n  upload-artifacts: yes\n  logs: no\nphases:\n  build:\n    commands: [echo a]\n');
    expect(b.outcome).not.toBeInstanceOf(Error);
    expect(b.log).toMatch(/proxy: no explicit proxy server/);
  });
});

describe('phases/install/runtime-versions (checked against this machine; CodeBuild would install it)', () => {
  it(`issue 11.10: nodejs ${nodeMajor} / ${nodeMajor}.x / latest / "$VAR" are satisfied by this machine's node, and the log says what CodeBuild would install`, async () => {
    const b = await build(`version: 0.2\nenv:\n  variables:\n    NODE_WANTED: "${nodeMajor}"\nphases:\n  install:\n    runtime-versions:\n      nodejs: "$NODE_WANTED"\n    commands: [echo ok]\n`);
    expect(b.outcome).not.toBeInstanceOf(Error);
    expect(b.log).toMatch(new RegExp(`Installing runtime nodejs ${nodeMajor}: CodeBuild would select it from its image; this machine's nodejs ${process.versions.node} satisfies it`));
    for (const v of [`${nodeMajor}.x`, 'latest', nodeMajor]) {
      expect((await build(`version: 0.2\nphases:\n  install:\n    runtime-versions:\n      nodejs: ${v}\n    commands: [echo ok]\n`)).outcome).not.toBeInstanceOf(Error);
    }
  });

  it('issue 11.10: a version this machine does not have fails the install phase, saying which it has', async () => {
    const b = await build('version: 0.2\nphases:\n  install:\n    runtime-versions:\n      nodejs: 99\n    commands: [echo never]\n  build:\n    commands: [echo never]\n');
    expect(b.outcome).toBeInstanceOf(BuildFailedError);
    expect((b.outcome as Error).message).toMatch(new RegExp(`phase install: runtime-versions: nodejs 99 is wanted but this machine has nodejs ${process.versions.node.replace(/\./g, '\\.')}`));
    expect(output(b)).toEqual([]);
  });

  it('an unknown runtime, or one whose tool is not on PATH, fails the install phase', async () => {
    const unknown = await build('version: 0.2\nphases:\n  install:\n    runtime-versions:\n      cobol: 1\n    commands: [echo never]\n');
    expect((unknown.outcome as Error).message).toMatch(/unknown runtime "cobol"/);
    const absent = await build('version: 0.2\nphases:\n  install:\n    runtime-versions:\n      golang: 1.21\n    commands: [echo never]\n', { env: { PATH: '/nonexistent' } });
    expect((absent.outcome as Error).message).toMatch(/golang 1\.21 is wanted but `go` is not on this machine's PATH/);
  });
});

// This suite runs as root (as CodeBuild's commands do); as another user, switching users is refused instead.
const root = process.getuid?.() === 0;

describe('run-as (global and per phase; "If run-as is not specified, then all commands run as the root user")', () => {
  it('issue 11.10: commands run as the named user for real; the phase-level user takes precedence over the global one', async () => {
    const b = await build('version: 0.2\nrun-as: nobody\nphases:\n  install:\n    run-as: root\n    commands: [id -un]\n  build:\n    commands: [id -un, "echo $HOME"]\n');
    if (!root) return expect((b.outcome as Error).message).toMatch(/needs mod to run as root/);
    expect(b.outcome).not.toBeInstanceOf(Error);
    expect(output(b)).toEqual(['root', 'nobody', '/nonexistent']);
  });

  it('issue 11.10: run-as gives the user read access to the source; state still carries across commands', async () => {
    const b = await build('version: 0.2\nrun-as: nobody\nphases:\n  build:\n    commands: [cat secret.txt, cd sub, V=1, "echo $(basename $PWD) $V"]\n', { files: { 'secret.txt': 'readable', 'sub/x': '' } });
    if (!root) return expect((b.outcome as Error).message).toMatch(/needs mod to run as root/);
    expect(output(b)).toEqual(['readable', 'sub 1']);
  });

  it('run-as fails clearly when the user cannot reach the build directory', async () => {
    const b = await build('version: 0.2\nrun-as: nobody\nphases:\n  build:\n    commands: [echo never]\n', { reachable: false });
    expect(b.outcome).toBeInstanceOf(BuildFailedError);
    expect((b.outcome as Error).message).toMatch(root ? /the user cannot reach the build directory, \S+ \(mode 700\) is not searchable by nobody/ : /needs mod to run as root/);
    expect(output(b)).toEqual([]);
  });

  it('issue 11.10: an unknown user fails the phase before any command runs', async () => {
    const b = await build('version: 0.2\nphases:\n  build:\n    run-as: no-such-user-mod\n    commands: [echo never]\n');
    expect(b.outcome).toBeInstanceOf(BuildFailedError);
    expect((b.outcome as Error).message).toMatch(/run-as user "no-such-user-mod" does not exist on this machine/);
    expect(output(b)).toEqual([]);
  });

  it('without run-as, commands run as the user mod runs as (root in CodeBuild)', async () => {
    const b = await build('version: 0.2\nphases:\n  build:\n    commands: [id -u]\n');
    expect(output(b)).toEqual([String(process.getuid?.())]);
  });
});
