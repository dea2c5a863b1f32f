// CodeDeploy's Install event as the agent runs it (installer.rb and
// install_instruction.rb), on a local instance whose `root` stands for "/":
//
// 1. The previous deployment's cleanup file is replayed backwards: every file
//    the agent installed is removed, every directory it created is removed
//    when empty (rmdir, ENOTEMPTY ignored). Nothing else is touched, so files
//    the app or a user created inside installed directories stay.
// 2. Instructions are generated, and every check made, before anything is
//    copied: file by file, mkdir for each missing directory, the
//    file_exists_behavior of the appspec (else the deployment's, else
//    DISALLOW) for a destination that exists, then `permissions` for the
//    objects this install copies or creates.
// 3. The instructions are written to install.json, then run in order; each
//    installed file and created directory is appended to the cleanup file
//    as it is made (so a failed install is cleaned up by the next one).
//
// Files are copied, never hard-linked from the revision bundle. The bundle is
// immutable and shared by every archive and instance; a hard link shares the
// inode, so an app that rewrites an installed file in place (an appended log,
// a config edited by a hook, a database file shipped in the revision) or a
// `permissions` chmod/chown/setfacl on it would change the bundle and every
// other copy. Read-only modes do not protect it (hooks run as root here).
// A copy is what the agent makes (FileUtils.copy with :preserve); copies are
// tried as reflinks (copy-on-write clones, instant on btrfs/XFS) and fall
// back to a plain copy, and run 64 at a time.
import { spawn } from 'node:child_process';
import { constants, type Dirent } from 'node:fs';
import { chmod, chown, copyFile, lstat, mkdir, open, readFile, readdir, readlink, realpath, rm, rmdir, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Appspec, FileExistsBehavior } from './appspec.js';
import { aceText, expandPath, matchesExcept, matchesPattern, parseAce, rangeText, validateFileAcl, validateFilePermission, type Ace, type LinuxPermission, type SelinuxContext } from './appspec-permissions.js';
import { rubyInspect, typeName, type RubyValue } from './appspec-ruby.js';
import type { LocalInstance } from './local-instances.js';

export interface InstallOptions {
  /** The deployment's file-exists behavior (AgentActionOverrides.FileExistsBehavior): used when the appspec sets none. */
  fileExistsBehavior?: FileExistsBehavior;
}

/** The agent's default when neither the appspec nor the deployment says (deployment_specification.rb). */
export const DEFAULT_FILE_EXISTS_BEHAVIOR: FileExistsBehavior = 'DISALLOW';

/** The acl of one permission entry, shared by every object it matches (as the agent's AclInfo is). */
interface AclState {
  aces: Ace[];
  /** Base entries added before each setfacl; never cleared (acl_info.rb clear_additional assigns a local). */
  additional: Ace[];
}

type Command =
  | { type: 'mkdir'; directory: string }
  | { type: 'copy'; source: string; destination: string; existed: boolean }
  | { type: 'chmod'; file: string; mode: string }
  | { type: 'setfacl'; file: string; acl: AclState }
  | { type: 'semanage'; file: string; context: SelinuxContext }
  | { type: 'chown'; file: string; owner: RubyValue; group: RubyValue };

/**
 * Paths of an instance: host paths ("/opt/mod/x") live under `root`. The
 * existence checks of the generation phase read each directory once (nothing
 * changes on disk until the instructions run), which keeps a revision of
 * thousands of files fast.
 */
class Host {
  private readonly listings = new Map<string, Promise<Map<string, Dirent> | undefined>>();
  constructor(readonly root: string) {}
  real(hostPath: string): string {
    return path.join(this.root, hostPath);
  }
  /** What is at a host path, following symlinks as File.exist? / File.directory? do. */
  async kind(hostPath: string): Promise<'none' | 'file' | 'directory'> {
    if (hostPath === '/') return 'directory';
    const parent = path.posix.dirname(hostPath);
    let listing = this.listings.get(parent);
    if (!listing) {
      listing = readdir(this.real(parent), { withFileTypes: true }).then(
        (entries) => new Map(entries.map((entry) => [entry.name, entry])),
        () => undefined,
      );
      this.listings.set(parent, listing);
    }
    const entry = (await listing)?.get(path.posix.basename(hostPath));
    if (!entry) return 'none';
    if (entry.isSymbolicLink()) {
      return stat(this.real(hostPath)).then(
        (s) => (s.isDirectory() ? 'directory' : 'file'),
        () => 'none',
      );
    }
    return entry.isDirectory() ? 'directory' : 'file';
  }
  async exists(hostPath: string): Promise<boolean> {
    return (await this.kind(hostPath)) !== 'none';
  }
  async isDirectory(hostPath: string): Promise<boolean> {
    return (await this.kind(hostPath)) === 'directory';
  }
  /**
   * Locally only: an operation that follows a symlink must stay inside the
   * instance root (on a host the agent would follow it anywhere; here that
   * would be the developer's own /etc or /opt).
   */
  async confined(hostPath: string, what: string): Promise<string> {
    const real = this.real(hostPath);
    const resolved = await realpath(real).catch(() => undefined);
    if (resolved === undefined) return real;
    const root = await realpath(this.root);
    if (resolved !== root && !resolved.startsWith(root + path.sep)) {
      throw new Error(`${what} ${hostPath}: it resolves to ${resolved}, outside the local instance's root (${root}); locally a symlink is not followed out of the instance`);
    }
    return real;
  }
}

