import { describe, expect, it } from 'vitest';
import { normalise, normaliseText, originalSpan } from '../../src/moderation/normalise.js';

describe('normalise', () => {
  it.each([
    ['full-width ASCII to half-width', 'ＬＩＮＥ　ＩＤ', 'line id'],
    ['full-width digits', '０９０－１２３４', '090-1234'],
    ['half-width katakana with dakuten', 'ｶﾞｷﾞｸﾞ', 'がぎぐ'],
    ['katakana folded to hiragana', 'ライン', 'らいん'],
    ['mixed kana folds to one form', 'ラいン', 'らいん'],
    ['case folding', 'Hello WORLD', 'hello world'],
    ['zero-width space and joiner removed', 'ラ\u200bイ\u200dン', 'らいん'],
    ['BOM, soft hyphen and word joiner removed', '\ufeffli\u00adn\u2060e', 'line'],
    ['variation selectors removed', '❤\ufe0fです', '❤です'],
    ['control characters removed', 'a\u0007b\u0000c', 'abc'],
    ['newlines and tabs become one space', 'a\n\n\tb', 'a b'],
    ['ideographic space', 'こんにちは\u3000\u3000元気', 'こんにちは 元気'],
    ['repeated separators collapsed', 'wait----what....', 'wait-what.'],
    ['repeated exclamation collapsed', 'すごい！！！', 'すごい!'],
    ['URL slashes are kept', 'https://example.com', 'https://example.com'],
    ['compatibility characters', '㍻ ①② ㈱', '平成 12 (株)'],
    ['combining accent composed', 'e\u0301cole', 'école'],
    ['leading and trailing space trimmed', '  x  ', 'x'],
    ['empty text', '', ''],
    ['emoji kept', '🍣たべたい', '🍣たべたい'],
  ])('%s', (_name, input, expected) => {
    expect(normaliseText(input)).toBe(expected);
  });

  it('keeps the original text', () => {
    const n = normalise('ＡＢＣ', { offsets: true });
    expect(n.original).toBe('ＡＢＣ');
    expect(n.text).toBe('abc');
  });

  it('maps spans of the normalised text back to the original', () => {
    const original = 'メールは ｔａｒｏ＠ｇｍａｉｌ．ｃｏｍ まで';
    const n = normalise(original, { offsets: true });
    const start = n.text.indexOf('taro@gmail.com');
    const span = originalSpan(n, start, start + 'taro@gmail.com'.length);
    expect(original.slice(span.start, span.end)).toBe('ｔａｒｏ＠ｇｍａｉｌ．ｃｏｍ');
  });

  it('maps spans across removed zero-width characters and surrogate pairs', () => {
    const original = '🍣ラ\u200bイン';
    const n = normalise(original, { offsets: true });
    expect(n.text).toBe('🍣らいん');
    const start = n.text.indexOf('らいん');
    const span = originalSpan(n, start, start + 3);
    expect(original.slice(span.start, span.end)).toBe('ラ\u200bイン');
  });

  it('maps a half-width kana cluster to its whole source', () => {
    const original = 'xｶﾞy';
    const n = normalise(original, { offsets: true });
    expect(n.text).toBe('xがy');
    const span = originalSpan(n, 1, 2);
    expect(original.slice(span.start, span.end)).toBe('ｶﾞ');
  });

  it('has no offsets unless asked', () => {
    expect(normalise('abc').starts).toBeUndefined();
  });
});

describe('normalise fast path for ASCII', () => {
  it('gives the same text as the general path', () => {
    const alphabet = 'aB -_.~*=,!?#+|/:@0Z';
    let seed = 12345;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const length = next() % 24;
      for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length];
      expect(normalise(text).text, JSON.stringify(text)).toBe(normalise(text, { offsets: true }).text);
    }
  });
});
