// Issue 13: `mod model release | rollback | shadow` as the CLI runs them on a
// FakeWorkspace (real git repository, FakeProvider's in-memory ModelStore,
// the real models of this package): the JSON document (schemaVersion 1, the
// record), the text, the exit codes (a refused gate 3, a failed release 1),
// flag checks; and how `mod status` and `mod history` show model releases.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runModelRelease, runModelRollback, runModelShadow, type ModelReleaseCommandOptions } from '../../src/cli/commands/model-release.js';
import { runCommand, type CliContext, type GlobalOptions } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { runCanaryReport } from '../../src/cli/commands/canary.js';
import { failedCanary } from '../fakes/canary-records.js';
import { describeEvent } from '../../src/cli/output/describe-event.js';
import { historyJson, historyText } from '../../src/cli/format/history-view.js';
import { statusJson, statusText } from '../../src/cli/format/status-view.js';
import { history } from '../../src/delivery/history.js';
import { status } from '../../src/delivery/status.js';
import { ExitCode, ModError } from '../../src/errors.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';
import { captureStreams } from '../support/captured-streams.js';
import { BASELINE_DIR, bundledInstances, CONFIG, DEFAULT_DIR, FakeReleaseDatabase, manifestOf, rows } from '../delivery/model/model-support.js';

let repo: TempRepository;
let provider: FakeProvider;
let ws: FakeWorkspace;
let dflt: { version: string; checksum: string };
let base: { version: string; checksum: string };
let commit: string;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  commit = await repo.commit('First', { 'app.txt': 'v1\n' });
  provider = new FakeProvider();
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider, initiator: 'carol' });
  dflt = await manifestOf(DEFAULT_DIR);
  base = await manifestOf(BASELINE_DIR);
  bundledInstances(provider.modelStore, 'stage', dflt.version);
});
afterEach(() => repo.dispose());

async function cli(body: (globals: GlobalOptions, context: CliContext, output: Parameters<Parameters<typeof runCommand>[2]>[0]) => Promise<number>, globals: GlobalOptions = {}) {
  const { streams, text } = captureStreams();
  const context: CliContext = { streams, env: { CI: 'true' }, interactive: false };
  const exit = await runCommand(globals, context, (output) => body(globals, context, output));
  return { exit, ...text() };
}

const release = (options: Partial<ModelReleaseCommandOptions>, globals: GlobalOptions = {}) => cli((g, context, output) => runModelRelease({ env: 'stage', model: DEFAULT_DIR, override: [], tolerance: '0.01', ...options }, g, context, output, ws), globals);

describe('issue 13: mod model release', () => {
  it('--json: schemaVersion 1 and the record (kind model, the model, its gate rows), exit 0', async () => {
    const { exit, stdout } = await release({ reason: 'retrained' }, { json: true });
    expect(exit).toBe(ExitCode.Ok);
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, status: 'Succeeded', kind: 'model', environment: 'stage', initiator: 'carol', reason: 'retrained', rollbackOf: null, error: null, canary: { status: 'Skipped', note: 'stage has no canary: settings' } });
    expect(doc.deploymentId).toMatch(/^m-/);
    expect(doc.model).toMatchObject({ action: 'release', version: dflt.version, checksum: dflt.checksum, previous: null, gate: { baseline: { version: dflt.version, source: 'bundled' }, checkSet: 'data/ja-check.csv', passed: true } });
    expect(doc.gateReport.rows.map((r: { metric: string }) => r.metric)).toContain('caught.scam');
    expect(doc.gates).toEqual([{ name: 'model', status: 'pass', reason: expect.stringContaining('is not worse than the bundled') }]);
  });

  it('text: the release, what it replaces, the gate row by row', async () => {
    const { exit, stdout } = await release({});
    expect(exit).toBe(ExitCode.Ok);
    expect(stdout).toMatch(new RegExp(`Succeeded: m-\\S+ model release ${dflt.version} -> stage`));
    expect(stdout).toContain('replacing: the bundled model');
    expect(stdout).toContain('canary skipped: stage has no canary: settings');
    expect(stdout).toMatch(/ok {4}caught\.spam/);
    expect(stdout).toContain('wins over the model a code bundle ships');
  });

  it('a refused gate exits 3 with the report (every row) and the error in one JSON document', async () => {
    await release({ model: BASELINE_DIR, override: ['model'], reason: 'first' });
    const { exit, stdout, stderr } = await release({}, { json: true });
    expect(exit).toBe(ExitCode.GateRefused);
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, passed: false, letThrough: false, candidate: dflt.version, baseline: { version: base.version, source: 'released' }, error: { code: 'GATE_REFUSED', exitCode: 3 } });
    expect(doc.rows.filter((r: { worse: boolean }) => r.worse).map((r: { metric: string }) => r.metric)).toEqual(['caught.spam']);
    expect(stderr).toContain('release gates refused model');
  });

  it('an overridden release --json: model.gate.passed and gateReport.passed agree (false), letThrough says it went on', async () => {
    await release({ model: BASELINE_DIR, override: ['model'], reason: 'first' });
    const { exit, stdout } = await release({ override: ['model'], reason: 'on purpose' }, { json: true });
    expect(exit).toBe(ExitCode.Ok);
    const doc = JSON.parse(stdout);
    expect(doc.model.gate.passed).toBe(false);
    expect(doc.gateReport).toMatchObject({ passed: false, letThrough: true });
  });

  it('flags: --override without --reason, a bad --tolerance or --timeout, a dir that is not a model: exit 2', async () => {
    expect((await release({ override: ['model'] })).exit).toBe(ExitCode.Usage);
    expect((await release({ tolerance: '2' })).exit).toBe(ExitCode.Usage);
    expect((await release({ timeout: 'soon' })).exit).toBe(ExitCode.Usage);
    const notModel = await release({ model: path.join(repo.dir) });
    expect(notModel.exit).toBe(ExitCode.Usage);
    expect(notModel.stderr).toContain('is not a model artifact');
  });

  it('a release whose instances do not load it exits 1 (the deploy-failed code) with MODEL_NOT_LOADED', async () => {
    provider.modelStore.followPointer = false;
    const { exit, stdout } = await release({ timeout: '0.05' }, { json: true });
    expect(exit).toBe(ExitCode.Failed);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'Failed', error: { code: 'MODEL_NOT_LOADED' } });
  });
});

