// issue 11.5: appspec `permissions` applied after the files are copied, as the
// CodeDeploy agent does: installer.rb generate_instructions (which objects),
// install_instruction.rb CommandBuilder#set_permissions / find_matches and
// ChangeModeCommand, ChangeOwnerCommand, ChangeAclCommand, ChangeContextCommand
// under lib/instance_agent/plugins/codedeploy/. Runs as root here, so chown works.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAppspec } from '../../../../../src/delivery/providers/local/appspec.js';
import type { LocalInstance } from '../../../../../src/delivery/providers/local/local-instances.js';
import { installFiles } from '../../../../../src/delivery/providers/local/revision-files.js';

let base: string;
let instance: LocalInstance;
let archive: string;
beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'mod-install-perm-'));
  instance = { id: 'i-local-1', dir: path.join(base, 'instance'), root: path.join(base, 'instance', 'root'), port: 0, createdAt: new Date().toISOString() };
  archive = path.join(base, 'archive');
  await mkdir(instance.root, { recursive: true });
  for (const file of ['bin/run.sh', 'bin/lib/helper.sh', 'bin/README', 'conf/app.conf']) {
    await mkdir(path.dirname(path.join(archive, file)), { recursive: true });
    await writeFile(path.join(archive, file), file);
    await chmod(path.join(archive, file), 0o644);
  }
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const modeOf = async (p: string) => (await stat(path.join(instance.root, p))).mode & 0o7777;
const install = (permissions: string) => installFiles(instance, parseAppspec(`version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /opt/app\npermissions:\n${permissions}`), archive);
const onPath = (command: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('issue 11.5: which objects a permission touches (installer.rb generate_instructions, find_matches)', () => {
  it('mode applies to every installed file and directory below the object, not to the object itself', async () => {
    await install('  - object: /opt/app\n    mode: 750\n');
    expect(await modeOf('/opt/app/bin/run.sh')).toBe(0o750);
    expect(await modeOf('/opt/app/bin/lib')).toBe(0o750);
    expect(await modeOf('/opt/app/conf/app.conf')).toBe(0o750);
    expect(await modeOf('/opt/app')).toBe(0o755);
  });

  it('type [file] leaves directories alone; type [directory] leaves files alone', async () => {
    await install('  - object: /opt/app/bin\n    mode: 700\n    type: [file]\n  - object: /opt/app/conf\n    mode: 700\n    type: [directory]\n');
    expect(await modeOf('/opt/app/bin/run.sh')).toBe(0o700);
    expect(await modeOf('/opt/app/bin/lib')).toBe(0o755);
    expect(await modeOf('/opt/app/conf/app.conf')).toBe(0o644);
  });

  it('a pattern matches direct children only; except excludes', async () => {
    await install("  - object: /opt/app/bin\n    pattern: '*.sh'\n    except: ['README']\n    mode: 755\n    type: [file]\n");
    expect(await modeOf('/opt/app/bin/run.sh')).toBe(0o755);
    expect(await modeOf('/opt/app/bin/lib/helper.sh')).toBe(0o644);
    expect(await modeOf('/opt/app/bin/README')).toBe(0o644);
  });

  it('an object that is an installed file gets the permission itself', async () => {
    await install('  - object: /opt/app/conf/app.conf\n    mode: 600\n');
    expect(await modeOf('/opt/app/conf/app.conf')).toBe(0o600);
  });

  it('a pattern on an object that is a file is refused (validate_file_permission)', async () => {
    await expect(install("  - object: /opt/app/conf/app.conf\n    pattern: '*.conf'\n    mode: 600\n")).rejects.toThrow(/is a file but its permission has a pattern.*validate_file_permission/);
  });

  it('files that were on the host before, under the object, are not touched: only what this install copied or created', async () => {
    await mkdir(path.join(instance.root, 'opt/app/conf'), { recursive: true });
    await writeFile(path.join(instance.root, 'opt/app/conf/local.conf'), 'host');
    await chmod(path.join(instance.root, 'opt/app/conf/local.conf'), 0o640);
    await install('  - object: /opt/app\n    mode: 600\n    type: [file]\n');
    expect(await modeOf('/opt/app/conf/local.conf')).toBe(0o640);
    expect(await modeOf('/opt/app/conf/app.conf')).toBe(0o600);
  });

  it('the same object given permissions twice is refused (CommandBuilder#set_permissions)', async () => {
    await expect(install('  - object: /opt/app\n    mode: 700\n  - object: /opt/app/bin\n    mode: 755\n')).rejects.toThrow(/set more than once.*set_permissions/);
  });

  it('an object neither installed nor an existing directory is ignored', async () => {
    await install('  - object: /nowhere\n    mode: 700\n');
    expect(await modeOf('/opt/app/bin/run.sh')).toBe(0o644);
  });
});

describe('issue 11.5: owner and group (ChangeOwnerCommand, Etc.getpwnam)', () => {
  it('owner and group are set by name on the installed objects', async () => {
    await install('  - object: /opt/app/bin\n    owner: nobody\n    group: daemon\n');
    const info = await stat(path.join(instance.root, 'opt/app/bin/run.sh'));
    expect([info.uid, info.gid]).toEqual([65534, 1]);
  });

  it('an owner that does not exist fails Install, naming it', async () => {
    await expect(install('  - object: /opt/app/bin\n    owner: no-such-user-11\n')).rejects.toThrow(/can't find user for no-such-user-11/);
  });
});

describe('issue 11.5: acls and SELinux context (ChangeAclCommand, ChangeContextCommand)', () => {
  it('acls are set with setfacl --set (mode base entries added); without setfacl, Install fails saying so, as the agent would', async () => {
    const attempt = install('  - object: /opt/app/conf\n    acls: ["u:nobody:rw"]\n');
    if (onPath('setfacl')) {
      await attempt;
      expect(execFileSync('getfacl', ['-c', path.join(instance.root, 'opt/app/conf/app.conf')], { encoding: 'utf8' })).toMatch(/user:nobody:rw-/);
    } else {
      await expect(attempt).rejects.toThrow(/setfacl --set user:nobody:rw-,user::rw-,group::r--,other::r--,mask::r-- .*app\.conf could not run: setfacl is not installed.*ChangeAclCommand/);
    }
  });

  it('a default (d:) acl entry matching a file is refused (validate_file_acl)', async () => {
    await expect(install('  - object: /opt/app/conf\n    acls: ["d:u:nobody:rw"]\n    type: [file]\n')).rejects.toThrow(/default \(d:\) acl entry would apply to the file.*validate_file_acl/);
  });

  it('a context runs semanage fcontext -a and restorecon; without them, Install fails saying what it would run', async () => {
    const attempt = install("  - object: /opt/app/conf\n    context:\n      type: httpd_sys_content_t\n      range: 's0'\n    type: [file]\n");
    if (!onPath('semanage')) {
      await expect(attempt).rejects.toThrow(/semanage fcontext -a -t httpd_sys_content_t -r s0 .*app\.conf could not run: semanage is not installed.*ChangeContextCommand/);
    } else {
      // With SELinux tools present the outcome depends on the host policy; it must at least not leave the install half-recorded.
      await attempt.catch((error: Error) => expect(error.message).toMatch(/ChangeContextCommand/));
    }
  });
});
