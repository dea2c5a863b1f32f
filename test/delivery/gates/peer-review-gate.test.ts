// The peer-review gate through runGates: an approval of the pull request's
// latest commit by someone other than its author, or the LGTM label added by
// someone else. Self-approval, bots, stale approvals and direct pushes fail it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GateScenario, gate } from './gate-scenario.js';

let scenario: GateScenario;
beforeEach(async () => {
  scenario = await GateScenario.create({ 'peer-review': {} });
});
afterEach(() => scenario.dispose());

async function peerReview() {
  const report = await scenario.judge();
  return { report, verdict: gate(report, 'peer-review') };
}

describe('peer-review gate', () => {
  it("passes on an approval of the pull request's latest commit by someone other than the author", async () => {
    await scenario.merge(7, undefined, { author: 'alice', headSha: 'aaa7' });
    scenario.github.addReview(7, { user: 'bob', state: 'APPROVED' });
    const { report, verdict } = await peerReview();
    expect(report.passed).toBe(true);
    expect(verdict.status).toBe('pass');
    expect(verdict.reason).toContain('bob');
  });

  it('fails on self-approval, naming the pull request', async () => {
    await scenario.merge(7, undefined, { author: 'alice' });
    scenario.github.addReview(7, { user: 'alice', state: 'APPROVED' });
    const { report, verdict } = await peerReview();
    expect(report.passed).toBe(false);
    expect(verdict.status).toBe('fail');
    expect(verdict.reason).toContain('#7');
    expect(verdict.fix).toEqual(expect.any(String));
  });

  it("never counts the author's own approval under another capitalisation of their login, nor mod's own review", async () => {
    await scenario.merge(7, undefined, { author: 'Alice' });
    scenario.github.addReview(7, { user: 'alice', state: 'APPROVED' });
    scenario.github.viewer = 'mod-bot';
    scenario.github.addReview(7, { user: 'Mod-Bot', state: 'APPROVED' });
    const { verdict } = await peerReview();
    expect(verdict).toMatchObject({ status: 'fail', reason: '#7: no approval by someone other than Alice (self-approval does not count)' });
  });

  it('fails when the approval was of an earlier commit of the pull request', async () => {
    await scenario.merge(7, undefined, { author: 'alice', headSha: 'new-head' });
    scenario.github.addReview(7, { user: 'bob', state: 'APPROVED', commitId: 'old-head' });
    expect((await peerReview()).verdict.status).toBe('fail');
  });

  it('does not count bots, and lets a later request for changes undo an approval but not a later comment', async () => {
    await scenario.merge(7, undefined, { author: 'alice' });
    scenario.github.addReview(7, { user: 'mod-release[bot]', state: 'APPROVED' });
    expect((await peerReview()).verdict.status).toBe('fail');

    scenario.github.addReview(7, { user: 'bob', state: 'APPROVED' });
    scenario.github.addReview(7, { user: 'bob', state: 'COMMENTED' });
    expect((await peerReview()).verdict.status).toBe('pass');

    scenario.github.addReview(7, { user: 'bob', state: 'CHANGES_REQUESTED' });
    expect((await peerReview()).verdict.status).toBe('fail');
  });

  it('passes on the LGTM label added by someone else, not by the author', async () => {
    await scenario.merge(7, undefined, { author: 'alice' });
    await scenario.merge(8, undefined, { author: 'dave' });
    scenario.github.addLabel(7, 'LGTM', 'bob');
    scenario.github.addLabel(8, 'LGTM', 'dave');
    const { verdict } = await peerReview();
    expect(verdict.status).toBe('fail');
    expect(verdict.reason).toContain('#8');
    expect(verdict.reason).not.toContain('#7');
  });

  it('fails on a commit pushed without a pull request', async () => {
    await scenario.merge(7, undefined, { author: 'alice' });
    scenario.github.addReview(7, { user: 'bob', state: 'APPROVED' });
    const pushed = await scenario.push('Hotfix straight to master');
    const { verdict } = await peerReview();
    expect(verdict.status).toBe('fail');
    expect(verdict.reason).toContain(pushed.slice(0, 8));
  });

  it('lets a failing peer review through with an override, recorded', async () => {
    await scenario.merge(7, undefined, { author: 'alice' });
    const report = await scenario.judge({ overrides: [{ gate: 'peer-review', reason: 'reviewed in a call with bob' }] });
    expect(report.passed).toBe(true);
    expect(gate(report, 'peer-review')).toMatchObject({ status: 'pass', overridden: { reason: 'reviewed in a call with bob', by: 'carol' } });
    expect(report.overrides).toEqual([{ gate: 'peer-review', reason: 'reviewed in a call with bob', by: 'carol' }]);
  });
});

describe('peer-review gate with a configured label', () => {
  it('accepts the configured label and no longer the default one', async () => {
    await scenario.dispose();
    scenario = await GateScenario.create({ 'peer-review': { label: 'ship-it' } });
    await scenario.merge(7, undefined, { author: 'alice' });
    await scenario.merge(8, undefined, { author: 'alice' });
    scenario.github.addLabel(7, 'ship-it', 'bob');
    scenario.github.addLabel(8, 'LGTM', 'bob');
    const verdict = gate(await scenario.judge(), 'peer-review');
    expect(verdict.status).toBe('fail');
    expect(verdict.reason).toContain('#8');
    expect(verdict.reason).not.toContain('#7');
  });
});
