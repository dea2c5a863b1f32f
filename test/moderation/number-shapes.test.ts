import { describe, expect, it } from 'vitest';
import { Featurizer, defaultFeatureSettings } from '../../src/moderation/featurizer.js';
import { normaliseText } from '../../src/moderation/normalise.js';
import { COUNTED_NUMBER, LONG_NUMBER, MEDIUM_NUMBER, PHONE_LENGTH_NUMBER, SHORT_NUMBER, numberShapeUnits } from '../../src/moderation/number-shapes.js';

function shapes(text: string): number[] {
  const n = normaliseText(text);
  const out = new Uint16Array(n.length);
  const k = numberShapeUnits(n, n.length, out);
  return [...out.slice(0, k)].filter((u) => u >= COUNTED_NUMBER && u <= PHONE_LENGTH_NUMBER);
}

const features = (text: string) => new Set(new Featurizer({ ...defaultFeatureSettings, bits: 18 }).featurizeCopy(normaliseText(text)).indices);

describe('number shapes', () => {
  it.each(['28歳', '19時', '30分', '3,500円', '165cm', 'A3出口', '64GB', '2LDK', '5階', '３月', '1.5kg', '¥3,000', '18 時'])('a number with a counter is one counted number: %s', (text) => {
    expect(shapes(text)).toEqual([COUNTED_NUMBER]);
  });

  it('other digit runs keep only their length', () => {
    expect(shapes('12')).toEqual([SHORT_NUMBER]);
    expect(shapes('1234')).toEqual([MEDIUM_NUMBER]);
    expect(shapes('123456')).toEqual([LONG_NUMBER]);
    expect(shapes('09012345678')).toEqual([PHONE_LENGTH_NUMBER]);
    expect(shapes('090-1234-5678')).toEqual([MEDIUM_NUMBER, MEDIUM_NUMBER, MEDIUM_NUMBER]);
    expect(shapes('18:30')).toEqual([SHORT_NUMBER, SHORT_NUMBER]);
  });

  it('ages with different values share their features; a phone number shares none of the number ones', () => {
    expect(features('28歳です')).toEqual(features('35歳です'));
    expect(features('3,500円です')).toEqual(features('12,000円です'));
    const phone = features('09012345678です');
    const age = features('28歳です');
    const onlyPhone = [...phone].filter((i) => !age.has(i));
    expect(onlyPhone.length).toBeGreaterThan(3);
  });

  it('a latin counter must end the word', () => {
    expect(shapes('5gatsu')).toEqual([SHORT_NUMBER]);
    expect(shapes('5g')).toEqual([COUNTED_NUMBER]);
  });
});