/** Builds the instruction list with the agent's CommandBuilder checks (install_instruction.rb). */
class CommandBuilder {
  readonly commands: Command[] = [];
  readonly copyTargets = new Map<string, string>();
  readonly mkdirTargets = new Set<string>();
  private readonly permissionTargets = new Set<string>();

  copy(source: string, destination: string, existed = false): void {
    const dest = expandPath(destination);
    const other = this.copyTargets.get(dest);
    if (other !== undefined) throw new Error(`the appspec installs two source files, ${source} and ${other}, at the same destination ${dest}: remove one (install_instruction.rb CommandBuilder#copy)`);
    if (this.mkdirTargets.has(dest)) throw new Error(`the appspec installs the file ${source} at ${dest}, where it also creates a directory (install_instruction.rb CommandBuilder#copy)`);
    this.commands.push({ type: 'copy', source, destination: dest, existed });
    this.copyTargets.set(dest, source);
  }

  mkdir(destination: string): void {
    const dest = expandPath(destination);
    const other = this.copyTargets.get(dest);
    if (other !== undefined) throw new Error(`the appspec creates the directory ${dest}, where it also installs the file ${other} (install_instruction.rb CommandBuilder#mkdir)`);
    if (!this.mkdirTargets.has(dest)) this.commands.push({ type: 'mkdir', directory: dest });
    this.mkdirTargets.add(dest);
  }

  setPermissions(object: string, permission: LinuxPermission, acl: AclState | undefined): void {
    const file = expandPath(object);
    if (this.permissionTargets.has(file)) throw new Error(`the permissions of ${file} are set more than once in the appspec (install_instruction.rb CommandBuilder#set_permissions)`);
    this.permissionTargets.add(file);
    if (permission.mode) this.commands.push({ type: 'chmod', file, mode: permission.mode.mode });
    if (acl) this.commands.push({ type: 'setfacl', file, acl });
    if (permission.context) this.commands.push({ type: 'semanage', file, context: permission.context });
    if (permission.owner !== null || permission.group !== null) this.commands.push({ type: 'chown', file, owner: permission.owner, group: permission.group });
  }

  findMatches(permission: LinuxPermission): string[] {
    const matches: string[] = [];
    const matching = (name: string) => matchesPattern(permission, name) && !matchesExcept(permission, name);
    if (permission.type.includes('file')) {
      for (const file of this.copyTargets.keys()) {
        if (!matching(file)) continue;
        validateFileAcl(permission, file);
        matches.push(file);
      }
    }
    if (permission.type.includes('directory')) for (const dir of this.mkdirTargets) if (matching(dir)) matches.push(dir);
    return matches;
  }
}

/** Runs Install on one instance (see the top of this file). */
export async function runInstall(instance: LocalInstance, appspec: Appspec, archiveDir: string, options: InstallOptions = {}): Promise<void> {
  const host = new Host(instance.root);
  const instructionsDir = path.join(instance.dir, 'deployment-instructions');
  const cleanupFile = path.join(instructionsDir, 'cleanup');
  await mkdir(instructionsDir, { recursive: true });
  await removeLegacyManifest(instance);
  const previous = await readFile(cleanupFile, 'utf8').catch(() => undefined);
  if (previous !== undefined) {
    await runCleanup(host, previous);
    await rm(cleanupFile, { force: true });
  }

  const builder = await generateInstructions(host, appspec, archiveDir, appspec.file_exists_behavior ?? options.fileExistsBehavior ?? DEFAULT_FILE_EXISTS_BEHAVIOR);
  await writeFile(path.join(instructionsDir, 'install.json'), JSON.stringify({ instructions: builder.commands.map(commandJson) }, null, 1) + '\n');
  await writeFile(cleanupFile, '');
  await executeCommands(host, builder.commands, cleanupFile);
}

