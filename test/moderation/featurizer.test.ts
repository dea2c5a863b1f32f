import { describe, expect, it } from 'vitest';
import { Featurizer, defaultFeatureSettings } from '../../src/moderation/featurizer.js';
import { normalise, normaliseText } from '../../src/moderation/normalise.js';
import { contactRuleCodes, contactRulesIn } from '../../src/moderation/contact-rules.js';

const sorted = (v: { indices: Int32Array; length: number }) => [...v.indices.slice(0, v.length)].sort((a, b) => a - b);

describe('Featurizer', () => {
  const f = new Featurizer({ ...defaultFeatureSettings, bits: 16, ruleFeatures: true });

  it('is deterministic and stays inside the hashed space', () => {
    const a = f.featurizeCopy('line交換しよう');
    const b = f.featurizeCopy('line交換しよう');
    expect(sorted(a)).toEqual(sorted(b));
    for (const i of a.indices) expect(i >= 0 && i < 1 << 16).toBe(true);
  });

  it('counts char n-grams, word n-grams, the length bucket and rule features', () => {
    const text = 'ab cd';
    const plain = new Featurizer({ ...defaultFeatureSettings, bits: 16, ruleFeatures: false });
    // padded length 7: n-grams of order 1..4 starting at -1..5.
    const charGrams = 7 + 6 + 5 + 4;
    const words = 2 + 1;
    expect(plain.featurize(text).length).toBe(charGrams + words + 1);
    expect(new Featurizer({ ...defaultFeatureSettings, bits: 16, lengthFeature: false }).featurize(text).length).toBe(charGrams + words);
    const withRules = f.featurize('090-1234-5678');
    const withoutRules = plain.featurize('090-1234-5678');
    expect(withRules.length).toBe(withoutRules.length + 1);
  });

  it('gives width and kana variants the same features after normalisation', () => {
    const a = f.featurizeCopy(normaliseText('ＬＩＮＥ交換'));
    const b = f.featurizeCopy(normaliseText('line交換'));
    expect(sorted(a)).toEqual(sorted(b));
    const c = f.featurizeCopy(normaliseText('ライン'));
    const d = f.featurizeCopy(normaliseText('らいん'));
    expect(sorted(c)).toEqual(sorted(d));
  });

  it('scales vectors to unit norm', () => {
    const v = f.featurize('hello world');
    expect(v.value).toBeCloseTo(1 / Math.sqrt(v.length), 10);
  });

  it('bounds the work by maxChars', () => {
    const small = new Featurizer({ ...defaultFeatureSettings, bits: 16, maxChars: 100, ruleFeatures: false });
    const long = small.featurize('あ'.repeat(100_000));
    expect(long.length).toBeLessThanOrEqual(102 * 4 + 101 * 2);
  });

  it('grows its buffer for long text and reuses it', () => {
    const g = new Featurizer({ ...defaultFeatureSettings, bits: 12 });
    const first = g.featurize('x'.repeat(1000));
    const again = g.featurize('y');
    expect(first).toBe(again);
    expect(again.length).toBeGreaterThan(0);
  });

  it('handles empty text', () => {
    const v = f.featurize('');
    expect(v.length).toBeGreaterThan(0); // the padding spaces
  });
});

describe('Featurizer with rule codes from the caller', () => {
  const withRules = { ...defaultFeatureSettings, ruleFeatures: true };
  const texts = ['LINEやってる？ID教えて', '連絡はこちら ０９０ー１２３４ー５６７８', 'mail me: someone (at) example dot com', '今日はありがとう'];

  it('gives the same vector as running the rules itself (the Moderator scans once)', () => {
    for (const raw of texts) {
      const normalised = normalise(raw, { offsets: true });
      const { ruleCodes } = contactRulesIn(normalised);
      const own = new Featurizer(withRules).featurizeCopy(normalised.text);
      const given = new Featurizer(withRules).featurize(normalised.text, ruleCodes);
      expect(Array.from(given.indices.slice(0, given.length))).toEqual(Array.from(own.indices));
      expect(given.value).toBe(own.value);
    }
    expect(contactRulesIn(normalise('LINE ID: abc_123', { offsets: true })).ruleCodes).toEqual(contactRuleCodes(normalise('LINE ID: abc_123').text));
  });

  it('ignores the given codes when the text is cut at maxChars (they describe the whole text)', () => {
    const settings = { ...withRules, maxChars: 10 };
    const text = normalise('今日はありがとう、またね。メールは a.b@example.com').text;
    const own = new Featurizer(settings).featurizeCopy(text);
    const given = new Featurizer(settings).featurize(text, ['email.address']);
    expect(Array.from(given.indices.slice(0, given.length))).toEqual(Array.from(own.indices));
  });
});
