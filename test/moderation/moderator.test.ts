import { beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../src/moderation/categories.js';
import { TextTooLongError } from '../../src/moderation/errors.js';
import { defaultModelPath } from '../../src/moderation/index.js';
import { modelPolicy } from '../../src/moderation/model-artifact.js';
import { Moderator, scoreText } from '../../src/moderation/moderator.js';
import { applyPolicyOverrides } from '../../src/moderation/policy-config.js';

let moderator: Moderator;
beforeAll(async () => {
  moderator = await Moderator.load(defaultModelPath);
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('Moderator with the shipped model', () => {
  it('answers { decision, category, categories, score, reasons, modelVersion, margin }', () => {
    const result = moderator.moderate({ text: 'はじめまして！プロフィール拝見しました' });
    expect(Object.keys(result).sort()).toEqual(['categories', 'category', 'decision', 'margin', 'modelVersion', 'reasons', 'score']);
    expect(result.decision).toBe('approve');
    expect(result.category).toBeNull();
    expect(result.modelVersion).toBe(moderator.model.manifest.version);
    // Every category, highest first, adding up to the NG score.
    expect(result.categories.map((c) => c.name).sort()).toEqual([...CATEGORIES].sort());
    const scores = result.categories.map((c) => c.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(result.score, 4);
  });

  it('echoes the request id', () => {
    expect(moderator.moderate({ text: 'hello', id: 'm-1', userId: 'u-1', kind: 'message' }).id).toBe('m-1');
  });

  it.each([
    ['ＬＩＮＥ交換しませんか？', 'contact.exchange-phrase'],
    ['０９０－１２３４－５６７８ に電話して', 'contact.phone'],
    ['taro123 at gmail dot com', 'contact.email'],
    ['kakao: minji0707', 'contact.messenger-id'],
  ])('rejects contact exchange with the rule and its category as the reason: %s', (text, code) => {
    const result = moderator.moderate({ text });
    expect(result.decision).toBe('reject');
    expect(result.category).toBe('contact');
    const reason = result.reasons.find((r) => r.code === code);
    expect(reason?.category).toBe('contact');
    expect(text.slice(reason!.span!.start, reason!.span!.end)).toBe(reason!.span!.text);
  });

  it('sends a link to review at least', () => {
    const result = moderator.moderate({ text: 'この記事おもしろかったよ https://example.com/article' });
    expect(result.decision).not.toBe('approve');
    expect(result.reasons.some((r) => r.code === 'contact.url')).toBe(true);
  });

  it.each([
    ['solicitation', 'ホ別苺でどうですか？'],
    ['scam', '絶対儲かる投資の話があるんだけど聞きたい？'],
    ['abuse', '死ねよブス、二度と連絡してくんな'],
    ['spam', 'フォロバ100%！相互フォローしてくれる人募集中✨'],
    ['offplatform_payment', '手数料かからないように直接振込でお願いします'],
    ['minor', '中学生だけど会える人いますか？'],
  ])('names the category of a clear %s post and does not approve it', (category, text) => {
    const result = moderator.moderate({ text });
    expect(result.decision).not.toBe('approve');
    expect(result.category).toBe(category);
    expect(result.categories[0]!.name).toBe(category);
  });

  it.each(['28歳です、よろしくお願いします', '19時にA3出口で待ち合わせでどうですか', '3,500円でいかがでしょうか', '身長は165cmです', 'インスタで見たカフェ行ってみたい', '駅前のスタバでお茶しましょう'])(
    'approves an ordinary post with numbers, places or app names: %s',
    (text) => {
      const result = moderator.moderate({ text });
      expect(result.decision).toBe('approve');
      expect(result.reasons).toEqual([]);
    },
  );

  it('follows the policy: a category whose action is review is never auto-rejected', () => {
    const text = 'JKです、今日会える人いませんか';
    expect(moderator.moderate({ text })).toMatchObject({ decision: 'reject', category: 'minor' });
    const reviewMinors = new Moderator(moderator.model, { policy: applyPolicyOverrides(modelPolicy(moderator.model.manifest), { categories: { minor: { action: 'review' } } }) });
    const reviewed = reviewMinors.moderate({ text });
    expect(reviewed).toMatchObject({ decision: 'review', category: 'minor' });
    expect(reviewed.reasons.find((r) => r.code === 'policy.review')).toMatchObject({ category: 'minor', message: 'the policy sends every minor post to a person' });
    // Other categories are untouched.
    expect(reviewMinors.moderate({ text: 'LINE交換しよ！ID教えて' }).decision).toBe('reject');
  });

  it('gives a model reason when the model sends a text to review', () => {
    const everythingReviewed = new Moderator(moderator.model, { thresholds: { approveBelow: 0, rejectAbove: 1 } });
    const result = everythingReviewed.moderate({ text: '週末は何をしていますか' });
    expect(result.decision).toBe('review');
    expect(result.reasons.map((r) => r.code)).toEqual(['model.review']);
    expect(result.category).toBe(result.categories[0]!.name);
  });

  it('refuses absurdly long text with exit code 2, naming the request', () => {
    const small = new Moderator(moderator.model, { maxTextLength: 100 });
    const error = thrown(() => small.moderate({ text: 'x'.repeat(101), id: 'long-1' }));
    expect(error).toBeInstanceOf(TextTooLongError);
    expect((error as TextTooLongError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/long-1: text is 101 characters; the limit is 100/);
    expect(small.moderate({ text: 'x'.repeat(100) }).modelVersion).toBe(moderator.modelVersion);
  });

  it('scoreText gives the same score as the moderator', () => {
    const text = 'インスタやってる？';
    expect(scoreText(moderator.model, text)).toBeCloseTo(moderator.moderate({ text }).score, 5);
  });

  it('handles empty and whitespace-only text without rule hits', () => {
    expect(moderator.moderate({ text: '' }).reasons.filter((r) => r.code.startsWith('contact.'))).toEqual([]);
    const blank = moderator.moderate({ text: ' \u200b\n' });
    expect(blank.reasons.filter((r) => r.code.startsWith('contact.'))).toEqual([]);
    expect(Number.isFinite(blank.score)).toBe(true);
  });
});
