import { describe, expect, it } from 'vitest';
import { findContactInfo, type ContactReasonCode } from '../../src/moderation/contact-rules.js';

const codes = (text: string): ContactReasonCode[] => [...new Set(findContactInfo(text).map((h) => h.code))];

describe('contact rules: positives', () => {
  it.each<[ContactReasonCode, string]>([
    // e-mail, plain and obfuscated
    ['contact.email', 'メアド送るね taro.yamada@gmail.com'],
    ['contact.email', 'ｓａｋｕｒａ２２＠ｙａｈｏｏ．ｃｏ．ｊｐ に連絡ください'],
    ['contact.email', 'hanako123 アット gmail ドット com'],
    ['contact.email', 'ken (at) docomo.ne.jp まで'],
    ['contact.email', 'taro123 at gmail dot com'],
    ['contact.email', 'mail me: john_doe [at] outlook [dot] com'],
    ['contact.email', 'love.love.2024@icloud.com へどうぞ'],
    ['contact.email', 'yuki ＠ ezweb.ne.jp'],
    ['contact.email', 'abc.def@example.co.uk'],
    ['contact.email', 'sara99 あっと yahoo.co.jp'],
    // phone numbers
    ['contact.phone', '090-1234-5678に連絡ください'],
    ['contact.phone', '０８０－９８７６－５４３２ ここにショートメールちょうだい'],
    ['contact.phone', '〇九〇 一二三四 五六七八 に電話してね'],
    ['contact.phone', '〇九〇の一二三四の五六七八'],
    ['contact.phone', 'ぜろきゅうぜろ いちにさんよん ごろくななはち'],
    ['contact.phone', 'ゼロハチゼロのイチイチイチイチのニニニニ'],
    ['contact.phone', '070.1111.2222 です'],
    ['contact.phone', '09012345678'],
    ['contact.phone', '(03) 1234-5678'],
    ['contact.phone', '+81 90 2222 3333'],
    ['contact.phone', '+447700900123'],
    ['contact.phone', 'O9O-1234-5678'],
    ['contact.phone', '０９０ー８８８８ー７７７７'],
    ['contact.phone', 'zero nine zero one two three four five six seven eight'],
    ['contact.phone', 'call 09061749602 from landline'],
    ['contact.phone', '090\u200b1234\u200b5678'],
    // URLs
    ['contact.url', 'https://example.com/profile を見て'],
    ['contact.url', 'h t t p s : / / bit.ly/xxxx に詳しく'],
    ['contact.url', 'hxxp://scam.example.xyz'],
    ['contact.url', 'プロフはこちら→ example-love.xyz'],
    ['contact.url', '詳しくは example dot com を見てね'],
    ['contact.url', 'www.example.jp'],
    ['contact.url', 'ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ'],
    ['contact.url', 'example[.]com'],
    ['contact.url', 'ｅｘａｍｐｌｅドットコム'],
    ['contact.url', 'line.me/ti/p/abcd1234'],
    // messenger IDs
    ['contact.messenger-id', 'ＬＩＮＥのIDは taro_0123 です'],
    ['contact.messenger-id', 'lineID: yuki.sakura88 追加よろしく'],
    ['contact.messenger-id', 'インスタ @haru.photo フォローしてね'],
    ['contact.messenger-id', 'kakao: minji0707'],
    ['contact.messenger-id', 'カカオIDは love_kkk です'],
    ['contact.messenger-id', 'wechat: li_wei1990'],
    ['contact.messenger-id', 'ig: mika__0101'],
    ['contact.messenger-id', 'ID: sexyyy_22 で検索して'],
    ['contact.messenger-id', 'テレグラム @crypto_sensei_jp'],
    ['contact.messenger-id', 'my insta is yuki_99'],
    // exchange phrases
    ['contact.exchange-phrase', 'LINE交換しませんか？'],
    ['contact.exchange-phrase', 'ライン教えてもらえますか？'],
    ['contact.exchange-phrase', 'ﾗｲﾝ教えて'],
    ['contact.exchange-phrase', 'らいん交換できる？'],
    ['contact.exchange-phrase', 'L I N E 交換しませんか'],
    ['contact.exchange-phrase', 'ラ\u200bイン交換しよ'],
    ['contact.exchange-phrase', 'ラインやってる？'],
    ['contact.exchange-phrase', 'LINEで話そう'],
    ['contact.exchange-phrase', 'インスタ教えてください！'],
    ['contact.exchange-phrase', 'カカオトークで話そう'],
    ['contact.exchange-phrase', '連絡先交換しよ！'],
    ['contact.exchange-phrase', '電話番号教えて'],
    ['contact.exchange-phrase', '携帯番号教えてもらってもいいですか？'],
    ['contact.exchange-phrase', 'メールアドレス教えてくれたら'],
    ['contact.exchange-phrase', '番号交換しよう'],
    ['contact.exchange-phrase', '副業の詳細はインスタのDMで'],
    ['contact.exchange-phrase', '別のアプリで話さない？'],
    ['contact.exchange-phrase', 'add me on line'],
    ['contact.exchange-phrase', "what's your number?"],
    ['contact.exchange-phrase', 'text me at this number'],
    ['contact.exchange-phrase', 'hit me up on snapchat'],
    ['contact.exchange-phrase', 'WhatsAppやってる？'],
  ])('%s: %s', (code, text) => {
    expect(codes(text)).toContain(code);
  });
});

