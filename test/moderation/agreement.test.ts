// Agreement between two moderators (issue 13): observed agreement and
// Cohen's kappa against textbook values, and the label words.
import { describe, expect, it } from 'vitest';
import { agreementOf, labelWord } from '../../src/moderation/agreement.js';
import { opinionsNeeded } from '../../src/moderation/second-opinion.js';
import { canaryBucket } from '../../src/moderation/model-pointer.js';

describe('agreementOf', () => {
  it('the 2x2 example (Wikipedia, "Cohen\'s kappa"): 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> po 0.7, pe 0.5, kappa 0.4', () => {
    const summary = agreementOf([
      { first: 'ng', second: 'ng', count: 20 },
      { first: 'ng', second: 'ok', count: 5 },
      { first: 'ok', second: 'ng', count: 10 },
      { first: 'ok', second: 'ok', count: 15 },
    ]);
    expect(summary).toMatchObject({ pairs: 50, agreed: 35, observedAgreement: 0.7, kappa: 0.4 });
    // Specific agreement: ng 2*20/(25+30), ok 2*15/(20+25).
    expect(summary.byCategory).toEqual({
      ng: { pairs: 35, agreed: 20, specificAgreement: 0.727273 },
      ok: { pairs: 30, agreed: 15, specificAgreement: 0.666667 },
    });
  });

  it('the second example there: 45/15/25/15 of 100 -> po 0.6, pe 0.54, kappa 0.1304', () => {
    const summary = agreementOf([
      { first: 'a', second: 'a', count: 45 },
      { first: 'a', second: 'b', count: 15 },
      { first: 'b', second: 'a', count: 25 },
      { first: 'b', second: 'b', count: 15 },
    ]);
    expect(summary.observedAgreement).toBe(0.6);
    expect(summary.kappa).toBeCloseTo(0.130435, 6);
  });

  it('three words, worked by hand: po 0.89, pe 0.8·0.8 + 0.1·0.05 + 0.1·0.15 = 0.66, kappa 0.23 / 0.34 = 0.6765', () => {
    // Rows: the first opinion; columns: the second.
    const table = [
      [75, 1, 4],
      [5, 4, 1],
      [0, 0, 10],
    ];
    const words = ['ok', 'spam', 'scam'];
    const counts = table.flatMap((row, i) => row.map((count, j) => ({ first: words[i]!, second: words[j]!, count })));
    const summary = agreementOf(counts);
    expect(summary.pairs).toBe(100);
    expect(summary.observedAgreement).toBe(0.89);
    expect(summary.kappa).toBeCloseTo(0.6765, 3);
  });

  it('no pairs, and a chance agreement of 1: null, not a division by zero', () => {
    expect(agreementOf([])).toEqual({ pairs: 0, agreed: 0, observedAgreement: null, kappa: null, byCategory: {} });
    expect(agreementOf([{ first: 'ok', second: 'ok', count: 3 }])).toMatchObject({ pairs: 3, agreed: 3, observedAgreement: 1, kappa: null });
  });

  it('perfect disagreement on two balanced words is kappa -1', () => {
    expect(
      agreementOf([
        { first: 'ok', second: 'spam', count: 5 },
        { first: 'spam', second: 'ok', count: 5 },
      ]).kappa,
    ).toBe(-1);
  });
});

describe('labelWord and opinionsNeeded', () => {
  it('a label is ok, its category, or ng without one', () => {
    expect([labelWord('ok', null), labelWord('ng', 'scam'), labelWord('ng', null)]).toEqual(['ok', 'scam', 'ng']);
  });

  it("needs two opinions for the share of post ids whose (salted) bucket is below share x 100, apart from the model canary's buckets", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `post-${i}`);
    expect(ids.filter((id) => opinionsNeeded(id, 0) === 2)).toEqual([]);
    expect(ids.every((id) => opinionsNeeded(id, 1) === 2)).toBe(true);
    const tenth = ids.filter((id) => opinionsNeeded(id, 0.1) === 2);
    expect(tenth.every((id) => canaryBucket(`second-opinion:${id}`) < 10)).toBe(true);
    expect(tenth.length).toBeGreaterThan(100);
    expect(tenth.length).toBeLessThan(300);
    // A 10% model canary decides about a tenth of them, not all (the unsalted bucket would put every one in it).
    const canaryDecided = tenth.filter((id) => canaryBucket(id) < 10).length;
    expect(canaryDecided).toBeLessThan(tenth.length / 3);
  });
});