describe('issue 13: the commands as parsed', () => {
  async function mod(args: string[]) {
    const { streams, text } = captureStreams();
    const exit = await main(['node', 'mod', '-C', repo.dir, ...args], { streams, env: { CI: 'true' }, interactive: false });
    return { exit, ...text() };
  }

  it('release, rollback and shadow are under mod model, with their flags', async () => {
    const help = await mod(['model', 'release', '--help']);
    expect(help.exit).toBe(ExitCode.Ok);
    for (const flag of ['--env', '--model', '--override', '--reason', '--tolerance', '--timeout', '--yes']) expect(help.stdout).toContain(flag);
    expect((await mod(['model', 'shadow', '--help'])).stdout).toContain('--stop');
    expect((await mod(['model', 'release', '--env', 'stage'])).exit).toBe(ExitCode.Usage);
  });

  it('production asks first: not interactive and no --yes is exit 2 before anything is judged', async () => {
    await repo.commit('config', { 'mod.config.yml': 'app: shop\nenvironments:\n  production:\n    branch: master\n' });
    const run = await mod(['model', 'release', '--env', 'production', '--model', DEFAULT_DIR]);
    expect(run.exit).toBe(ExitCode.Usage);
    expect(run.stderr).toContain('pass --yes to confirm');
  });

  it('mod model shadow on production asks first as release does: not interactive and no --yes is exit 2, nothing written; --yes goes on', async () => {
    const shadow = (yes?: boolean) => cli((g, context, output) => runModelShadow({ env: 'production', model: BASELINE_DIR, ...(yes ? { yes } : {}) }, g, context, output, ws));
    const refused = await shadow();
    expect(refused.exit).toBe(ExitCode.Usage);
    expect(refused.stderr).toContain('pass --yes to confirm');
    expect(await provider.modelStore.releases(ws.environment('production'))).toEqual([]);
    expect(await provider.modelStore.readPointer(ws.environment('production'))).toBeNull();
    // Confirmed: it goes on (here to pinning the bundled model, which needs a code deployment first).
    const confirmed = await shadow(true);
    expect(confirmed.stderr).not.toContain('--yes');
    expect(confirmed.stderr).toContain('production has no successful code deployment');
    const stop = await cli((g, context, output) => runModelShadow({ env: 'production', stop: true }, g, context, output, ws));
    expect([stop.exit, stop.stderr.includes('pass --yes to confirm')]).toEqual([ExitCode.Usage, true]);
    expect((await mod(['model', 'shadow', '--help'])).stdout).toContain('--yes');
  });

  it('mod model rollback --env production with nothing released says so before asking for --yes', async () => {
    await repo.commit('config', { 'mod.config.yml': 'app: shop\nenvironments:\n  production:\n    branch: master\n' });
    const run = await mod(['model', 'rollback', '--env', 'production']);
    expect(run.exit).toBe(ExitCode.Usage);
    expect(run.stderr).toContain('no model is released to production');
    expect(run.stderr).not.toContain('--yes');
  });

  it('--model of a directory that does not exist: exit 2, saying so', async () => {
    const { exit, stderr } = await release({ model: path.join(repo.dir, 'models', 'nope') });
    expect(exit).toBe(ExitCode.Usage);
    expect(stderr).toContain(`--model ${path.join(repo.dir, 'models', 'nope')} does not exist`);
  });

  it('mod deploy: --override model goes with --release-model', async () => {
    await repo.commit('config', { 'mod.config.yml': 'app: shop\nenvironments:\n  stage:\n    branch: stage\n' });
    const run = await mod(['deploy', '--env', 'stage', '--override', 'model', '--reason', 'x']);
    expect(run.exit).toBe(ExitCode.Usage);
    expect(run.stderr).toContain('--override model goes with --release-model');
    expect((await mod(['deploy', '--help'])).stdout).toContain('--release-model');
  });
});

