// Issue 12.4: `mod canary report <deploymentId>` reads the canary from the
// deployment record (a FakeProvider-seeded history on a real git repository)
// and shows the verdict metric by metric with the numbers behind it; --json
// is the record's canary as is; a deployment without a canary, or no such
// deployment, is exit 2 with a hint.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCanaryReport } from '../../src/cli/commands/canary.js';
import { runCommand, type CliContext, type GlobalOptions } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { ExitCode } from '../../src/errors.js';
import { failedCanary, marginalCanary, runningCanary, skippedCanary } from '../fakes/canary-records.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace, type ConfigInput } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';
import { captureStreams } from '../support/captured-streams.js';

const CONFIG: ConfigInput = {
  app: 'shop',
  environments: {
    stage: { branch: 'stage', aliases: ['staging'] },
    production: { branch: 'master', aliases: ['prod'] },
  },
};

let repo: TempRepository;
let provider: FakeProvider;
let ws: FakeWorkspace;
let commit: string;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  commit = await repo.commit('Stricter model', { 'app.txt': '1\n' });
  provider = new FakeProvider();
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider });
});
afterEach(() => repo.dispose());

async function report(deploymentId: string, options: { env?: string } = {}, globals: GlobalOptions = {}) {
  const { streams, text } = captureStreams();
  const context: CliContext = { streams, env: { CI: 'true' }, interactive: false };
  const exit = await runCommand(globals, context, (output) => runCanaryReport(deploymentId, options, globals, context, output, ws));
  return { exit, ...text() };
}

describe('issue 12.4: mod canary report', () => {
  it('shows the verdict, why, what followed, and every metric with its numbers', async () => {
    provider.seed('stage', { commit, subject: 'Earlier' });
    const seeded = provider.seed('stage', { commit, subject: 'Stricter model', status: 'RolledBack', canary: failedCanary() });
    const { exit, stdout } = await report(seeded.deploymentId);
    expect(exit).toBe(ExitCode.Ok);
    expect(stdout).toContain(`canary of ${seeded.deploymentId}`);
    expect(stdout).toContain('verdict Fail: score 50/100 (pass >= 90, marginal >= 75)');
    expect(stdout).toContain('why: critical metric decision.reject failed');
    expect(stdout).toContain('the canary was removed, the fleet keeps its revision');
    expect(stdout).toContain('canary i-local-3 (new revision) vs baseline i-local-4 (current revision)');
    for (const head of ['metric', 'group', 'verdict', 'baseline', 'canary', 'ratio / interval / p', 'reason']) expect(stdout).toContain(head);
    const row = (metric: string) => stdout.split('\n').find((l) => l.includes(`│ ${metric} `))!;
    const rejectRow = row('decision.reject');
    expect(rejectRow).toContain('FAIL');
    expect(rejectRow).toContain('30/1000 (3%)');
    expect(rejectRow).toContain('90/1000 (9%)');
    expect(rejectRow).toContain('x3, p<0.0001');
    const latencyRow = row('latency');
    expect(latencyRow).toContain('41 ms (p90 88, n=512)');
    expect(latencyRow).toContain('42.5 ms (p90 90, n=498)');
    expect(latencyRow).toContain('x1.04, +1.2 ms [-0.8, 3.1], p=0.31');
    expect(row('category.scam')).toContain('no data');
    expect(rejectRow).toContain('reject share 9% vs 3% (x3.00), two-proportion z-test p<0.0001');
    expect(stdout).toContain('* critical');
  });

  it('--json prints the record canary as it is', async () => {
    const seeded = provider.seed('production', { commit, status: 'RolledBack', canary: failedCanary() });
    const { exit, stdout } = await report(seeded.deploymentId, {}, { json: true });
    expect(exit).toBe(ExitCode.Ok);
    expect(JSON.parse(stdout)).toEqual({ schemaVersion: 1, deploymentId: seeded.deploymentId, environment: 'production', status: 'RolledBack', canary: failedCanary() });
  });

  it('a paused canary says how to answer it; a running one shows its counts so far; a skipped one why', async () => {
    const paused = provider.seed('stage', { commit, status: 'InProgress', canary: marginalCanary() });
    const pausedText = (await report(paused.deploymentId, { env: 'staging' })).stdout;
    expect(pausedText).toContain('verdict Marginal: score 80/100');
    expect(pausedText).toContain('mod approve --env stage continues it, --reject rolls it back');

    const running = provider.seed('stage', { commit, status: 'InProgress', canary: runningCanary() });
    const runningText = (await report(running.deploymentId)).stdout;
    expect(runningText).toContain('running: no verdict yet');
    expect(runningText).toContain('so far: canary 240 requests, 1 5xx, 2 4xx, approve 200 / review 20 / reject 20; baseline 251 requests, 0 5xx');

    const skipped = provider.seed('stage', { commit, canary: skippedCanary() });
    const skippedRun = await report(skipped.deploymentId);
    expect(skippedRun.exit).toBe(ExitCode.Ok);
    expect(skippedRun.stdout).toContain('skipped: first deploy of stage: nothing to compare with');
  });

  it('a deployment without a canary says so: exit 2 with a hint, and the --json error document', async () => {
    const plain = provider.seed('stage', { commit });
    const run = await report(plain.deploymentId);
    expect(run.exit).toBe(ExitCode.Usage);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`deployment ${plain.deploymentId} (stage, Succeeded) ran without a canary`);
    expect(run.stderr).toContain('environments.stage.canary');

    const json = await report(plain.deploymentId, {}, { json: true });
    expect(json.exit).toBe(ExitCode.Usage);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'NO_CANARY' } });
  });

  it('a deployment id that does not exist is exit 2, naming where it looked; --env looks only there', async () => {
    const elsewhere = provider.seed('production', { commit, canary: failedCanary() });
    const missing = await report('d-20261202T000000-nope00');
    expect(missing.exit).toBe(ExitCode.Usage);
    expect(missing.stderr).toContain('no deployment d-20261202T000000-nope00 in stage, production');
    expect(missing.stderr).toContain('mod history lists the deployments');

    const onlyStage = await report(elsewhere.deploymentId, { env: 'stage' }, { json: true });
    expect(onlyStage.exit).toBe(ExitCode.Usage);
    expect(JSON.parse(onlyStage.stdout)).toMatchObject({ error: { code: 'DEPLOYMENT_NOT_FOUND', hint: 'mod history --env stage lists the deployments and their ids' } });
  });

  it('an environment whose history cannot be read does not hide a deployment found in another', async () => {
    const found = provider.seed('stage', { commit, status: 'RolledBack', canary: failedCanary() });
    provider.failHistory('production', new Error('AccessDenied'));
    expect((await report(found.deploymentId)).exit).toBe(ExitCode.Ok);
    const missing = await report('d-nope');
    expect(missing.exit).toBe(ExitCode.Failed);
    expect(missing.stderr).toContain('AccessDenied');
  });

  it('is a registered command: mod canary report --help names the argument and --env', async () => {
    const { streams, text } = captureStreams();
    const exit = await main(['node', 'mod', 'canary', 'report', '--help'], { streams, env: { CI: 'true' }, interactive: false });
    expect(exit).toBe(ExitCode.Ok);
    expect(text().stdout).toContain('<deploymentId>');
    expect(text().stdout).toContain('--env <name>');
  });
});
