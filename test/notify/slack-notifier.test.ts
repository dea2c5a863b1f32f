// The Slack notifier over a real incoming-webhook stand-in on loopback: the
// deploy result message, and (issue 12.4) the canary verdict and score with
// the failing metrics' reasons, kept short.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MetricVerdict } from '../../src/delivery/canary/canary-types.js';
import { canaryNotice, type DeliveryNotification } from '../../src/delivery/notifier.js';
import { SlackNotifier, slackText } from '../../src/notify/slack-notifier.js';
import { failedCanary, marginalCanary, passedCanary, REJECT_FAIL, skippedCanary } from '../fakes/canary-records.js';
import { SlackReceiver } from '../support/github-stand-in.js';

const slack = new SlackReceiver();
beforeAll(() => slack.start());
afterAll(() => slack.stop());
beforeEach(() => {
  slack.messages.length = 0;
  slack.failWith = undefined;
});

const RESULT: DeliveryNotification = {
  kind: 'rollback',
  environment: 'stage',
  commit: 'c0ffee00'.repeat(5),
  subject: 'Stricter model',
  author: 'Alice',
  initiator: 'carol',
  status: 'RolledBack',
  durationMs: 151_000,
  deploymentId: 'd-20261202T030000-abcdef',
};

describe('Slack notifier', () => {
  it('posts the deploy result to the webhook', async () => {
    const warnings: string[] = [];
    await new SlackNotifier(slack.url, (m) => warnings.push(m)).notify({ ...RESULT, kind: 'deploy.succeeded', status: 'Succeeded' });
    expect(warnings).toEqual([]);
    expect(slack.messages).toHaveLength(1);
    const text = slack.messages[0]!.text;
    expect(text).toContain('*Deploy succeeded* — stage');
    expect(text).toContain('commit `c0ffee00` Stricter model (Alice)');
    expect(text).toContain('by carol · status Succeeded · took 151.0 s · deployment d-20261202T030000-abcdef');
    expect(text).not.toContain('canary');
  });

  it('issue 12.4: the result message carries the canary verdict and score, and the failing metrics with why', async () => {
    await new SlackNotifier(slack.url, () => {}).notify({ ...RESULT, canary: canaryNotice(failedCanary()) });
    const lines = slack.messages[0]!.text.split('\n');
    expect(lines).toContain('canary *Fail* (score 50/100)');
    expect(lines).toContain('• `decision.reject` (critical): reject share 9% vs 3% (x3.00), two-proportion z-test p<0.0001');
    // Only what failed: passing metrics and ones without data stay in `mod canary report`.
    expect(lines.join('\n')).not.toContain('latency');
    expect(lines.join('\n')).not.toContain('category.scam');
  });

  it('issue 12.4: a pass says its score; a pause says it waits; a skip says why', () => {
    expect(slackText({ ...RESULT, kind: 'deploy.succeeded', canary: canaryNotice(passedCanary()) })).toMatch(/\ncanary \*Pass\* \(score 100\/100\)$/);
    expect(slackText({ ...RESULT, canary: canaryNotice(marginalCanary()) })).toContain('canary *Marginal* (score 80/100) — waiting for `mod approve`');
    expect(slackText({ ...RESULT, canary: canaryNotice(skippedCanary()) })).toContain('canary skipped: first deploy of stage: nothing to compare with');
  });

  it('issue 12.4: keeps it short: three failing metrics at most, each reason cut, the rest pointed to the report', () => {
    const failing = (n: number): MetricVerdict => ({ ...REJECT_FAIL, name: `category.c${n}`, critical: n === 5, reason: `${'long reason '.repeat(30)}${n}` });
    const canary = failedCanary();
    canary.verdict!.metrics = [1, 2, 3, 4, 5].map(failing);
    const text = slackText({ ...RESULT, canary: canaryNotice(canary) });
    const bullets = text.split('\n').filter((l) => l.startsWith('• '));
    expect(bullets).toHaveLength(4);
    // Critical first.
    expect(bullets[0]).toMatch(/^• `category\.c5` \(critical\): long reason/);
    for (const b of bullets.slice(0, 3)) expect(b.length).toBeLessThan(200);
    expect(bullets[0]!.endsWith('…')).toBe(true);
    expect(bullets[3]).toBe('• and 2 more failing metric(s): `mod canary report d-20261202T030000-abcdef`');
  });

  it('a webhook that fails is a warning, never an error', async () => {
    slack.failWith = 500;
    const warnings: string[] = [];
    await new SlackNotifier(slack.url, (m) => warnings.push(m)).notify({ ...RESULT, canary: canaryNotice(failedCanary()) });
    expect(warnings).toEqual([expect.stringContaining('Slack notification (rollback) failed')]);
  });
});

describe('issue 12.4: canaryNotice', () => {
  it('keeps the verdict, score, outcome and failing metrics of a record; nothing without a canary', () => {
    expect(canaryNotice(undefined)).toBeUndefined();
    expect(canaryNotice(failedCanary())).toEqual({
      status: 'Judged',
      verdict: 'Fail',
      score: 50,
      note: undefined,
      outcome: 'rolled-back',
      failing: [{ name: 'decision.reject', critical: true, reason: REJECT_FAIL.reason }],
    });
  });
});
