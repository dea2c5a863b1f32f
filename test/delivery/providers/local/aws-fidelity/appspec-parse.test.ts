// issue 11.9: the appspec parser accepts exactly what the CodeDeploy agent
// accepts and refuses what it refuses. Each case names the agent source it
// encodes (aws/aws-codedeploy-agent, lib/instance_agent/plugins/codedeploy/
// application_specification/*.rb and command_executor.rb; the agent's own
// cases are in test/instance_agent/plugins/codedeploy/application_specification_test.rb).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAppspec, readRevisionAppspec } from '../../../../../src/delivery/providers/local/appspec.js';
import { ConfigError } from '../../../../../src/errors.js';

const HEAD = 'version: 0.0\nos: linux\n';

function refused(text: string): ConfigError {
  try {
    parseAppspec(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2 });
    return error as ConfigError;
  }
  throw new Error(`accepted, but the agent refuses:\n${text}`);
}

describe('issue 11.9: version and os (application_specification.rb parse_version / parse_os)', () => {
  it('an empty or whitespace-only file is refused (initialize: "the application specification file was empty")', () => {
    expect(refused('').message).toMatch(/empty.*version.*os.*initialize/);
    expect(refused(' \n').message).toMatch(/empty/);
  });

  it('version 0.0 (a YAML Float) is the only version: supported_versions is [0.0]', () => {
    expect(parseAppspec(HEAD).version).toBe('0.0');
  });

  it('version: 0 and 0.00 pass: Array#include? compares 0 == 0.0 as Ruby does', () => {
    expect(parseAppspec('version: 0\nos: linux\n').version).toBe('0.0');
    expect(parseAppspec('version: 0.00\nos: linux\n').version).toBe('0.0');
  });

  it('version: 0.1 is refused, naming the rule', () => {
    const error = refused('version: 0.1\nos: linux\n');
    expect(error.message).toBe('appspec.yml:1: version: invalid version (0.1): it must be the number 0.0 (CodeDeploy agent: application_specification.rb parse_version: supported_versions is [0.0])');
  });

  it('version: "0.0" (a quoted String) is refused: the String "0.0" is not the Float 0.0', () => {
    const error = refused('version: "0.0"\nos: linux\n');
    expect(error.message).toMatch(/invalid version \("0\.0"\)/);
    expect(error.hint).toMatch(/without quotes/);
  });

  it('a missing version is refused: nil is not 0.0', () => {
    expect(refused('os: linux\n').message).toMatch(/version: invalid version \(\)/);
  });

  it('os must be "linux" on the Linux agent (linux_util.rb supported_oses); missing, windows and Linux are refused', () => {
    expect(refused('version: 0.0\n').message).toMatch(/unsupported operating system \(\).*parse_os/);
    expect(refused('version: 0.0\nos: windows\n').message).toMatch(/unsupported operating system \(windows\)/);
    expect(refused('version: 0.0\nos: Linux\n').message).toMatch(/unsupported operating system \(Linux\)/);
  });

  it('unknown top-level keys are ignored: the agent only looks up the keys it knows', () => {
    expect(parseAppspec(`${HEAD}resources: []\nx-notes: anything\n`)).toMatchObject({ files: [], permissions: [], hooks: {} });
  });

  it('a duplicate key keeps the last value, as Psych builds a Ruby Hash', () => {
    expect(parseAppspec('version: 0.0\nos: windows\nos: linux\n').os).toBe('linux');
  });
});

describe('issue 11.3/11.9: file_exists_behavior (parse_file_exists_behavior)', () => {
  it('unset stays unset, so the deployment setting or the agent default DISALLOW applies at Install', () => {
    expect(parseAppspec(HEAD).file_exists_behavior).toBeUndefined();
  });

  it('DISALLOW, OVERWRITE and RETAIN are accepted', () => {
    for (const value of ['DISALLOW', 'OVERWRITE', 'RETAIN']) expect(parseAppspec(`${HEAD}file_exists_behavior: ${value}\n`).file_exists_behavior).toBe(value);
  });

  it('any other value, lower case included, is refused (valid_file_exists_behaviors is case-sensitive)', () => {
    expect(refused(`${HEAD}file_exists_behavior: invalid\n`).message).toMatch(/invalid file_exists_behavior \(invalid\).*parse_file_exists_behavior/);
    expect(refused(`${HEAD}file_exists_behavior: overwrite\n`).message).toMatch(/\(overwrite\)/);
  });
});

