// issue 11.2 / 11.3: CodeDeploy's Install as the agent runs it, on real
// directories: installer.rb (generate_instructions, file_exists_behavior),
// install_instruction.rb (CommandBuilder, CopyCommand, MakeDirectoryCommand,
// the cleanup file and RemoveCommand) under lib/instance_agent/plugins/codedeploy/;
// the agent's own cases: test/instance_agent/plugins/codedeploy/installer_test.rb
// and install_instruction_test.rb.
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAppspec } from '../../../../../src/delivery/providers/local/appspec.js';
import type { LocalInstance } from '../../../../../src/delivery/providers/local/local-instances.js';
import { installFiles, type InstallOptions } from '../../../../../src/delivery/providers/local/revision-files.js';

let base: string;
let instance: LocalInstance;
beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mod-install-'));
  instance = { id: 'i-local-1', dir: path.join(base, 'instance'), root: path.join(base, 'instance', 'root'), port: 0, createdAt: new Date().toISOString() };
  await mkdir(instance.root, { recursive: true });
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

let revisions = 0;
/** A revision directory with these files (a trailing / makes a directory, "-> target" a symlink). */
async function revision(files: Record<string, string>): Promise<string> {
  const dir = path.join(base, `revision-${++revisions}`);
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    if (name.endsWith('/')) await mkdir(file, { recursive: true });
    else if (content.startsWith('-> ')) await symlink(content.slice(3), file);
    else await writeFile(file, content);
  }
  return dir;
}

const onHost = (p: string) => path.join(instance.root, p);
const exists = (p: string) =>
  lstat(onHost(p)).then(
    () => true,
    () => false,
  );
const read = (p: string) => readFile(onHost(p), 'utf8');

async function install(appspecText: string, files: Record<string, string>, options?: InstallOptions): Promise<string> {
  const dir = await revision(files);
  await installFiles(instance, parseAppspec(`version: 0.0\nos: linux\n${appspecText}`), dir, options);
  return dir;
}

const ALL_TO_APP = 'files:\n  - source: /\n    destination: /opt/app\n';

describe('issue 11.3: file_exists_behavior (installer.rb generate_normal_copy, deployment_specification.rb)', () => {
  it('the default is DISALLOW: a first deploy onto a host where a file already exists fails, naming it, and copies nothing', async () => {
    await mkdir(onHost('/opt/app'), { recursive: true });
    await writeFile(onHost('/opt/app/index.html'), 'already here');
    await expect(install(ALL_TO_APP, { 'index.html': 'new', 'other.txt': 'x' })).rejects.toThrow(/a file already exists at \/opt\/app\/index\.html and file_exists_behavior is DISALLOW.*installer\.rb/);
    expect(await read('/opt/app/index.html')).toBe('already here');
    expect(await exists('/opt/app/other.txt')).toBe(false);
  });

  it("the deployment's fileExistsBehavior applies when the appspec has none", async () => {
    await mkdir(onHost('/opt/app'), { recursive: true });
    await writeFile(onHost('/opt/app/index.html'), 'old');
    await install(ALL_TO_APP, { 'index.html': 'new' }, { fileExistsBehavior: 'OVERWRITE' });
    expect(await read('/opt/app/index.html')).toBe('new');
  });

  it("the appspec's file_exists_behavior wins over the deployment's (installer.rb prefers application_specification.file_exists_behavior)", async () => {
    await mkdir(onHost('/opt/app'), { recursive: true });
    await writeFile(onHost('/opt/app/index.html'), 'old');
    await install(`${ALL_TO_APP}file_exists_behavior: RETAIN\n`, { 'index.html': 'new' }, { fileExistsBehavior: 'OVERWRITE' });
    expect(await read('/opt/app/index.html')).toBe('old');
  });

  it('issue 11.2: RETAIN keeps the existing file and still installs the new ones', async () => {
    await mkdir(onHost('/opt/app/conf'), { recursive: true });
    await writeFile(onHost('/opt/app/conf/config.json'), 'edited on the host');
    await install(`${ALL_TO_APP}file_exists_behavior: RETAIN\n`, { 'conf/config.json': 'shipped', 'conf/new.json': 'new file in the same directory' });
    expect(await read('/opt/app/conf/config.json')).toBe('edited on the host');
    expect(await read('/opt/app/conf/new.json')).toBe('new file in the same directory');
  });

  it('files the previous deployment installed never count as existing: they are removed first (installer.rb install replays the cleanup file)', async () => {
    await install(ALL_TO_APP, { 'index.html': 'v1' });
    await install(ALL_TO_APP, { 'index.html': 'v2' });
    expect(await read('/opt/app/index.html')).toBe('v2');
  });
});

