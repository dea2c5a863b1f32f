import { beforeAll, describe, expect, it } from 'vitest';
import { TextTooLongError } from '../../src/moderation/errors.js';
import { defaultModelPath } from '../../src/moderation/index.js';
import { Moderator, scoreText } from '../../src/moderation/moderator.js';

let moderator: Moderator;
beforeAll(async () => {
  moderator = await Moderator.load(defaultModelPath);
});

describe('Moderator with the shipped model', () => {
  it('answers { decision, score, reasons, modelVersion }', () => {
    const result = moderator.moderate({ text: 'はじめまして！プロフィール拝見しました' });
    expect(Object.keys(result).sort()).toEqual(['decision', 'modelVersion', 'reasons', 'score']);
    expect(['approve', 'review', 'reject']).toContain(result.decision);
    expect(result.score).toBeGreaterThanOrEqual(0);
    expect(result.score).toBeLessThanOrEqual(1);
    expect(result.modelVersion).toBe(moderator.model.manifest.version);
  });

  it('echoes the request id', () => {
    expect(moderator.moderate({ text: 'hello', id: 'm-1', userId: 'u-1', kind: 'message' }).id).toBe('m-1');
  });

  it.each([
    ['ＬＩＮＥ交換しませんか？', 'contact.exchange-phrase'],
    ['０９０－１２３４－５６７８ に電話して', 'contact.phone'],
    ['taro123 at gmail dot com', 'contact.email'],
    ['kakao: minji0707', 'contact.messenger-id'],
  ])('rejects contact exchange with the rule as the reason: %s', (text, code) => {
    const result = moderator.moderate({ text });
    expect(result.decision).toBe('reject');
    const reason = result.reasons.find((r) => r.code === code);
    expect(reason).toBeDefined();
    expect(text.slice(reason!.span!.start, reason!.span!.end)).toBe(reason!.span!.text);
  });

  it('sends a link to review at least', () => {
    const result = moderator.moderate({ text: 'この記事おもしろかったよ https://example.com/article' });
    expect(result.decision).not.toBe('approve');
    expect(result.reasons.some((r) => r.code === 'contact.url')).toBe(true);
  });

  it('scores an SMS-style scam above an ordinary message', () => {
    const spam = moderator.score('WINNER!! You have been selected to receive a £900 prize. Call now to claim');
    const ham = moderator.score("Ok, I'll see you at lunch tomorrow then");
    expect(spam).toBeGreaterThan(ham);
    expect(moderator.moderate({ text: 'WINNER!! You have been selected to receive a £900 prize. Call now to claim' }).decision).toBe('reject');
  });

  it('gives a model reason when the model sends a text to review', () => {
    const everythingReviewed = new Moderator(moderator.model, { thresholds: { approveBelow: 0, rejectAbove: 1 } });
    const result = everythingReviewed.moderate({ text: '週末は何をしていますか' });
    expect(result.decision).toBe('review');
    expect(result.reasons.map((r) => r.code)).toEqual(['model.review']);
  });

  it('refuses absurdly long text with exit code 2', () => {
    const small = new Moderator(moderator.model, { maxTextLength: 100 });
    expect(() => small.moderate({ text: 'あ'.repeat(101) })).toThrow(TextTooLongError);
    try {
      small.moderate({ text: 'x'.repeat(101), id: 'long-1' });
    } catch (error) {
      expect((error as TextTooLongError).exitCode).toBe(2);
      expect((error as Error).message).toMatch(/long-1: text is 101 characters; the limit is 100/);
    }
    expect(small.moderate({ text: 'x'.repeat(100) }).decision).toBeDefined();
  });

  it('scoreText gives the same score as the moderator', () => {
    const text = 'インスタやってる？';
    expect(scoreText(moderator.model, text)).toBeCloseTo(moderator.moderate({ text }).score, 5);
  });

  it('handles empty and whitespace-only text', () => {
    expect(moderator.moderate({ text: '' }).reasons.filter((r) => r.code.startsWith('contact.'))).toEqual([]);
    expect(moderator.moderate({ text: ' \u200b\n' }).score).toBeGreaterThanOrEqual(0);
  });
});
