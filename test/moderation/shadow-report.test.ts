// shadowReport (issue 13): agreement, the live x shadow table, per-category
// agreement and the disagreeing cells' newest examples, from grouped counts;
// parseSince for --since.
import { describe, expect, it } from 'vitest';
import { parseSince } from '../../src/cli/flag-parsers.js';
import { ExitCode, UsageError } from '../../src/errors.js';
import { shadowReport, type ShadowGroup } from '../../src/moderation/shadow-report.js';

const since = new Date('2026-12-01T00:00:00Z');
const ex = (id: string, minute: number) => ({ postId: id, createdAt: new Date(Date.UTC(2026, 11, 1, 12, minute)) });

const groups: ShadowGroup[] = [
  { live: { decision: 'approve', category: null }, shadow: { decision: 'approve', category: null }, posts: 6, examples: [] },
  { live: { decision: 'reject', category: 'contact' }, shadow: { decision: 'reject', category: 'contact' }, posts: 2, examples: [] },
  { live: { decision: 'reject', category: 'contact' }, shadow: { decision: 'reject', category: 'scam' }, posts: 1, examples: [ex('c1', 1)] },
  { live: { decision: 'approve', category: null }, shadow: { decision: 'review', category: 'spam' }, posts: 3, examples: [ex('a1', 1), ex('a2', 5), ex('a3', 3)] },
  { live: { decision: 'approve', category: null }, shadow: { decision: 'review', category: 'scam' }, posts: 2, examples: [ex('a4', 4), ex('a5', 9)] },
  { live: { decision: 'review', category: 'spam' }, shadow: { decision: 'approve', category: null }, posts: 1, examples: [ex('r1', 2)] },
];

describe('shadowReport', () => {
  const report = shadowReport(groups, { shadowVersion: 'v2', since, examples: 3 });

  it('counts the total and both agreements', () => {
    expect(report.total).toBe(15);
    expect(report.agreement).toEqual({ posts: 15, sameDecision: 9, sameDecisionAndCategory: 8, decisionRate: 9 / 15, fullRate: 8 / 15 });
  });

  it('the live x shadow decision table', () => {
    expect(report.matrix).toEqual({ approve: { approve: 6, review: 5, reject: 0 }, review: { approve: 1, review: 0, reject: 0 }, reject: { approve: 0, review: 0, reject: 3 } });
  });

  it('agreement by live category and by shadow category (none: no category)', () => {
    expect(report.byLiveCategory).toEqual({
      contact: { posts: 3, sameDecision: 3, sameDecisionAndCategory: 2, decisionRate: 1, fullRate: 2 / 3 },
      none: { posts: 11, sameDecision: 6, sameDecisionAndCategory: 6, decisionRate: 6 / 11, fullRate: 6 / 11 },
      spam: { posts: 1, sameDecision: 0, sameDecisionAndCategory: 0, decisionRate: 0, fullRate: 0 },
    });
    expect(Object.keys(report.byShadowCategory)).toEqual(['contact', 'none', 'scam', 'spam']);
    expect(report.byShadowCategory.scam).toEqual({ posts: 3, sameDecision: 1, sameDecisionAndCategory: 0, decisionRate: 1 / 3, fullRate: 0 });
  });

  it('disagreeing cells, most posts first, other decisions before other categories; newest examples, at most N', () => {
    expect(report.disagreements).toEqual([
      { live: 'approve', shadow: 'review', posts: 5, examples: ['a5', 'a2', 'a4'] },
      { live: 'review', shadow: 'approve', posts: 1, examples: ['r1'] },
      { live: 'reject', shadow: 'reject', liveCategory: 'contact', shadowCategory: 'scam', posts: 1, examples: ['c1'] },
    ]);
  });

  it('nothing shadowed: zero counts, rates null, no cells', () => {
    const empty = shadowReport([], { shadowVersion: null, since, examples: 5 });
    expect(empty).toMatchObject({ total: 0, shadowVersion: null, agreement: { posts: 0, decisionRate: null, fullRate: null }, disagreements: [], byLiveCategory: {} });
    expect(empty.matrix.approve).toEqual({ approve: 0, review: 0, reject: 0 });
  });
});

describe('parseSince', () => {
  const now = new Date('2026-12-02T12:00:00Z');
  it('reads durations back from now and ISO times; refuses anything else', () => {
    expect(parseSince('24h', now)).toEqual(new Date('2026-12-01T12:00:00Z'));
    expect(parseSince('7d', now)).toEqual(new Date('2026-11-25T12:00:00Z'));
    expect(parseSince('30m', now)).toEqual(new Date('2026-12-02T11:30:00Z'));
    expect(parseSince('2026-11-30T08:00:00Z', now)).toEqual(new Date('2026-11-30T08:00:00Z'));
    expect(parseSince('2026-11-30', now)).toEqual(new Date('2026-11-30T00:00:00Z'));
    for (const bad of ['yesterday', '24', '-3h', '2026-13-45', '']) expect(parseSince(bad, now)).toBeUndefined();
  });

  it('refuses (a usage error, exit 2, naming the limit) a duration past ten years, one too large for a date, and a time in the future', () => {
    const refusal = (value: string) => {
      try {
        parseSince(value, now);
      } catch (error) {
        return error as UsageError;
      }
      throw new Error(`${value} was accepted`);
    };
    expect(parseSince('3650d', now)).toEqual(new Date(now.getTime() - 3650 * 86_400_000));
    for (const big of ['99999999d', '3651d', '10000000000000000000000w', '600w']) {
      const error = refusal(big);
      expect(error).toBeInstanceOf(UsageError);
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(error.message).toBe(`--since ${big} reaches back further than the limit of 3650d (ten years)`);
    }
    expect(refusal('2027-01-01').message).toBe('--since 2027-01-01 is in the future (now is 2026-12-02T12:00:00.000Z): no post was created since then');
    expect(refusal('2027-01-01').exitCode).toBe(ExitCode.Usage);
    expect(refusal('1990-01-01').message).toContain('reaches back further than the limit of 3650d');
  });
});
