import { describe, expect, it } from 'vitest';
import type { Category } from '../../src/moderation/categories.js';
import { chooseApproveBelow, chooseDecisionThresholds, defaultDecisionTargets, type ValidationItem } from '../../src/moderation/decision-thresholds.js';
import { decideWithPolicy, uniformPolicy } from '../../src/moderation/policy.js';
import { seededRandom } from '../../src/moderation/random.js';

// Synthetic validation data: ordinary posts score low, NG high, with overlap;
// some NG carry a rule hit.
function synthetic(n: number, seed: number): ValidationItem[] {
  const random = seededRandom(seed);
  const cats: Category[] = ['contact', 'scam', 'abuse', 'solicitation'];
  const items: ValidationItem[] = [];
  for (let i = 0; i < n; i++) {
    const ng = random() < 0.35;
    const category = cats[Math.floor(random() * cats.length)]!;
    const score = ng ? Math.min(1, Math.max(0, 0.75 + (random() - 0.5) * 0.9)) : Math.min(1, Math.max(0, Math.abs(random() * random()) * 0.7));
    const rules = ng && category === 'contact' && random() < 0.6 ? [{ category: 'contact' as const, severity: 'reject' as const }] : [];
    items.push({ ng, score, categories: [{ name: category, score }], rules });
  }
  return items;
}

function outcome(items: ValidationItem[], t: ReturnType<typeof chooseDecisionThresholds>) {
  const policy = uniformPolicy(t.approveBelow, t.rejectAbove, t.categories);
  const d = items.map((i) => ({ ng: i.ng, ...decideWithPolicy(i.score, i.categories, i.rules, policy) }));
  const ng = d.filter((x) => x.ng);
  const ok = d.filter((x) => !x.ng);
  return {
    ngApproved: ng.filter((x) => x.decision === 'approve').length / ng.length,
    okRejected: ok.filter((x) => x.decision === 'reject').length / ok.length,
    okApproved: ok.filter((x) => x.decision === 'approve').length / ok.length,
    ngRejected: ng.filter((x) => x.decision === 'reject').length / ng.length,
  };
}

describe('thresholds chosen for the whole decision', () => {
  it('meets both targets on the data it was chosen on', () => {
    for (const seed of [1, 2, 3]) {
      const items = synthetic(4000, seed);
      const r = outcome(items, chooseDecisionThresholds(items));
      expect(r.ngApproved).toBeLessThanOrEqual(defaultDecisionTargets.maxNgApproved);
      expect(r.okRejected).toBeLessThanOrEqual(defaultDecisionTargets.maxOkRejected);
      // And it does not give up: most ordinary posts approved, most NG rejected.
      expect(r.okApproved).toBeGreaterThan(0.5);
      expect(r.ngRejected).toBeGreaterThan(0.3);
    }
  });

  it('does not count NG the rules catch against the approve budget', () => {
    const ngUnruled = [0.1, 0.2, 0.3, 0.4].map((score) => ({ ng: true, score, categories: [], rules: [] }));
    const ngRuled = Array.from({ length: 96 }, () => ({ ng: true, score: 0.01, categories: [], rules: [{ category: 'contact' as const, severity: 'reject' as const }] }));
    // 100 NG, 1% may be approved: about one unruled NG below the (smoothed) cut, however low the ruled ones score.
    const cut = chooseApproveBelow([...ngUnruled, ...ngRuled], 0.01);
    expect(cut).toBeGreaterThan(0.1);
    expect(cut).toBeLessThan(0.3);
    // The same four unruled NG among 4 NG in all may approve 1% of 4: the cut falls below the lowest.
    expect(chooseApproveBelow(ngUnruled, 0.01)).toBeLessThan(0.1);
  });

  it('moves little when one hard NG post is added or removed', () => {
    const items = synthetic(4000, 7);
    const base = chooseApproveBelow(items, 0.01);
    const lowest = items.filter((i) => i.ng && i.rules.length === 0).sort((a, b) => a.score - b.score)[0]!;
    const without = chooseApproveBelow(
      items.filter((i) => i !== lowest),
      0.01,
    );
    expect(Math.abs(without - base) / base).toBeLessThan(0.25);
  });

  it('spends the ordinary-rejected budget where it rejects the most NG, and never below the floor', () => {
    const items: ValidationItem[] = [];
    // scam: NG from 0.99 down; one ordinary post at 0.95 blocks the cut.
    for (let i = 0; i < 50; i++) items.push({ ng: true, score: 0.99 - i * 0.001, categories: [{ name: 'scam', score: 0.9 }], rules: [] });
    items.push({ ng: false, score: 0.95, categories: [{ name: 'scam', score: 0.9 }], rules: [] });
    for (let i = 0; i < 50; i++) items.push({ ng: true, score: 0.94 - i * 0.001, categories: [{ name: 'scam', score: 0.9 }], rules: [] });
    // abuse: one ordinary post on top, a single NG behind it.
    items.push({ ng: false, score: 0.97, categories: [{ name: 'abuse', score: 0.9 }], rules: [] });
    items.push({ ng: true, score: 0.96, categories: [{ name: 'abuse', score: 0.9 }], rules: [] });
    for (let i = 0; i < 150; i++) items.push({ ng: false, score: 0.01, categories: [{ name: 'scam', score: 0.01 }], rules: [] });
    // 152 ordinary posts at 0.5%: room for no ordinary post at all...
    expect(chooseDecisionThresholds(items).categories.scam).toBeCloseTo(0.95, 6);
    // ...at 1%: room for one, spent on scam (50 more NG) rather than abuse (1 more).
    const t = chooseDecisionThresholds(items, { ...defaultDecisionTargets, maxOkRejected: 0.01 });
    expect(t.categories.scam).toBeLessThan(0.9);
    expect(t.categories.scam).toBeGreaterThanOrEqual(defaultDecisionTargets.minRejectScore);
    expect(t.categories.abuse).toBeCloseTo(0.97, 6);
  });
});
