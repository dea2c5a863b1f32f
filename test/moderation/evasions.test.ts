// Every evasion of a contact filter named in issue 10, after normalisation:
// full-width, kanji / kana numerals, keycap and circled digits, spacing,
// アット/ドット, reversed IDs, app nicknames and moving to another app.
import { beforeAll, describe, expect, it } from 'vitest';
import { findContactInfo } from '../../src/moderation/contact-rules.js';
import { DIGIT_SPELLINGS, generateContactPosts } from '../../src/moderation/generated-data.js';
import { defaultModelPath } from '../../src/moderation/index.js';
import { Moderator } from '../../src/moderation/moderator.js';
import { normaliseText } from '../../src/moderation/normalise.js';
import { seededRandom } from '../../src/moderation/random.js';

let moderator: Moderator;
beforeAll(async () => {
  moderator = await Moderator.load(defaultModelPath);
});

describe('normalisation of evasions', () => {
  it.each([
    ['full-width', '０９０－１２３４', '090-1234'],
    ['half-width katakana', 'ﾗｲﾝ', 'らいん'],
    ['full-width letters', 'ＬＩＮＥ　ＩＤ', 'line id'],
    ['keycap emoji digits', '0️⃣9️⃣0️⃣', '090'],
    ['circled digits', '⓪⑨⓪①②', '09012'],
    ['dingbat circled digits', '❶➋➌', '123'],
    ['mathematical digits', '𝟎𝟗𝟎', '090'],
    ['zero-width characters', 'l\u200bi\u200dn\ufeffe', 'line'],
    ['katakana to hiragana', 'アット ドット', 'あっと どっと'],
  ])('%s', (_name, text, expected) => {
    expect(normaliseText(text)).toBe(expected);
  });
});

describe('contact details written to dodge filters', () => {
  const random = seededRandom(3);
  const number = '09012345678';
  it.each(Object.keys(DIGIT_SPELLINGS))('a phone number spelled as %s is caught by the phone rule', (spelling) => {
    const text = `連絡はこちら ${DIGIT_SPELLINGS[spelling]!(number, random)} まで`;
    expect(findContactInfo(text).map((h) => h.code)).toContain('contact.phone');
    expect(moderator.moderate({ text }).decision).toBe('reject');
  });

  it.each(['taro.k アット gmail ドット com', 'taro_k＠ｇｍａｉｌ．ｃｏｍ', 'taro88 あっと yahoo どっと co どっと jp', 'taro88(at)icloud(dot)com', 'taro88 at gmail dot com'])('an e-mail address with spelled-out separators: %s', (text) => {
    expect(findContactInfo(text).map((h) => h.code)).toContain('contact.email');
  });

  it.each(['ＬＩＮＥのIDは tarou_88', 'ﾗｲﾝ教えて', 'い ん す た お し え て', 'ここ通知遅いからラインにしない？', 'らいんのIDは逆から読んでね 88uorat', '緑のアプリで話そ、QRコード送るね', 'インスタのID、プロフの画像に書いてあるよ'])(
    'a messenger ID or a move to another app is not approved: %s',
    (text) => {
      const result = moderator.moderate({ text });
      expect(result.decision).not.toBe('approve');
      expect(result.category).toBe('contact');
    },
  );

  it('the generated evasions are caught: none approved, nearly all rejected', () => {
    const posts = generateContactPosts(300, 99);
    const decisions = posts.map((p) => moderator.moderate({ text: p.text }).decision);
    expect(decisions.filter((d) => d === 'approve')).toEqual([]);
    expect(decisions.filter((d) => d === 'reject').length / posts.length).toBeGreaterThan(0.9);
  });
});