/** mod before the agent's cleanup file recorded top-level entries in installed-files.json: those are removed once. */
async function removeLegacyManifest(instance: LocalInstance): Promise<void> {
  const manifest = path.join(instance.dir, 'installed-files.json');
  const text = await readFile(manifest, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const entries = JSON.parse(text || '[]') as string[];
  for (const entry of entries) if (entry.startsWith(instance.root + path.sep)) await rm(entry, { recursive: true, force: true });
  await unlink(manifest);
}

/**
 * install_instruction.rb parse_remove_commands + RemoveCommand, in reverse
 * order. Files and symlinks go first, many at a time, then directories one by
 * one in reverse order (rmdir, kept when not empty): the end state of the
 * agent's one-by-one pass, since a directory is always listed before what it
 * holds.
 */
async function runCleanup(host: Host, contents: string): Promise<void> {
  if (contents === '') return;
  const lines = contents.split('\n');
  // The last line is unfinished unless the file ends with a newline (an install that died mid-write).
  lines.pop();
  const entries = lines.reverse();
  const directories = new Set<string>();
  await inBatches(entries, CLEANUP_BATCH, async (line) => {
    if (line.startsWith('semanage\0')) {
      await runCommand('semanage', ['fcontext', '-d', line.slice('semanage\0'.length).trim()]);
      return;
    }
    // unlink removes a file or a symlink; on a directory it fails with EISDIR: that one waits for rmdir.
    await unlink(host.real(line.trim())).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EISDIR') directories.add(line);
      else if (error.code !== 'ENOENT') throw error;
    });
  });
  for (const line of entries) {
    if (!directories.has(line)) continue;
    await rmdir(host.real(line.trim())).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'ENOENT') throw error;
    });
  }
}

const CLEANUP_BATCH = 64;

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    const results = await Promise.allSettled(items.slice(i, i + size).map(run));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

async function generateInstructions(host: Host, appspec: Appspec, archiveDir: string, behavior: FileExistsBehavior): Promise<CommandBuilder> {
  const builder = new CommandBuilder();
  for (const file of appspec.files) {
    if (file.installError) throw new Error(file.installError);
    const source = path.join(archiveDir, file.source);
    const sourceIsDirectory = await stat(source).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (sourceIsDirectory) {
      await fillInMissingAncestors(host, builder, expandPath(file.destination));
      await generateDirectoryCopy(host, builder, source, expandPath(file.destination), behavior);
    } else {
      const destination = path.posix.join(expandPath(file.destination), path.basename(source));
      await fillInMissingAncestors(host, builder, destination);
      await generateNormalCopy(host, builder, source, destination, behavior);
    }
  }

  for (const permission of appspec.permissions) {
    const object = permission.object;
    const acl: AclState | undefined = permission.acls ? { aces: permission.acls.aces, additional: [] } : undefined;
    if (builder.copyTargets.has(expandPath(object))) {
      if (permission.type.includes('file')) {
        validateFilePermission(permission);
        validateFileAcl(permission, object);
        builder.setPermissions(object, permission, acl);
      }
    } else if (builder.mkdirTargets.has(expandPath(object)) || (await host.isDirectory(expandPath(object)))) {
      for (const match of builder.findMatches(permission)) builder.setPermissions(match, permission, acl);
    }
  }
  return builder;
}

async function fillInMissingAncestors(host: Host, builder: CommandBuilder, destination: string): Promise<void> {
  const missing: string[] = [];
  let parent = path.posix.dirname(destination);
  while (parent !== '/' && parent !== '.' && !(await host.exists(parent))) {
    missing.unshift(parent);
    parent = path.posix.dirname(parent);
  }
  for (const dir of missing) builder.mkdir(dir);
}

async function generateDirectoryCopy(host: Host, builder: CommandBuilder, source: string, destination: string, behavior: FileExistsBehavior): Promise<void> {
  if (!(await host.isDirectory(destination))) builder.mkdir(destination);
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const entrySource = path.join(source, entry.name);
    const entryDestination = path.posix.join(destination, entry.name);
    // File.directory? follows symlinks: a link to a directory is copied as a directory.
    const isDirectory = entry.isSymbolicLink()
      ? await stat(entrySource).then(
          (s) => s.isDirectory(),
          () => false,
        )
      : entry.isDirectory();
    if (isDirectory) await generateDirectoryCopy(host, builder, entrySource, entryDestination, behavior);
    else await generateNormalCopy(host, builder, entrySource, entryDestination, behavior);
  }
}