describe('contact rules: negatives', () => {
  it.each([
    '週末は何をして過ごすことが多いですか？',
    'オンラインで映画を一緒に観るのも楽しそうですね',
    'タイムラインに投稿された写真見ました',
    'ネイルのラインストーンかわいいですね',
    'ゴールラインまで走り切りました',
    'ボーダーラインのシャツ似合いそう',
    'ガイドラインに沿って出品しています',
    'ホットラインに相談した方がいいかもしれません',
    'ヘッドラインのニュース見ました？',
    'デッドラインが近い',
    'LINEスタンプ集めるの好きなんですよね',
    'インスタ映えするカフェって苦手',
    '価格は12,000円です',
    '送料込みで3,800円でお願いできますか',
    '¥1,980,000の車',
    '2024/05/12 19:30に集合',
    '2024-05-12 09:00',
    '2024年5月12日',
    '10時から12時まで予定があります',
    '〒150-0001の近くのカフェ',
    '身長170cm 体重55kg',
    '型番はAB-1234です',
    '3月15日生まれ',
    '1234567890',
    '12345 67890 12345',
    '20240512103000',
    'ありがとうございます！一緒に行きましょう',
    '一二三四五六七八九十',
    'きれいにしごとしてくれた',
    'I work on the production line today',
    'drop me a line sometime',
    'meet at home',
    'look at this',
    "I'll be at the station at 7",
    'e.g. this one, i.e. that one',
    'node.js and vue.js',
    'ver.2.0 released',
    'a.m. or p.m.?',
    'Mr. Smith',
    'photo.jpg',
    '注文番号を教えていただけますか',
    '部屋番号教えて',
    'このアプリのビデオ通話機能で話してみませんか？',
    'アプリ内の通話で声聞いてみたいです',
    'email is fine but not now',
    'my number one priority',
    'see you at the cafe',
    'ok lar... joking wif u oni',
  ])('%s', (text) => {
    expect(findContactInfo(text)).toEqual([]);
  });
});

describe('contact rules: hits', () => {
  it('point at the span of the original text', () => {
    const text = 'よろしく！０９０－１２３４－５６７８ までどうぞ';
    const [hit] = findContactInfo(text);
    expect(hit).toMatchObject({ code: 'contact.phone', rule: 'phone.digits', severity: 'reject' });
    expect(text.slice(hit!.start, hit!.end)).toBe('０９０－１２３４－５６７８');
    expect(hit!.match).toBe('０９０－１２３４－５６７８');
  });

  it('say which variant fired', () => {
    expect(findContactInfo('〇九〇 一二三四 五六七八')[0]?.rule).toBe('phone.kanji-digits');
    expect(findContactInfo('ぜろきゅうぜろ いちにさんよん ごろくななはち')[0]?.rule).toBe('phone.spelled-digits');
    expect(findContactInfo('taro@gmail.com')[0]?.rule).toBe('email.address');
    expect(findContactInfo('taro (at) gmail.com')[0]?.rule).toBe('email.obfuscated');
  });

  it('report the e-mail, not the domain inside it as a URL', () => {
    expect(codes('taro.yamada@gmail.com')).toEqual(['contact.email']);
  });

  it('find several kinds in one text', () => {
    expect(codes('LINE交換しよ、無理なら 090-1111-2222 か a.b@gmail.com').sort()).toEqual(['contact.email', 'contact.exchange-phrase', 'contact.phone']);
  });

  it('find two phone numbers separated by a space', () => {
    expect(findContactInfo('09011112222 08033334444').filter((h) => h.code === 'contact.phone')).toHaveLength(2);
  });

  it('stay linear on long adversarial text', () => {
    const text = `${'0 '.repeat(5000)}${'a@'.repeat(5000)}${'line '.repeat(2000)}${'h t t p '.repeat(1000)}`;
    const hits = findContactInfo(text);
    expect(Array.isArray(hits)).toBe(true);
  });
});