describe('issue 11.9: hooks (parse_hooks, script_info.rb)', () => {
  it('a complete hook: location, runas, timeout and sudo as the agent keeps them', () => {
    const appspec = parseAppspec(`${HEAD}hooks:\n  BeforeInstall:\n    - location: test_location_1\n      runas: foo\n      timeout: 30\n      sudo: true\n`);
    expect(appspec.hooks.BeforeInstall).toEqual([{ location: 'test_location_1', runas: 'foo', timeout: 30, sudo: true }]);
  });

  it('a script without timeout gets 3600 (script_info.rb default)', () => {
    expect(parseAppspec(`${HEAD}hooks:\n  AfterInstall:\n    - location: a\n    - location: b\n      timeout: 30\n`).hooks.AfterInstall!.map((h) => h.timeout)).toEqual([3600, 30]);
  });

  it('string and float timeouts are accepted through Ruby to_i: "300" is 300, 1.9 is 1, "30s" is 30', () => {
    const appspec = parseAppspec(`${HEAD}hooks:\n  ApplicationStart:\n    - location: a\n      timeout: "300"\n    - location: b\n      timeout: 1.9\n    - location: c\n      timeout: 30s\n`);
    expect(appspec.hooks.ApplicationStart!.map((h) => h.timeout)).toEqual([300, 1, 30]);
  });

  it('a timeout above 3600 is accepted: the agent has no maximum at parse time (the server caps the event)', () => {
    expect(parseAppspec(`${HEAD}hooks:\n  ValidateService:\n    - location: a\n      timeout: 7200\n`).hooks.ValidateService![0]!.timeout).toBe(7200);
  });

  it('a non-numerical, zero or negative timeout is refused (timeout.to_i must be > 0)', () => {
    for (const value of ['foo', '0', '-5', '"0x10"']) {
      expect(refused(`${HEAD}hooks:\n  BeforeInstall:\n    - location: a\n      timeout: ${value}\n`).message).toMatch(/hooks\.BeforeInstall\.0\.timeout: invalid timeout.*script_info\.rb/);
    }
  });

  it('timeout: true is refused (true has no to_i in Ruby)', () => {
    expect(refused(`${HEAD}hooks:\n  BeforeInstall:\n    - location: a\n      timeout: true\n`).message).toMatch(/to_i/);
  });

  it('location and runas are stripped of blanks (location.to_s.strip)', () => {
    const appspec = parseAppspec(`${HEAD}hooks:\n  BeforeInstall:\n    - location: "scripts/a.sh  "\n      runas: " root "\n`);
    expect(appspec.hooks.BeforeInstall![0]).toMatchObject({ location: 'scripts/a.sh', runas: 'root' });
  });

  it('a script with no location, or a blank one, is refused', () => {
    expect(refused(`${HEAD}hooks:\n  BeforeInstall:\n    - timeout: 30\n`).message).toMatch(/no location value/);
    expect(refused(`${HEAD}hooks:\n  BeforeInstall:\n    - location: "   "\n`).message).toMatch(/empty location/);
  });

  it('an empty hook (no scripts) is ignored and an empty list is kept as a no-op ("Ignore empty hooks")', () => {
    const appspec = parseAppspec(`${HEAD}hooks:\n  ApplicationStop:\n  AfterInstall: []\n  BeforeInstall:\n    - location: a\n`);
    expect(appspec.hooks).toEqual({ AfterInstall: [], BeforeInstall: [{ location: 'a', timeout: 3600 }] });
  });

  it('custom lifecycle names are accepted, validated and kept apart: no command runs them (command_poller.rb DEFAULT_HOOK_MAPPING)', () => {
    const appspec = parseAppspec(`${HEAD}hooks:\n  MyCustomEvent:\n    - location: custom.sh\n  Install:\n    - location: never.sh\n`);
    expect(appspec.hooks).toEqual({});
    expect(appspec.otherHooks).toEqual({ MyCustomEvent: [{ location: 'custom.sh', timeout: 3600 }], Install: [{ location: 'never.sh', timeout: 3600 }] });
    expect(refused(`${HEAD}hooks:\n  MyCustomEvent:\n    - timeout: 5\n`).message).toMatch(/hooks\.MyCustomEvent\.0: a script with no location/);
  });

  it('hooks as a list, or a script written as a bare string, is refused (each_pair / has_key? fail in the agent)', () => {
    expect(refused(`${HEAD}hooks:\n  - BeforeInstall\n`).message).toMatch(/hooks must be a mapping/);
    expect(refused(`${HEAD}hooks:\n  BeforeInstall:\n    - scripts/a.sh\n`).message).toMatch(/a script must be a mapping/);
  });
});