async function generateNormalCopy(host: Host, builder: CommandBuilder, source: string, destination: string, behavior: FileExistsBehavior): Promise<void> {
  const existed = await host.exists(destination);
  if (existed) {
    if (behavior === 'DISALLOW') {
      throw new Error(`a file already exists at ${destination} and file_exists_behavior is DISALLOW (the default): set file_exists_behavior: OVERWRITE or RETAIN in the appspec, or remove the file (installer.rb generate_normal_copy)`);
    }
    if (behavior === 'RETAIN') return;
  }
  builder.copy(source, destination, existed);
}

function commandJson(command: Command): Record<string, unknown> {
  if (command.type === 'setfacl') return { type: 'setfacl', acl: command.acl.aces.map(aceText), file: command.file };
  if (command.type === 'semanage') return { type: 'semanage', context: { user: command.context.user ?? null, role: null, type: command.context.type, range: command.context.range ? rangeText(command.context.range) : null }, file: command.file };
  if (command.type === 'chown') return { type: 'chown', owner: command.owner, group: command.group, file: command.file };
  if (command.type === 'copy') return { type: 'copy', source: command.source, destination: command.destination };
  return command;
}

const COPY_BATCH = 64;

/**
 * Runs the instructions in order. Copies run up to COPY_BATCH at a time: a
 * copy starts once every command before it has started, and the mkdirs it
 * depends on have finished (they run in order, each awaited). Each path is in
 * the cleanup file before its copy starts (CopyCommand#execute) or after its
 * directory is made (MakeDirectoryCommand#execute). Permission commands wait
 * for every copy before them.
 */
async function executeCommands(host: Host, commands: Command[], cleanupFile: string): Promise<void> {
  const cleanup = await open(cleanupFile, 'a');
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const drain = async () => {
    await Promise.all(running);
    if (failure) throw failure.error;
  };
  try {
    for (const command of commands) {
      if (failure) break;
      if (command.type !== 'copy') {
        if (command.type !== 'mkdir') await drain();
        await executeOne(host, command, (line) => cleanup.write(`${line}\n`).then(() => undefined));
        continue;
      }
      await cleanup.write(`${command.destination}\n`);
      const copy: Promise<void> = copyOne(host, command)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => running.delete(copy));
      running.add(copy);
      if (running.size >= COPY_BATCH) await Promise.race(running);
    }
    await drain();
  } finally {
    await Promise.all(running);
    await cleanup.close();
  }
}

async function copyOne(host: Host, { source, destination, existed }: Extract<Command, { type: 'copy' }>): Promise<void> {
  const target = host.real(destination);
  const info = await lstat(source).catch((error: NodeJS.ErrnoException) => {
    // The agent generates a copy for a source that is not a directory, existing or not; FileUtils.copy then fails.
    if (error.code === 'ENOENT') throw new Error(`the revision has no ${source}: a files source must exist in the revision (CopyCommand: FileUtils.copy fails)`);
    throw error;
  });
  if (info.isSymbolicLink()) {
    // CopyCommand: a symlink is recreated with the same target (it fails if the destination exists).
    await symlink(await readlink(source), target);
    return;
  }
  // Known from the generation phase; lstat only what was there, for a symlink that would lead out of the root.
  const existing = existed ? await lstat(target).catch(() => undefined) : undefined;
  if (existing?.isSymbolicLink()) await host.confined(destination, 'copy onto');
  // FileUtils.copy(:preserve => true): content into the destination, then times, owner and mode.
  // copyFile (libuv) already gives the destination the source's mode; a chown clears setuid bits, so mode follows it.
  await copyFile(source, target, constants.COPYFILE_FICLONE);
  await utimes(target, info.atime, info.mtime);
  if (existing || info.uid !== process.getuid?.() || info.gid !== process.getgid?.()) {
    await chown(target, info.uid, info.gid).catch(() => undefined);
    await chmod(target, info.mode & 0o7777);
  }
}

async function executeOne(host: Host, command: Exclude<Command, { type: 'copy' }>, record: (line: string) => Promise<void>): Promise<void> {
  switch (command.type) {
    case 'mkdir':
      await mkdir(host.real(command.directory));
      await record(command.directory);
      return;
    case 'chmod':
      await chmod(await host.confined(command.file, 'chmod'), Number.parseInt(command.mode, 8));
      return;
    case 'setfacl':
      await setAcl(host, command.file, command.acl);
      return;
    case 'semanage':
      await setContext(host, command.file, command.context, record);
      return;
    case 'chown':
      await setOwner(host, command.file, command.owner, command.group);
  }
}

function hasAce(acl: AclState, test: (ace: Ace) => boolean): boolean {
  return acl.aces.some(test) || acl.additional.some(test);
}

