// The approval gate through runGates: a configured approver (listed, or a
// member of the configured team) approved each pull request, never their own;
// a pipeline with its own manual approval step decides instead.
import { afterEach, describe, expect, it } from 'vitest';
import { GateScenario, gate } from './gate-scenario.js';

let scenario: GateScenario;
afterEach(() => scenario.dispose());

describe('approval gate', () => {
  it('passes when a listed approver approved each pull request', async () => {
    scenario = await GateScenario.create({ approval: { approvers: ['maria'] } });
    await scenario.merge(7, undefined, { author: 'alice' });
    await scenario.merge(8, undefined, { author: 'bob' });
    scenario.github.addReview(7, { user: 'maria', state: 'APPROVED' });
    scenario.github.addReview(8, { user: 'maria', state: 'APPROVED' });
    const report = await scenario.judge();
    expect(report.passed).toBe(true);
    const approval = gate(report, 'approval');
    expect(approval.status).toBe('pass');
    expect(approval.reason).toContain('maria');
  });

  it('fails on a pull request only a non-approver approved, or that the approver wrote', async () => {
    scenario = await GateScenario.create({ approval: { approvers: ['maria'] } });
    await scenario.merge(7, undefined, { author: 'alice' });
    await scenario.merge(8, undefined, { author: 'maria' });
    await scenario.merge(9, undefined, { author: 'alice' });
    scenario.github.addReview(7, { user: 'bob', state: 'APPROVED' });
    scenario.github.addReview(8, { user: 'maria', state: 'APPROVED' });
    scenario.github.addReview(9, { user: 'maria', state: 'APPROVED' });
    const approval = gate(await scenario.judge(), 'approval');
    expect(approval.status).toBe('fail');
    expect(approval.reason).toContain('#7');
    expect(approval.reason).toContain('#8');
    expect(approval.reason).not.toContain('#9');
    expect(approval.fix).toContain('maria');
  });

  it('compares logins case-insensitively, as GitHub does: a configured Maria is the reviewer maria, and MARIA may not approve her own', async () => {
    scenario = await GateScenario.create({ approval: { approvers: ['Maria'] } });
    await scenario.merge(7, undefined, { author: 'alice' });
    await scenario.merge(8, undefined, { author: 'MARIA' });
    scenario.github.addReview(7, { user: 'maria', state: 'APPROVED' });
    scenario.github.addReview(8, { user: 'maria', state: 'APPROVED' });
    const approval = gate(await scenario.judge(), 'approval');
    expect(approval.status).toBe('fail');
    expect(approval.reason).toBe("no approver's approval on #8");
  });

  it("counts the configured team's members as approvers", async () => {
    scenario = await GateScenario.create({ approval: { approvers: [], team: 'acme/release-managers' } });
    scenario.github.setTeam('acme/release-managers', ['kenji', 'maria']);
    await scenario.merge(7, undefined, { author: 'alice' });
    scenario.github.addReview(7, { user: 'kenji', state: 'APPROVED' });
    expect(gate(await scenario.judge(), 'approval').status).toBe('pass');
    expect(scenario.github.readsOf('teamMembers')).toEqual(['acme/release-managers']);
  });

  it('fails when no approver is configured, and when a commit has no pull request', async () => {
    scenario = await GateScenario.create({ approval: {} });
    await scenario.merge(7);
    expect(gate(await scenario.judge(), 'approval').status).toBe('fail');

    await scenario.dispose();
    scenario = await GateScenario.create({ approval: { approvers: ['maria'] } });
    const pushed = await scenario.push('Direct push');
    const approval = gate(await scenario.judge(), 'approval');
    expect(approval.status).toBe('fail');
    expect(approval.reason).toContain(pushed.slice(0, 8));
  });

  it("leaves the decision to the pipeline's manual approval step, without reading GitHub", async () => {
    scenario = await GateScenario.create({ approval: { approvers: ['maria'] } });
    await scenario.merge(7);
    scenario.provider.tellManualApproval('production', true);
    const report = await scenario.judge();
    expect(gate(report, 'approval').status).toBe('pass');
    expect(scenario.provider.callsOf('pipelineHasManualApproval')).toHaveLength(1);
    expect(scenario.deps.gitHubOpened).toBe(0);
  });

  it('lets a missing approval through with an override, recorded', async () => {
    scenario = await GateScenario.create({ approval: { approvers: ['maria'] } });
    await scenario.merge(7);
    const report = await scenario.judge({ overrides: [{ gate: 'approval', reason: 'maria approved on the phone' }] });
    expect(report.passed).toBe(true);
    expect(gate(report, 'approval')).toMatchObject({ status: 'pass', overridden: { reason: 'maria approved on the phone', by: 'carol' } });
    expect(report.overrides).toEqual([{ gate: 'approval', reason: 'maria approved on the phone', by: 'carol' }]);
  });

  it('issue 17.16: passes with that reason when the change has no commits, even with no approvers configured', async () => {
    scenario = await GateScenario.create({ approval: {} });
    const approval = gate(await scenario.judge(), 'approval');
    expect(approval).toMatchObject({ status: 'pass', reason: expect.stringContaining('no new commits') });
  });
});