describe('issue 13: mod model rollback and shadow', () => {
  it('rollback --json: the record with rollbackOf; past the first release the bundled model', async () => {
    const first = JSON.parse((await release({}, { json: true })).stdout);
    const { exit, stdout } = await cli((g, context, output) => runModelRollback({ env: 'stage' }, g, context, output, ws), { json: true });
    expect(exit).toBe(ExitCode.Ok);
    expect(JSON.parse(stdout)).toMatchObject({ schemaVersion: 1, status: 'Succeeded', kind: 'model', rollbackOf: first.deploymentId, model: { action: 'rollback', version: 'bundled' } });
    const again = await cli((g, context, output) => runModelRollback({ env: 'stage' }, g, context, output, ws));
    expect(again.exit).toBe(ExitCode.Usage);
    expect(again.stderr).toContain('no model is released to stage');
  });

  it('shadow --model, then --stop; neither is exit 2', async () => {
    await release({});
    const set = await cli((g, context, output) => runModelShadow({ env: 'stage', model: BASELINE_DIR }, g, context, output, ws), { json: true });
    expect(set.exit).toBe(ExitCode.Ok);
    expect(JSON.parse(set.stdout)).toMatchObject({ kind: 'model', model: { action: 'shadow', version: base.version, previous: { version: dflt.version } } });
    const stop = await cli((g, context, output) => runModelShadow({ env: 'stage', stop: true }, g, context, output, ws));
    expect(stop.exit).toBe(ExitCode.Ok);
    expect(stop.stdout).toContain(`model unshadow ${base.version}`);
    expect((await cli((g, context, output) => runModelShadow({ env: 'stage' }, g, context, output, ws))).exit).toBe(ExitCode.Usage);
  });
});