/** ChangeAclCommand: the appspec's entries plus base ones from the file's mode, set with `setfacl --set`. */
async function setAcl(host: Host, file: string, acl: AclState): Promise<void> {
  const real = await host.confined(file, 'setfacl');
  const perm = ((await stat(real)).mode & 0o777).toString(8).padStart(3, '0');
  const add = (text: string) => acl.additional.push(parseAce(text, [], true));
  add(`:${perm[0]}`);
  add(`g::${perm[1]}`);
  add(`o::${perm[2]}`);
  if (hasAce(acl, (a) => !a.default && a.name !== '') && !hasAce(acl, (a) => !a.default && a.type === 'mask')) add(`m::${perm[1]}`);
  if (hasAce(acl, (a) => a.default)) {
    if (!hasAce(acl, (a) => a.default && a.type === 'user' && a.name === '')) add(`d::${perm[0]}`);
    const defaultGroup = () => [...acl.aces, ...acl.additional].find((a) => a.default && a.type === 'group' && a.name === '');
    if (!defaultGroup()) add(`d:g::${perm[1]}`);
    if (!hasAce(acl, (a) => a.default && a.type === 'other')) add(`d:o:${perm[2]}`);
    if (hasAce(acl, (a) => a.default && a.name !== '') && !hasAce(acl, (a) => a.default && a.type === 'mask')) add(aceText(defaultGroup()!).replace('group:', 'mask'));
  }
  const text = [...acl.aces, ...acl.additional].map(aceText).join(',');
  const result = await runCommand('setfacl', ['--set', text, real]);
  if (result.code !== 0) {
    throw new Error(
      `setting the acls of ${file} failed: setfacl --set ${text} ${real} ${result.missing ? 'could not run: setfacl is not installed (apt-get install acl / dnf install acl)' : `exited ${result.code}: ${result.output.trim()}`} (install_instruction.rb ChangeAclCommand)`,
    );
  }
}

/** ChangeContextCommand: `semanage fcontext -a` then `restorecon -v`; fails where SELinux tools are missing, as the agent does. */
async function setContext(host: Host, file: string, context: SelinuxContext, record: (line: string) => Promise<void>): Promise<void> {
  const real = await realpath(await host.confined(file, 'semanage'));
  const args = ['fcontext', '-a', ...(context.user !== undefined ? ['-s', context.user] : []), '-t', context.type, ...(context.range ? ['-r', rangeText(context.range)] : []), real];
  for (const [command, commandArgs] of [
    ['semanage', args],
    ['restorecon', ['-v', real]],
  ] as const) {
    const result = await runCommand(command, [...commandArgs]);
    if (result.code !== 0) {
      throw new Error(
        `setting the SELinux context of ${file} failed: ${command} ${commandArgs.join(' ')} ${result.missing ? `could not run: ${command} is not installed (policycoreutils); the agent fails the same way on a host without SELinux tools` : `exited ${result.code}: ${result.output.trim()}`} (install_instruction.rb ChangeContextCommand)`,
      );
    }
  }
  await record(`semanage\0${real}`);
}

/** ChangeOwnerCommand: names resolved like Etc.getpwnam / Etc.getgrnam (through NSS: getent). */
async function setOwner(host: Host, file: string, owner: RubyValue, group: RubyValue): Promise<void> {
  const uid = owner === null || owner === false ? -1 : await lookupId('passwd', owner);
  const gid = group === null || group === false ? -1 : await lookupId('group', group);
  await chown(await host.confined(file, 'chown'), uid, gid);
}

async function lookupId(database: 'passwd' | 'group', name: RubyValue): Promise<number> {
  if (typeof name !== 'string') throw new Error(`no implicit conversion of ${typeName(name)} into String: ${database === 'passwd' ? 'owner' : 'group'} ${rubyInspect(name)} must be a name (Etc.getpwnam / Etc.getgrnam)`);
  const result = await runCommand('getent', [database, name]);
  const fields = result.code === 0 ? result.output.split('\n')[0]!.split(':') : [];
  if (fields.length < 3 || !/^\d+$/.test(fields[2]!)) throw new Error(`can't find ${database === 'passwd' ? 'user' : 'group'} for ${name} (Etc.getpw${database === 'passwd' ? 'nam' : ''}${database === 'group' ? 'grnam' : ''}): create it on the instance (image) first`);
  return Number(fields[2]);
}

function runCommand(command: string, args: string[]): Promise<{ code: number; output: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: 127, output: error.message, missing: error.code === 'ENOENT' }));
    child.on('close', (code) => resolve({ code: code ?? 1, output, missing: false }));
  });
}