describe('issue 11.2: Install merges file by file and cleans up only what it installed (install_instruction.rb)', () => {
  it('a file the app created inside an installed directory survives the next deploy; the directory stays because it is not empty', async () => {
    await install(ALL_TO_APP, { 'index.html': 'v1', 'data/seed.txt': 'seed' });
    await writeFile(onHost('/opt/app/data/uploaded.bin'), 'user data');
    await writeFile(onHost('/opt/app/app.log'), 'log');
    await install(ALL_TO_APP, { 'index.html': 'v2' });
    expect(await read('/opt/app/data/uploaded.bin')).toBe('user data');
    expect(await read('/opt/app/app.log')).toBe('log');
    expect(await exists('/opt/app/data/seed.txt')).toBe(false);
  });

  it('a file and a directory dropped from the revision are removed; an emptied directory is removed (rmdir, RemoveCommand)', async () => {
    await install(ALL_TO_APP, { 'index.html': 'v1', 'old/a.txt': 'a' });
    await install(ALL_TO_APP, { 'index.html': 'v2' });
    expect(await exists('/opt/app/old')).toBe(false);
    expect(await read('/opt/app/index.html')).toBe('v2');
  });

  it('missing ancestors are created and recorded, so a later deploy with no files removes them when empty (fill_in_missing_ancestors)', async () => {
    await install('files:\n  - source: bin/tool\n    destination: /usr/local/lib/mod/bin\n', { 'bin/tool': '#!/bin/sh\n' });
    expect(await read('/usr/local/lib/mod/bin/tool')).toBe('#!/bin/sh\n');
    const cleanup = await readFile(path.join(instance.dir, 'deployment-instructions', 'cleanup'), 'utf8');
    expect(cleanup.split('\n')).toEqual(['/usr', '/usr/local', '/usr/local/lib', '/usr/local/lib/mod', '/usr/local/lib/mod/bin', '/usr/local/lib/mod/bin/tool', '']);
    await install('', {});
    expect(await exists('/usr')).toBe(false);
  });

  it('a directory that existed before the first deploy is not recorded and never removed', async () => {
    await mkdir(onHost('/opt'), { recursive: true });
    await install(ALL_TO_APP, { 'index.html': 'v1' });
    await install('', {});
    expect(await exists('/opt/app')).toBe(false);
    expect(await exists('/opt')).toBe(true);
  });

  it('a source file is installed as destination/<basename> (installer.rb generate_instructions)', async () => {
    await install('files:\n  - source: config/app.conf\n    destination: /etc/app\n', { 'config/app.conf': 'conf' });
    expect(await read('/etc/app/app.conf')).toBe('conf');
  });

  it('a relative destination resolves from / (File.expand_path from the agent working directory)', async () => {
    await install('files:\n  - source: a.txt\n    destination: srv/rel\n', { 'a.txt': 'a' });
    expect(await read('/srv/rel/a.txt')).toBe('a');
  });

  it('a symlink in the revision is installed as a symlink to the same target (CopyCommand)', async () => {
    await install(ALL_TO_APP, { 'real.txt': 'r', 'link.txt': '-> real.txt' });
    expect((await lstat(onHost('/opt/app/link.txt'))).isSymbolicLink()).toBe(true);
    expect(await readlink(onHost('/opt/app/link.txt'))).toBe('real.txt');
  });

  it('two sources for one destination are refused before anything is copied (CommandBuilder#copy)', async () => {
    await expect(install('files:\n  - source: a/x.txt\n    destination: /opt/app\n  - source: b/x.txt\n    destination: /opt/app\n', { 'a/x.txt': '1', 'b/x.txt': '2' })).rejects.toThrow(
      /two source files.*at the same destination \/opt\/app\/x\.txt.*CommandBuilder#copy/,
    );
    expect(await exists('/opt/app')).toBe(false);
  });

  it('a file where another entry makes a directory is refused (CommandBuilder#mkdir)', async () => {
    await expect(install('files:\n  - source: x\n    destination: /opt\n  - source: dir\n    destination: /opt/x\n', { x: 'file', 'dir/inner.txt': 'i' })).rejects.toThrow(/CommandBuilder#mkdir/);
  });

  it('a source missing from the revision fails Install at its copy, after the copies before it (CopyCommand, FileUtils.copy ENOENT)', async () => {
    await expect(install('files:\n  - source: a.txt\n    destination: /opt/one\n  - source: missing.txt\n    destination: /opt/two\n', { 'a.txt': 'a' })).rejects.toThrow(/the revision has no .*missing\.txt/);
    expect(await read('/opt/one/a.txt')).toBe('a');
  });

  it('a non-string source passes the parser but fails Install (File.join TypeError)', async () => {
    await expect(install('files:\n  - source: 5\n    destination: /opt\n', {})).rejects.toThrow(/no implicit conversion of Integer into String/);
  });

  it('an unfinished last line of the cleanup file is ignored (parse_remove_commands drops it)', async () => {
    await install(ALL_TO_APP, { 'keep.txt': 'k', 'gone.txt': 'g' });
    await writeFile(path.join(instance.dir, 'deployment-instructions', 'cleanup'), '/opt/app/gone.txt\n/opt/app/keep.txt');
    await install('', {});
    expect(await exists('/opt/app/gone.txt')).toBe(false);
    expect(await read('/opt/app/keep.txt')).toBe('k');
  });

  it('installed files are copies, not links: an app rewriting one in place leaves the revision intact (why: see install-instructions.ts)', async () => {
    const dir = await install(ALL_TO_APP, { 'state.db': 'shipped' });
    await writeFile(onHost('/opt/app/state.db'), 'rewritten by the app');
    expect(await readFile(path.join(dir, 'state.db'), 'utf8')).toBe('shipped');
    expect((await stat(onHost('/opt/app/state.db'))).ino).not.toBe((await stat(path.join(dir, 'state.db'))).ino);
  });

  it("a copy keeps the source's mode and modification time (FileUtils.copy :preserve => true)", async () => {
    const dir = await revision({ 'run.sh': '#!/bin/sh\n' });
    const { chmod, utimes } = await import('node:fs/promises');
    await chmod(path.join(dir, 'run.sh'), 0o750);
    await utimes(path.join(dir, 'run.sh'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    await installFiles(instance, parseAppspec(`version: 0.0\nos: linux\n${ALL_TO_APP}`), dir);
    const installed = await stat(onHost('/opt/app/run.sh'));
    expect(installed.mode & 0o7777).toBe(0o750);
    expect(installed.mtime.toISOString()).toBe('2020-01-01T00:00:00.000Z');
  });

  it('an instance installed by an older mod (installed-files.json) is cleaned up once, so the first agent-style deploy is not refused', async () => {
    await mkdir(onHost('/opt/app'), { recursive: true });
    await writeFile(onHost('/opt/app/index.html'), 'installed by the old mod');
    await writeFile(path.join(instance.dir, 'installed-files.json'), JSON.stringify([onHost('/opt/app/index.html')]));
    await install(ALL_TO_APP, { 'index.html': 'v2' });
    expect(await read('/opt/app/index.html')).toBe('v2');
    await expect(stat(path.join(instance.dir, 'installed-files.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
