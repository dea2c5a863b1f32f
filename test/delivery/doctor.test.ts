// doctor() and deploy's preflight through a FakeProvider and a real git
// repository: the provider's checks, then what deploy would refuse before
// building (the specs and hook scripts as committed at the branch head, the
// lock); a failing check fails the whole, a warning does not.
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/delivery/deploy-lock.js';
import { deploy } from '../../src/delivery/deploy.js';
import { doctor } from '../../src/delivery/doctor.js';
import { FakeDeliveryEvents } from '../fakes/fake-delivery-events.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace, type ConfigInput } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';

const CONFIG: ConfigInput = {
  app: 'shop',
  environments: { stage: { branch: 'stage', aliases: ['staging'] }, production: { branch: 'master', gates: {} } },
};
const BUILDSPEC = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo built\nartifacts:\n  files:\n    - "**/*"\n';
const appspec = (hooks: string) => `version: 0.0\nos: linux\nhooks:\n${hooks}`;
const START = '  ApplicationStart:\n    - location: scripts/start.sh\n';

let repo: TempRepository;
let provider: FakeProvider;
let ws: FakeWorkspace;
let events: FakeDeliveryEvents;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  provider = new FakeProvider();
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider });
  events = new FakeDeliveryEvents();
});
afterEach(() => repo.dispose());

async function commitApp(files: Record<string, string>, executable = ['scripts/start.sh']): Promise<string> {
  for (const [file, content] of Object.entries(files)) await repo.write(file, content);
  for (const file of executable) if (file in files) await chmod(path.join(repo.dir, file), 0o755);
  return repo.commit('App');
}

const deployStage = () => deploy(ws, { environment: 'stage', signal: new AbortController().signal, events: events.emit });
const check = (report: Awaited<ReturnType<typeof doctor>>, name: string) => report.checks.find((c) => c.name === name);

describe('doctor', () => {
  it("lists the provider's checks, then the specs, hook events, scripts and lock at the branch head; warnings pass", async () => {
    await commitApp({ 'buildspec.yml': BUILDSPEC, 'appspec.yml': appspec(START), 'scripts/start.sh': '#!/bin/sh\n' });
    provider.tellDoctorChecks('stage', [
      { name: 'branch', status: 'pass', detail: 'stage exists' },
      { name: 'alarms', status: 'warn', detail: 'no CloudWatch alarms' },
    ]);
    const report = await doctor(ws, { environment: 'staging' });
    expect(report.passed).toBe(true);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['branch', 'pass'],
      ['alarms', 'warn'],
      ['buildspec.yml', 'pass'],
      ['appspec.yml', 'pass'],
      ['hook events', 'pass'],
      ['hook scripts', 'pass'],
      ['deploy lock', 'pass'],
    ]);
    expect(provider.callsOf('doctor')).toEqual([{ method: 'doctor', environment: 'stage' }]);
  });

  it('fails when any check fails: a provider check, or a spec the next deploy would refuse', async () => {
    await commitApp({ 'buildspec.yml': 'version: 0.2\nphases:\n  biuld:\n    commands: [echo]\n', 'appspec.yml': appspec(START), 'scripts/start.sh': '#!/bin/sh\n' });
    const report = await doctor(ws, { environment: 'stage' });
    expect(report.passed).toBe(false);
    expect(check(report, 'buildspec.yml')).toMatchObject({ status: 'fail', detail: expect.stringContaining('biuld') });

    provider.tellDoctorChecks('production', [{ name: 'pipeline', status: 'fail', detail: 'not found' }]);
    expect((await doctor(ws, { environment: 'production' })).passed).toBe(false);
  });

  it('warns while another process holds the deploy lock', async () => {
    await commitApp({ 'buildspec.yml': BUILDSPEC, 'appspec.yml': appspec(START), 'scripts/start.sh': '#!/bin/sh\n' });
    const held = await acquireLock(ws.paths.lock('stage'), 'mod deploy --env stage');
    try {
      expect(check(await doctor(ws, { environment: 'stage' }), 'deploy lock')).toMatchObject({ status: 'warn', detail: expect.stringContaining(`pid ${process.pid}`) });
    } finally {
      await held.release();
    }
  });
});

describe('issue 17.15: deploy checks what it can before building', () => {
  it('refuses a hook script that is neither committed nor named by the buildspec, before the provider builds anything', async () => {
    await commitApp({ 'buildspec.yml': BUILDSPEC, 'appspec.yml': appspec('  ApplicationStart:\n    - location: scripts/strat.sh\n'), 'scripts/start.sh': '#!/bin/sh\n' });
    const error = await deployStage().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 2, message: expect.stringContaining('ApplicationStart: scripts/strat.sh') });
    expect(provider.deployRequests).toHaveLength(0);
    expect(check(await doctor(ws, { environment: 'stage' }), 'hook scripts')).toMatchObject({ status: 'fail' });
  });

  it('refuses an invalid appspec with the parser’s own message (file, commit, line, key)', async () => {
    await commitApp({ 'buildspec.yml': BUILDSPEC, 'appspec.yml': 'version: 0.0\nos: windows\n' });
    const error = await deployStage().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^appspec\.yml \(commit [0-9a-f]{8}\):2: os/) });
    expect(provider.deployRequests).toHaveLength(0);
  });

  it('accepts a script the build writes (named in buildspec.yml), and warns on a hook event CodeDeploy never runs', async () => {
    const buildspec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - printf "#!/bin/sh\\n" > scripts/generated.sh && chmod +x scripts/generated.sh\nartifacts:\n  files:\n    - "**/*"\n';
    await commitApp({
      'buildspec.yml': buildspec,
      'appspec.yml': appspec('  BeforeInstall:\n    - location: scripts/prepare.sh\n  ApplicationStart:\n    - location: scripts/generated.sh\n  ValidateServce:\n    - location: scripts/check.sh\n'),
      'scripts/prepare.sh': '#!/bin/sh\n',
    });
    const outcome = await deployStage();
    expect(outcome.record.status).toBe('Succeeded');
    const warnings = events.notices('warn').map((n) => n.message);
    expect(warnings).toContainEqual(expect.stringContaining('ValidateServce (did you mean ValidateService?)'));
    // prepare.sh is committed without the executable bit: the agent makes it executable, so a note, not a refusal.
    expect(warnings).toContainEqual(expect.stringContaining('chmod +x'));
  });
});