describe('issue 13: status and history show models', () => {
  it("mod status: the released model wins over the bundle's (said so), each instance's model next to its revision", async () => {
    await release({ model: BASELINE_DIR, override: ['model'], reason: 'x' });
    provider.tellStatus('stage', {
      endpoint: 'http://127.0.0.1:4100',
      instances: provider.modelStore.instances.get('stage')!.map((i) => ({
        id: i.instanceId,
        healthy: true,
        state: 'healthy',
        commit,
        deploymentId: 'd-1',
        since: null,
        launchedAt: null,
        running: { commit, model: i.model! },
      })) as never,
    });
    const [env] = await status(ws, ['stage']);
    expect(env!.model).toMatchObject({ live: { version: base.version, by: 'carol' }, shadow: null, canary: null });
    const text = statusText([env!], false);
    expect(text).toMatch(new RegExp(`model {5}${base.version} \\(released m-\\S+, by carol, \\d+s ago, wins over the bundle's ${dflt.version}\\)`));
    expect(text).toContain(`${commit.slice(0, 8)} · model ${base.version}`);
    const json = statusJson([env!]).environments[0]!;
    expect(json.model).toMatchObject({ live: { version: base.version } });
    expect(json.instances[0]!.model).toMatchObject({ version: base.version, source: 'released', bundled: dflt.version });
  });

  it('mod status: a model release in flight, and one whose process is gone', async () => {
    const store = provider.modelStore;
    const record = {
      schemaVersion: 1,
      deploymentId: 'm-20261202T000000-flight',
      environment: 'stage',
      provider: 'fake',
      status: 'InProgress',
      revision: { commit: '' },
      initiator: 'dave',
      startedAt: new Date().toISOString(),
      instances: [],
      pid: process.pid,
      kind: 'model',
      model: { action: 'release', version: 'v-new', checksum: 'c', location: '/m', dataFingerprint: '', previous: null },
    } as const;
    await store.saveRelease(ws.environment('stage'), structuredClone(record) as never);
    let [env] = await status(ws, ['stage']);
    expect(env!.modelInFlight).toMatchObject({ deploymentId: record.deploymentId, action: 'release', version: 'v-new', initiator: 'dave', abandoned: false });
    expect(statusText([env!], false)).toContain(`releasing model release v-new (${record.deploymentId}, by dave`);
    await store.saveRelease(ws.environment('stage'), { ...structuredClone(record), pid: 2 ** 22 + 7 } as never);
    [env] = await status(ws, ['stage']);
    expect(env!.modelInFlight!.abandoned).toBe(true);
    expect(statusJson([env!]).environments[0]!.modelInFlight).toMatchObject({ abandoned: true });
  });

  it('mod canary report finds a model release by its m- id', async () => {
    const record = {
      schemaVersion: 1,
      deploymentId: 'm-20261202T000000-canary',
      environment: 'stage',
      provider: 'fake',
      status: 'Failed',
      revision: { commit: '' },
      initiator: 'dave',
      startedAt: '2026-12-02T00:00:00.000Z',
      instances: [],
      kind: 'model',
      canary: failedCanary(),
      model: { action: 'release', version: 'v-new', checksum: 'c', location: '/m', dataFingerprint: '', previous: { version: 'v-old', checksum: 'd', location: '/o' } },
    } as const;
    await provider.modelStore.saveRelease(ws.environment('stage'), structuredClone(record) as never);
    const { exit, stdout } = await cli((g, context, output) => runCanaryReport(record.deploymentId, {}, g, context, output, ws));
    expect(exit).toBe(ExitCode.Ok);
    expect(stdout).toContain('canary model v-new vs the live model v-old (decisions and categories only)');
    expect(stdout).toContain('then: the candidate model is removed; model v-old keeps deciding');
    expect(stdout).not.toContain('fleet');
  });

  it("a model canary's verdict speaks of models and posts, each failing metric named once", () => {
    const verdict = failedCanary().verdict!;
    const text = describeEvent({ type: 'canary', phase: 'verdict', verdict, samples: { baseline: 400, canary: 100 }, outcome: 'rolled-back', model: { candidate: 'v-new', live: 'v-old' } })!.text;
    expect(text).toContain('model canary Fail');
    expect(text).toContain('100 posts by v-new vs 400 by v-old');
    expect(text).toContain('the candidate model v-new is removed; model v-old keeps deciding');
    expect(text).not.toContain('fleet');
    for (const m of verdict.metrics.filter((m) => m.verdict === 'fail')) expect(text.split(m.name).length - 1).toBe(1);
  });

  it('a failed model canary, as the release prints it: each failing metric named once, in models, the report for the figures', async () => {
    const store = provider.modelStore;
    const qa = ws.environment('qa');
    bundledInstances(store, 'qa', dflt.version, ['i-q1']);
    const ref = await store.publish(qa, BASELINE_DIR, base);
    await store.writePointer(qa, { schemaVersion: 1, environment: 'qa', releaseId: 'm-20261201T000000-live01', updatedAt: '2026-12-01T00:00:00.000Z', live: ref });
    provider.tellDatabaseUrl('qa', 'postgres://db/qa');
    ws.releaseDatabase = new FakeReleaseDatabase([...rows(base.version, 400, 20), ...rows(dflt.version, 100, 40)]);
    const { exit, stdout } = await release({ env: 'qa', tolerance: '0.05' });
    expect(exit).toBe(ExitCode.Failed);
    const record = (await store.releases(qa))[0]!;
    const failing = record.canary!.verdict!.metrics.filter((m) => m.verdict === 'fail').map((m) => m.name);
    expect(failing.length).toBeGreaterThan(0);
    for (const name of failing) expect(stdout.split(name).length - 1).toBe(1);
    expect(stdout).toContain(`the candidate model is removed; model ${base.version} keeps deciding`);
    expect(stdout).toContain(`hint: each metric: mod canary report ${record.deploymentId}`);
    expect(stdout).toContain('pointer put back: every instance reports it');
    expect(stdout).not.toContain('fleet');
    const listed = historyText(await history(ws, ['qa'], 10), false, false);
    for (const name of failing) expect(listed.split(name).length - 1).toBe(1);
  });

  it('mod canary report of a stopped model release: the canary ended, not "still running"', async () => {
    const record = {
      schemaVersion: 1,
      deploymentId: 'm-20261202T000000-stoppd',
      environment: 'stage',
      provider: 'fake',
      status: 'Stopped',
      revision: { commit: '' },
      initiator: 'dave',
      startedAt: '2026-12-02T00:00:00.000Z',
      endedAt: '2026-12-02T00:00:09.000Z',
      instances: [],
      kind: 'model',
      canary: { status: 'Judged', startedAt: '2026-12-02T00:00:01.000Z', endedAt: '2026-12-02T00:00:09.000Z', note: 'stopped before a verdict', outcome: 'rolled-back', canaryInstances: [], baselineInstances: [] },
      model: { action: 'release', version: 'v-new', checksum: 'c', location: '/m', dataFingerprint: '', previous: { version: 'v-old', checksum: 'd', location: '/o' } },
    } as const;
    await provider.modelStore.saveRelease(ws.environment('stage'), structuredClone(record) as never);
    const { stdout } = await cli((g, context, output) => runCanaryReport(record.deploymentId, {}, g, context, output, ws));
    expect(stdout).not.toContain('still running');
    expect(stdout).not.toContain('running: no verdict yet');
    expect(stdout).toContain('ended: stopped before a verdict');
    expect(stdout).toContain('then: the candidate model is removed; model v-old keeps deciding');
    const text = historyText(await history(ws, ['stage'], 10), false, false);
    expect(text).toContain('canary ended: stopped before a verdict; the candidate model is removed; model v-old keeps deciding');
  });

  it('mod status with no model released: the bundle decides', async () => {
    const [env] = await status(ws, ['stage']);
    expect(env!.model).toBeNull();
    expect(statusText([env!], false)).toContain("model     no model released: each instance's bundled model decides");
  });

  it('mod history: model releases merged with code deployments by time, kind shown', async () => {
    provider.seed('stage', { commit, subject: 'First' });
    await release({});
    const records = await history(ws, ['stage'], 10);
    expect(records.map((r) => r.kind ?? 'code')).toEqual(['model', 'code']);
    const json = historyJson(records);
    expect(json.deployments.map((d) => d.kind)).toEqual(['model', 'code']);
    expect(json.deployments[0]!.model).toMatchObject({ action: 'release', version: dflt.version });
    expect(json.deployments[1]!.model).toBeNull();
    const text = historyText(records, false, false);
    expect(text).toContain(`model release ${dflt.version}`);
    expect(text).toContain('kind model, replacing the bundled model');
  });

  it('mod history where the code deployments cannot be read (an AWS env without its pipeline): the model releases are listed, with a warning', async () => {
    await release({});
    const missing = new ModError('AWS_NOT_FOUND', 'pipeline shop-stage does not exist', { hint: 'create it (README: AWS provider)' });
    provider.deployments = async () => {
      throw missing;
    };
    const warnings: string[] = [];
    const records = await history(ws, ['stage'], 10, (message) => void warnings.push(message));
    expect(records.map((r) => [r.kind, r.model?.version])).toEqual([['model', dflt.version]]);
    expect(warnings).toEqual(['the code deployments of stage cannot be read (pipeline shop-stage does not exist; create it (README: AWS provider)): only its model releases are listed']);
    // Nothing to list either way, or no one to tell: the error itself.
    await expect(history(ws, ['stage'], 10)).rejects.toBe(missing);
    await expect(history(ws, ['qa'], 10, () => {})).rejects.toBe(missing);
  });

  it('mod history: a shadow replaces nothing, it sits next to the live model', async () => {
    await release({});
    await cli((g, context, output) => runModelShadow({ env: 'stage', model: BASELINE_DIR }, g, context, output, ws));
    const text = historyText(await history(ws, ['stage'], 10), false, false);
    expect(text).toContain(`model shadow ${base.version}`);
    expect(text).toContain(`kind model, live ${dflt.version}`);
    expect(text).not.toContain(`replacing ${dflt.version}`);
  });

  it('mod status: recent lists model releases with code deployments, the kind shown', async () => {
    provider.seed('stage', { commit, subject: 'First' });
    const released = await release({}, { json: true });
    const id = JSON.parse(released.stdout).deploymentId as string;
    const [env] = await status(ws, ['stage']);
    expect(env!.recent.map((r) => r.kind ?? 'code')).toEqual(['model', 'code']);
    expect(env!.recent[0]).toMatchObject({ deploymentId: id, kind: 'model', model: { action: 'release', version: dflt.version } });
    expect(statusText([env!], false)).toMatch(new RegExp(`${id} {2}Succeeded +model release ${dflt.version} {2}carol`));
  });
});
