// mergeLabels (issue 13, `mod model train --from-db`): which label a text
// trains with when the repository and moderators disagree, and the
// fingerprint of the moderators' labels used; labels of check-set texts left out.
import { describe, expect, it } from 'vitest';
import type { LabelledText } from '../../src/moderation/labelled-data.js';
import { labelsFingerprint, mergeLabels, type ModeratorLabel } from '../../src/moderation/training-labels.js';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 10, minute));
const mod = (text: string, label: 'ok' | 'ng', category: string | null, minute: number, by = 'ann'): ModeratorLabel => ({ text, label, category, decidedBy: by, decidedAt: at(minute) });

describe('mergeLabels', () => {
  it("a moderator's label beats the repository's for the same normalised text; an agreeing copy stays (training counts it as a duplicate)", () => {
    const repo: LabelledText[] = [
      { text: 'LINE交換しよう', label: 'ok', category: null },
      { text: 'こんにちは', label: 'ok', category: null },
      { text: 'お金を送って', label: 'ng', category: 'scam' },
    ];
    const merged = mergeLabels(repo, [mod('ＬＩＮＥ交換しよう', 'ng', 'contact', 1), mod('お金を送って', 'ng', 'scam', 2)]);
    expect(merged.replacedRepoLabels).toBe(1);
    expect(merged.used).toBe(2);
    expect(merged.examples).toEqual([
      { text: 'ＬＩＮＥ交換しよう', label: 'ng', category: 'contact' },
      { text: 'お金を送って', label: 'ng', category: 'scam' },
      { text: 'こんにちは', label: 'ok', category: null },
      { text: 'お金を送って', label: 'ng', category: 'scam' },
    ]);
  });

  it('another category is another label: the repository copy is replaced', () => {
    const merged = mergeLabels([{ text: 'x y z', label: 'ng', category: 'spam' }], [mod('x y z', 'ng', 'scam', 1)]);
    expect(merged.replacedRepoLabels).toBe(1);
    expect(merged.examples).toEqual([{ text: 'x y z', label: 'ng', category: 'scam' }]);
  });

  it('among moderators the latest decision wins, whatever the row order', () => {
    const rows = [mod('会いませんか', 'ok', null, 5, 'bob'), mod('会いませんか', 'ng', 'solicitation', 9, 'ann'), mod('会いませんか', 'ok', null, 1, 'cy')];
    for (const order of [rows, [...rows].reverse(), [rows[1]!, rows[0]!, rows[2]!]]) {
      const merged = mergeLabels([], order);
      expect(merged.examples).toEqual([{ text: '会いませんか', label: 'ng', category: 'solicitation' }]);
      expect(merged.used).toBe(1);
      expect(merged.superseded).toBe(2);
      expect(merged.from).toEqual(at(9));
      expect(merged.to).toEqual(at(9));
    }
  });

  it('equal decision times are broken the same way for any order', () => {
    const a = mod('same time', 'ok', null, 3, 'ann');
    const b = mod('same time', 'ng', 'spam', 3, 'bob');
    expect(mergeLabels([], [a, b]).examples).toEqual(mergeLabels([], [b, a]).examples);
  });

  it('the fingerprint is stable under row order, and changes with a label', () => {
    const rows = [mod('one', 'ok', null, 1), mod('two', 'ng', 'spam', 2), mod('three', 'ng', null, 3), mod('ｏｎｅ', 'ok', null, 0)];
    const first = mergeLabels([], rows);
    const shuffled = mergeLabels([], [rows[2]!, rows[0]!, rows[3]!, rows[1]!]);
    expect(shuffled.fingerprint).toBe(first.fingerprint);
    expect(first.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.from).toEqual(at(1));
    expect(first.to).toEqual(at(3));
    const relabelled = mergeLabels([], [mod('one', 'ok', null, 1), mod('two', 'ng', 'scam', 2), mod('three', 'ng', null, 3)]);
    expect(relabelled.fingerprint).not.toBe(first.fingerprint);
    // The repository's data is not part of it.
    expect(mergeLabels([{ text: 'other', label: 'ok' }], rows).fingerprint).toBe(first.fingerprint);
  });

  it('a free-text category (older labels) trains as NG of no known category; ok never carries one', () => {
    const merged = mergeLabels([], [mod('a', 'ng', 'weird stuff', 1), mod('b', 'ok', 'spam', 2)]);
    expect(merged.examples).toEqual([
      { text: 'a', label: 'ng', category: null },
      { text: 'b', label: 'ok', category: null },
    ]);
    expect(merged.fingerprint).toBe(labelsFingerprint(merged.examples));
  });

  it("leaves out and counts the labels of texts in the model gate's check set (by normalised text), before choosing the latest", () => {
    const checkSet = [{ text: 'LINE交換しよう' }, { text: '週末は映画に行きました' }];
    const merged = mergeLabels([], [mod('ＬＩＮＥ交換しよう', 'ng', 'contact', 1), mod('LINE交換しよう', 'ok', null, 5), mod('お金を送って', 'ng', 'scam', 2)], { checkSet });
    expect(merged).toMatchObject({ used: 1, superseded: 0, checkSetExcluded: 2, from: at(2), to: at(2) });
    expect(merged.examples).toEqual([{ text: 'お金を送って', label: 'ng', category: 'scam' }]);
    expect(merged.fingerprint).toBe(labelsFingerprint(merged.examples));
    expect(mergeLabels([], [mod('お金を送って', 'ng', 'scam', 2)]).checkSetExcluded).toBe(0);
  });

  it('no moderators: the repository data unchanged, nothing used', () => {
    const repo: LabelledText[] = [{ text: 'a', label: 'ok' }];
    expect(mergeLabels(repo, [])).toMatchObject({ examples: repo, used: 0, replacedRepoLabels: 0, from: null, to: null });
  });
});
