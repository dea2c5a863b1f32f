// runGates itself: the report bots read (--json), which gates run, overrides
// (checked, and only recorded for a failing gate), a gate that cannot be
// judged, what the change under judgement is (deployed..target, first-parent),
// which pull requests belong to it, and GitHub read once per judgement.
import { afterEach, describe, expect, it } from 'vitest';
import { checkOverrides } from '../../../src/delivery/gates/run-gates.js';
import { ModError } from '../../../src/errors.js';
import { GateScenario, gate } from './gate-scenario.js';

let scenario: GateScenario;
afterEach(() => scenario?.dispose());

const ALL_GATES = { ticket: {}, 'peer-review': {}, migrations: {}, approval: { approvers: ['maria'] }, window: { timezone: 'UTC', days: ['Tue' as const], from: '00:00', to: '23:59' } };

describe('runGates report', () => {
  it('gives every gate in a fixed order, with schemaVersion, environment, target, deployed, passed and overrides', async () => {
    scenario = await GateScenario.create({ ticket: {}, window: ALL_GATES.window });
    const { sha } = await scenario.merge(7, undefined, { body: 'SHOP-1' });
    const report = await scenario.judge();

    expect(report).toEqual({
      schemaVersion: 1,
      environment: 'production',
      commit: sha,
      deployed: scenario.deployed,
      passed: true,
      gates: [
        { name: 'ticket', status: 'pass', reason: expect.any(String) },
        { name: 'peer-review', status: 'skipped', reason: expect.any(String) },
        { name: 'migrations', status: 'skipped', reason: expect.any(String) },
        { name: 'approval', status: 'skipped', reason: expect.any(String) },
        { name: 'window', status: 'pass', reason: expect.any(String) },
      ],
      overrides: [],
    });
    // A report is data: it survives JSON as it is.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('gives production every gate by default', async () => {
    scenario = await GateScenario.create(undefined);
    scenario.deps.clock = new Date('2026-11-24T03:00:00Z');
    const report = await scenario.judge();
    expect(report.gates.map((g) => g.status)).not.toContain('skipped');
  });

  it('skips the gates not asked for, and fails only on the ones judged', async () => {
    scenario = await GateScenario.create(ALL_GATES);
    await scenario.merge(7, undefined, { body: 'SHOP-1' });
    const report = await scenario.judge({ only: ['ticket'] });
    expect(report.passed).toBe(true);
    expect(report.gates.map((g) => [g.name, g.status])).toEqual([
      ['ticket', 'pass'],
      ['peer-review', 'skipped'],
      ['migrations', 'skipped'],
      ['approval', 'skipped'],
      ['window', 'skipped'],
    ]);
  });

  it('records an override only where it let a failing gate through', async () => {
    scenario = await GateScenario.create({ ticket: {}, 'peer-review': {} });
    await scenario.merge(7, undefined, { body: 'SHOP-1', author: 'alice' });
    const report = await scenario.judge({
      overrides: [
        { gate: 'ticket', reason: 'not needed' },
        { gate: 'peer-review', reason: 'pairing counts' },
        { gate: 'window', reason: 'not enabled here' },
      ],
    });
    expect(gate(report, 'ticket').overridden).toBeUndefined();
    expect(gate(report, 'window')).toMatchObject({ status: 'skipped' });
    expect(report.overrides).toEqual([{ gate: 'peer-review', reason: 'pairing counts', by: 'carol' }]);
    expect(report.passed).toBe(true);
  });

  it('refuses an override of an unknown gate or without a reason, before judging anything', async () => {
    scenario = await GateScenario.create({ ticket: {} });
    await expect(scenario.judge({ overrides: [{ gate: 'tests' as never, reason: 'x' }] })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(scenario.judge({ overrides: [{ gate: 'ticket', reason: '   ' }] })).rejects.toMatchObject({ code: 'USAGE' });
    expect(scenario.deps.gitHubOpened).toBe(0);
    expect(() => checkOverrides([{ gate: 'window', reason: 'ok' }])).not.toThrow();
  });

  it('fails a gate that cannot be judged, with the cause and its hint, and lets an override through', async () => {
    scenario = await GateScenario.create({ ticket: {}, 'peer-review': {} });
    await scenario.merge(7, undefined, { body: 'SHOP-1' });
    scenario.deps.gitHubUnavailable = new ModError('GITHUB_UNAVAILABLE', 'no GitHub token', { hint: 'set GITHUB_TOKEN' });
    const report = await scenario.judge();
    expect(report.passed).toBe(false);
    expect(gate(report, 'ticket')).toMatchObject({ status: 'fail', reason: expect.stringContaining('no GitHub token'), fix: 'set GITHUB_TOKEN' });
    expect(gate(report, 'peer-review')).toMatchObject({ status: 'fail', fix: 'set GITHUB_TOKEN' });

    const overridden = await scenario.judge({
      overrides: [
        { gate: 'ticket', reason: 'GitHub is down' },
        { gate: 'peer-review', reason: 'GitHub is down' },
      ],
    });
    expect(overridden.passed).toBe(true);
    expect(overridden.overrides.map((o) => o.gate)).toEqual(['ticket', 'peer-review']);
  });
});

describe('the change under judgement', () => {
  it('looks up pull requests for the first-parent commits since the deployed one only', async () => {
    scenario = await GateScenario.create({ ticket: {} });
    const { sha: squash } = await scenario.merge(7, undefined, { body: 'SHOP-1' });
    await scenario.repo.sh('checkout', '-q', '-b', 'feature');
    const inside = await scenario.repo.commit('Work on the branch', { 'feature.txt': 'f\n' });
    await scenario.repo.sh('checkout', '-q', 'master');
    await scenario.repo.sh('merge', '-q', '--no-ff', 'feature', '-m', 'Merge pull request #8');
    const merge = await scenario.repo.head();
    scenario.github.addPull({ number: 8, body: 'SHOP-2', baseRef: 'master', mergeCommitSha: merge }, [merge, inside]);

    const report = await scenario.judge();
    expect(report).toMatchObject({ passed: true, deployed: scenario.deployed, commit: merge });
    expect(scenario.github.readsOf('forCommit').sort()).toEqual([merge, squash].sort());
  });

  it('counts a pull request into another branch only when its merge commit is the commit', async () => {
    scenario = await GateScenario.create({ ticket: {} });
    const sha = await scenario.push('Cherry-picked fix');
    scenario.github.addPull({ number: 5, body: 'SHOP-5', baseRef: 'stage', mergeCommitSha: 'elsewhere' }, [sha]);
    const refused = gate(await scenario.judge(), 'ticket');
    expect(refused.status).toBe('fail');
    expect(refused.reason).toContain(sha.slice(0, 8));

    const sha2 = await scenario.push('Merged from stage');
    scenario.github.addPull({ number: 6, body: 'SHOP-6', baseRef: 'stage', mergeCommitSha: sha2 }, [sha2]);
    const report = await scenario.judge({ ref: sha2 });
    expect(gate(report, 'ticket').reason).toContain(sha.slice(0, 8));
    expect(gate(report, 'ticket').reason).not.toContain(sha2.slice(0, 8));
  });

  it('judges the recent history as a first deploy when the deployed commit is not an ancestor of the target', async () => {
    scenario = await GateScenario.create({ ticket: {} });
    await scenario.repo.sh('checkout', '-q', '--orphan', 'rewritten');
    const unrelated = await scenario.repo.commit('Unrelated history', { 'other.txt': 'o\n' });
    scenario.provider.seed('production', { commit: unrelated });
    await scenario.repo.sh('checkout', '-q', 'master');
    await scenario.merge(7, undefined, { body: 'SHOP-1' });

    const report = await scenario.judge();
    expect(report.deployed).toBeNull();
    // Both master commits are in the change now, the first one without a pull request.
    expect(gate(report, 'ticket').reason).toContain(scenario.deployed.slice(0, 8));
  });

  it('takes the newest successful deployment as what runs, skipping failed ones', async () => {
    scenario = await GateScenario.create({ ticket: {} });
    const { sha } = await scenario.merge(7, undefined, { body: 'SHOP-1' });
    scenario.provider.seed('production', { commit: sha, status: 'Failed' });
    expect((await scenario.judge()).deployed).toBe(scenario.deployed);
    scenario.provider.seed('production', { commit: sha });
    expect((await scenario.judge()).deployed).toBe(sha);
  });

  it("reads each pull request's reviews once for the peer-review and approval gates together", async () => {
    scenario = await GateScenario.create({ 'peer-review': {}, approval: { approvers: ['maria'] } });
    await scenario.merge(7, undefined, { author: 'alice' });
    scenario.github.addReview(7, { user: 'maria', state: 'APPROVED' });
    const report = await scenario.judge();
    expect(report.passed).toBe(true);
    expect(scenario.github.readsOf('reviews')).toEqual(['7']);
    expect(scenario.deps.gitHubOpened).toBe(1);
  });
});