describe('issue 11.9: files (parse_files, file_info.rb)', () => {
  it('overwrite: and other unknown keys in a files entry are ignored', () => {
    expect(parseAppspec(`${HEAD}files:\n  - source: web\n    destination: /var/www/html\n    overwrite: true\n`).files).toEqual([{ source: 'web', destination: '/var/www/html' }]);
  });

  it('a destination without source, or a source without destination, is refused', () => {
    expect(refused(`${HEAD}files:\n  - destination: /opt/x\n`).message).toMatch(/files\.0: a destination with no source.*file_info\.rb/);
    expect(refused(`${HEAD}files:\n  - source: web\n`).message).toMatch(/only a source \(web\)/);
  });

  it('file_exists_behavior inside a files entry is ignored: the agent reads only the top-level key', () => {
    const appspec = parseAppspec(`${HEAD}files:\n  - source: /\n    destination: /opt/app\n    file_exists_behavior: OVERWRITE\n`);
    expect(appspec.file_exists_behavior).toBeUndefined();
    expect(appspec.files).toEqual([{ source: '/', destination: '/opt/app' }]);
  });

  it('a relative destination is accepted: the agent does not check it (File.expand_path at Install)', () => {
    expect(parseAppspec(`${HEAD}files:\n  - source: /\n    destination: opt/app\n`).files[0]!.destination).toBe('opt/app');
  });
});

describe("issue 11.9: Ruby's YAML.load (Psych 4+, Ruby 3.1+ as on Amazon Linux 2023)", () => {
  it('YAML 1.1 booleans: sudo: yes is true', () => {
    expect(parseAppspec(`${HEAD}hooks:\n  BeforeInstall:\n    - location: a\n      sudo: yes\n`).hooks.BeforeInstall![0]!.sudo).toBe(true);
  });

  it('an alias is refused (YAML.load has aliases: false)', () => {
    expect(refused(`${HEAD}x: &t 30\nhooks:\n  BeforeInstall:\n    - location: a\n      timeout: *t\n`).message).toMatch(/alias \*t is refused/);
  });

  it('an unquoted date is refused (Date is not a permitted class)', () => {
    expect(refused(`${HEAD}released: 2024-01-02\n`).message).toMatch(/Date/);
  });

  it('only the first document of a multi-document file is read (YAML.load returns the first)', () => {
    expect(parseAppspec(`${HEAD}hooks:\n  BeforeInstall:\n    - location: first.sh\n---\nversion: 9\n`).hooks.BeforeInstall![0]!.location).toBe('first.sh');
  });

  it('invalid YAML is refused with its line', () => {
    expect(refused(`${HEAD}hooks: [\n`).message).toMatch(/not valid YAML/);
  });
});

describe('issue 11.9: the file name (command_executor.rb app_spec_real_path)', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  async function revision(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-appspec-name-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    return dir;
  }

  it('appspec.yaml is read when there is no appspec.yml', async () => {
    const dir = await revision({ 'appspec.yaml': `${HEAD}hooks:\n  BeforeInstall:\n    - location: from-yaml.sh\n` });
    expect((await readRevisionAppspec(dir)).hooks.BeforeInstall![0]!.location).toBe('from-yaml.sh');
  });

  it('appspec.yml wins over appspec.yaml (the AppSpecFilename default comes first)', async () => {
    const dir = await revision({ 'appspec.yml': `${HEAD}hooks:\n  BeforeInstall:\n    - location: from-yml.sh\n`, 'appspec.yaml': 'not: read' });
    expect((await readRevisionAppspec(dir)).hooks.BeforeInstall![0]!.location).toBe('from-yml.sh');
  });

  it('neither: a ConfigError naming appspec.yml', async () => {
    const dir = await revision({});
    await expect(readRevisionAppspec(dir)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^appspec\.yml: file not found/) });
  });
});
