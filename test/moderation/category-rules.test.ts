import { describe, expect, it } from 'vitest';
import { categoryRulesIn } from '../../src/moderation/category-rules.js';
import { normalise } from '../../src/moderation/normalise.js';

const hits = (text: string) => categoryRulesIn(normalise(text, { offsets: true })).map((h) => h.category);

describe('category terms', () => {
  it.each([
    ['solicitation', 'パパ活してます、ホ別苺で'],
    ['solicitation', 'ﾜﾘｷﾘで会える人'],
    ['solicitation', 'お手当ありでゆっくりできたら'],
    ['scam', '絶対儲かる案件あります'],
    ['scam', '副業で月50万稼げる方法教えます'],
    ['offplatform_payment', '手数料かからないように直接振込で'],
    ['offplatform_payment', 'メルカリ通さないで取引しませんか'],
    ['abuse', '死ね'],
    ['abuse', '家特定したから'],
    ['spam', 'フォロバ100%です'],
    ['minor', 'JKです！'],
    ['minor', 'まだ16だけど会えますか'],
  ])('%s: %s', (category, text) => {
    expect(hits(text)).toContain(category);
  });

  it.each([
    'ごめんなさい、パパ活とかそういうのは興味ないです',
    '振込での直接取引はお受けしていません',
    'アプリを通さない取引はできません',
    '苺のパフェ食べたい',
    '定期券の範囲内だと助かります',
    '高校生の頃はバスケ部でした',
    '中学生の甥っ子にゲームで負けた',
    '殺人的な暑さ',
    '投資の話はちょっと…',
  ])('no hit in an ordinary post or a refusal: %s', (text) => {
    expect(hits(text)).toEqual([]);
  });

  it('points at the original span', () => {
    const text = 'こんにちは！ﾊﾟﾊﾟ活してます';
    const [hit] = categoryRulesIn(normalise(text, { offsets: true }));
    expect(text.slice(hit!.start, hit!.end)).toBe(hit!.match);
    expect(hit!.match).toBe('ﾊﾟﾊﾟ活');
  });
});
