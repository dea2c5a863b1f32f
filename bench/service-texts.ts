// The posts every part of the service benchmark sends, scores or stores:
// realistic and varied, mostly ordinary chat, some with contact details or
// URLs (rules fire), one long review. Shared so that the service, both
// ceilings and the scoring measurement work on the same eight texts.
export const TEXTS = [
  'こんにちは！週末の予定はどうですか？写真ありがとう',
  'Thanks for the quick reply, the jacket still available? I can pick it up on Saturday afternoon.',
  'LINEやってる？ID教えてくれたら連絡するね',
  '連絡はこちらまで: ０９０ー１２３４ー５６７８ お待ちしてます',
  'check my profile at https://example.com/u/123 for more photos',
  '今日はありがとうございました。また機会があればよろしくお願いします。',
  'mail me: someone (at) example dot com',
  'とても良い商品でした。梱包も丁寧で、発送も早かったです。また利用したいと思います。'.repeat(4),
];

/** The body of request i: no id, so every request is a new post. */
export function itemFor(i: number): { text: string; kind: 'message'; userId: string } {
  return { text: TEXTS[i % TEXTS.length]!, kind: 'message', userId: `u-${i}` };
}
