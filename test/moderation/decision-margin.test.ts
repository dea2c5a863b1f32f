// The margin of a decision (issue 13): the distance from the NG score to the
// nearest threshold where the decision changes; 1 when no score changes it.
import { beforeAll, describe, expect, it } from 'vitest';
import { CERTAIN_MARGIN, decisionMargin } from '../../src/moderation/decision-margin.js';
import { defaultModelPath } from '../../src/moderation/index.js';
import { Moderator } from '../../src/moderation/moderator.js';
import { uniformPolicy, type DecisionPolicy } from '../../src/moderation/policy.js';

const spam = [{ name: 'spam' as const, score: 0.5 }];
const minor = [{ name: 'minor' as const, score: 0.5 }];

describe('decisionMargin', () => {
  const policy = uniformPolicy(0.2, 0.8, { spam: 0.6 });

  it("is the distance to the nearer of the approve threshold and the reject threshold of the post's category", () => {
    expect(decisionMargin(0.1, spam, [], policy)).toBe(0.1); // approve: 0.2 is nearer than spam's 0.6
    expect(decisionMargin(0.45, spam, [], policy)).toBe(0.15); // review: 0.6 (spam) is nearer than 0.2
    expect(decisionMargin(0.65, spam, [], policy)).toBe(0.05); // reject by spam's 0.6; the general 0.8 changes nothing
    expect(decisionMargin(0.2, spam, [], policy)).toBe(0); // on a threshold
  });

  it('uses the general reject threshold for a post without a category', () => {
    expect(decisionMargin(0.75, [], [], policy)).toBe(0.05);
  });

  it('is certain (1) when a reject-severity rule decides, whatever the score', () => {
    expect(decisionMargin(0.05, [], [{ category: 'contact', severity: 'reject' }], policy)).toBe(CERTAIN_MARGIN);
    expect(CERTAIN_MARGIN).toBe(1);
  });

  it('a review-severity rule: only the reject threshold can change the decision (no approve with a rule hit)', () => {
    expect(decisionMargin(0.1, spam, [{ category: 'spam', severity: 'review' }], policy)).toBe(0.5);
  });

  it('a category the policy always reviews: the approve threshold only, or certain with a rule hit', () => {
    const reviewMinor: DecisionPolicy = { ...policy, categories: { ...policy.categories, minor: { action: 'review', rejectAbove: 0.6 } } };
    expect(decisionMargin(0.9, minor, [], reviewMinor)).toBe(0.7);
    expect(decisionMargin(0.9, minor, [{ category: 'minor', severity: 'review' }], reviewMinor)).toBe(CERTAIN_MARGIN);
  });
});

describe('Moderator.moderate margin', () => {
  let moderator: Moderator;
  beforeAll(async () => {
    moderator = await Moderator.load(defaultModelPath);
  });

  it('is 1 for contact details caught by a rule, and below 1 for a post the model decides near its thresholds', () => {
    expect(moderator.moderate({ text: 'LINE交換しよ！ID教えて' })).toMatchObject({ decision: 'reject', margin: 1 });
    const ordinary = moderator.moderate({ text: 'はじめまして！プロフィール拝見しました' });
    expect(ordinary.decision).toBe('approve');
    expect(ordinary.margin).toBeCloseTo(moderator.policy.approveBelow - ordinary.score, 5);
  });
});
