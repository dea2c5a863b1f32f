// Training examples made by code from templates, for what people vary without
// end: contact details written to slip past filters (full-width, kanji and
// kana numerals, keycap and circled digits, spaced digits, アット/ドット,
// reversed IDs, app nicknames), and, as their hard negatives, ordinary posts
// full of numbers with counters (28歳, 19時半, 3,500円, A3出口). Every number,
// ID and address is drawn at random: none is real. Deterministic for a seed,
// so a model trained on them can be rebuilt. The data card (data/README.md)
// says what is generated and how much.
import type { LabelledText } from './labelled-data.js';
import { seededRandom, type Random } from './random.js';

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

const KANJI = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
const KANA = ['ぜろ', 'いち', 'に', 'さん', 'よん', 'ご', 'ろく', 'なな', 'はち', 'きゅう'];
const KATAKANA = ['ゼロ', 'イチ', 'ニ', 'サン', 'ヨン', 'ゴ', 'ロク', 'ナナ', 'ハチ', 'キュウ'];
const CIRCLED = ['⓪', '①', '②', '③', '④', '⑤', '⑥', '⑦', '⑧', '⑨'];
const FULL = ['０', '１', '２', '３', '４', '５', '６', '７', '８', '９'];

/** The ways a digit string is written to dodge filters. */
export const DIGIT_SPELLINGS: Record<string, (digits: string, random: Random) => string> = {
  ascii: (d) => d,
  fullWidth: (d) => [...d].map((c) => FULL[Number(c)]).join(''),
  kanji: (d) => [...d].map((c) => KANJI[Number(c)]).join(''),
  kana: (d) => [...d].map((c) => KANA[Number(c)]).join(''),
  katakana: (d) => [...d].map((c) => KATAKANA[Number(c)]).join(''),
  keycapEmoji: (d) => [...d].map((c) => `${c}\ufe0f\u20e3`).join(''),
  circled: (d) => [...d].map((c) => CIRCLED[Number(c)]).join(''),
  spaced: (d) => [...d].join(' '),
  mixed: (d, random) => [...d].map((c) => pick(random, [c, FULL[Number(c)], KANJI[Number(c)], CIRCLED[Number(c)]])).join(''),
};

function phoneDigits(random: Random): string {
  return `0${pick(random, ['7', '8', '9'])}0${String(int(random, 0, 99_999_999)).padStart(8, '0')}`;
}

function grouped(digits: string, random: Random): string[] {
  return pick(random, [[digits], [digits.slice(0, 3), digits.slice(3, 7), digits.slice(7)]]);
}

function phoneText(random: Random): string {
  const spelling = pick(random, Object.keys(DIGIT_SPELLINGS));
  const spell = DIGIT_SPELLINGS[spelling] as (d: string, r: Random) => string;
  const sep = pick(random, ['-', 'ー', ' ', '', '.', 'の']);
  return grouped(phoneDigits(random), random)
    .map((g) => spell(g, random))
    .join(sep);
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
function handle(random: Random): string {
  const n = int(random, 4, 10);
  let s = '';
  for (let i = 0; i < n; i++) s += random() < 0.75 ? LETTERS[int(random, 0, 25)] : String(int(random, 0, 9));
  return random() < 0.3 ? `${s}_${int(random, 1, 99)}` : s;
}

function emailText(random: Random): string {
  const at = pick(random, ['@', '＠', 'アット', 'あっと', '(at)', ' at ', 'アットマーク', '[at]']);
  const dot = pick(random, ['.', 'ドット', 'どっと', '(dot)', '。', ' dot ']);
  const host = pick(random, ['gmail', 'yahoo', 'icloud', 'outlook', 'docomo', 'ezweb', 'example']);
  const tld = host === 'yahoo' ? `co${dot}jp` : host === 'docomo' ? `ne${dot}jp` : pick(random, ['com', `co${dot}jp`, 'jp', 'net']);
  return `${handle(random)}${at}${host}${dot}${tld}`;
}

// prettier-ignore
const APPS = ['LINE', 'ライン', 'らいん', 'ﾗｲﾝ', 'ＬＩＮＥ', 'L I N E', 'L.I.N.E', 'りーね', '緑のアプリ', 'インスタ', 'いんすた', 'Instagram', 'insta', 'カカオ', 'kakao', 'テレグラム', 'telegram', 'ディスコ', 'discord', 'X', 'ツイッター', 'TikTok', 'WhatsApp', 'カカオトーク', 'スナチャ'];

function messengerText(random: Random): string {
  const app = pick(random, APPS);
  const id = handle(random);
  const style = int(random, 0, 6);
  if (style === 6) return `${[...pick(random, ['らいん', 'ライン', 'いんすた', 'インスタ', 'かかお', 'テレグラム', 'line', 'insta'])].join(' ')} ${pick(random, ['おしえて', 'こうかんしよ', 'やってる？', 'の あいでぃー', 'で はなそ'])}`;
  if (style === 0) return `${app}のIDは${id}`;
  if (style === 1) return `${app} ${id}`;
  if (style === 2) return `${app}→${[...id].join(' ')}`;
  if (style === 3) return `${app}のIDは逆から読んでね ${[...id].reverse().join('')}`;
  if (style === 4) return `${app}やってるよ、ID:${DIGIT_SPELLINGS.fullWidth?.(id.replace(/[a-z_]/g, ''), random) ?? ''}${id.replace(/[0-9_]/g, '')}`;
  return `${app}で検索して→@${id}`;
}

const CONTACT_MOVES = [
  (r: Random) => `ここだとすぐ消されるから${pick(r, APPS)}で話そ`,
  (r: Random) => `${pick(r, APPS)}のQRコード送るから読み取って`,
  (r: Random) => `QR貼っとくね、${pick(r, APPS)}追加して`,
  (r: Random) => `IDはプロフの画像に書いてあるよ、${pick(r, APPS)}で連絡して`,
  (r: Random) => `このアプリあんまり開かないから${pick(r, APPS)}に移動しない？`,
  (r: Random) => `${pick(r, APPS)}の方が返信早いよ。IDは下の名前+${int(r, 10, 99)}`,
];

const CONTACT_FRAMES = [
  (x: string) => `よかったら連絡ください ${x}`,
  (x: string) => `${x} までお願いします`,
  (x: string) => `気軽にどうぞ→${x}`,
  (x: string) => `こっちに連絡してね ${x} 😊`,
  (x: string) => `はじめまして！ここ見れなくなるので ${x} にください`,
  (x: string) => `詳しくは${x}で！`,
  (x: string) => `${x}\n24時間いつでも返信します`,
  (x: string) => `取引の相談は${x}まで`,
  (x: string) => `楽しかったです、続きは ${x} で話しましょ`,
  (x: string) => `${x}です。追加したら一言ください`,
  (x: string) => `電話のほうが早いので ${x}`,
  (x: string) => `メールでやりとりしませんか ${x}`,
];
const CONTEXTS = ['first_message', 'small_talk', 'date_planning', 'profile', 'market_question', 'market_reply', 'listing'];

/** NG posts (category contact) with contact details written the ways filters are dodged. */
export function generateContactPosts(count: number, seed: number): LabelledText[] {
  const random = seededRandom(seed);
  const out: LabelledText[] = [];
  const makers = [phoneText, emailText, messengerText, phoneText, messengerText];
  for (let i = 0; i < count; i++) {
    const text = random() < 0.2 ? (pick(random, CONTACT_MOVES) as (r: Random) => string)(random) : pick(random, CONTACT_FRAMES)(pick(random, makers)(random));
    out.push({ text, label: 'ng', category: 'contact', context: pick(random, CONTEXTS) });
  }
  return out;
}

const PLACES = ['渋谷駅', '新宿駅', '梅田', '博多駅', '名古屋駅', '池袋', '横浜駅', '天神', '三宮', '札幌駅', '仙台駅', '京都駅', '表参道', '吉祥寺', '難波'];
const EXITS = ['A3出口', 'B2出口', '東口', '西口', '南改札', '中央口', '7番出口', 'ハチ公前', '2階のカフェ', '1番線ホーム'];
const HARMLESS_APPS = ['インスタで見たカフェ', 'YouTubeで見たレシピ', 'LINEスタンプ', 'TikTokで流行ってる曲', 'Twitterで話題の映画', 'インスタ映えするパフェ', 'ラインのスタンプ', 'Googleマップで見た店'];

const COUNTED_TEMPLATES: ((r: Random) => string)[] = [
  (r) => `${int(r, 18, 45)}歳です、よろしくお願いします`,
  (r) => `身長は${int(r, 150, 190)}cmです`,
  (r) => `${int(r, 10, 21)}時${pick(r, ['', '半', `${int(r, 1, 5)}0分`])}に${pick(r, PLACES)}の${pick(r, EXITS)}でどうですか？`,
  (r) => `${int(r, 1, 12)}月${int(r, 1, 28)}日の${pick(r, ['午前', '午後', '夜'])}なら空いてます`,
  (r) => `${(int(r, 3, 200) * 100).toLocaleString('en-US')}円でいかがでしょうか`,
  (r) => `送料込みで${(int(r, 5, 90) * 100).toLocaleString('en-US')}円です`,
  (r) => `${pick(r, [64, 128, 256, 512])}GBのモデルで、バッテリーは${int(r, 75, 100)}%です`,
  (r) => `サイズは${int(r, 22, 29)}.${pick(r, [0, 5])}cmです、${int(r, 1, 5)}回だけ履きました`,
  (r) => `幅${int(r, 40, 180)}cm 奥行${int(r, 30, 80)}cm 高さ${int(r, 40, 200)}cmです`,
  (r) => `${int(r, 2, 20)}分くらい遅れそうです、ごめんなさい🙏`,
  (r) => `${pick(r, HARMLESS_APPS)}、${pick(r, ['行ってみたい', '気になってる', '可愛いよね', '見た？', '好きです'])}`,
  (r) => `${pick(r, PLACES)}の${pick(r, EXITS)}に${int(r, 10, 20)}:${pick(r, ['00', '15', '30', '45'])}集合で！`,
  (r) => `${int(r, 1, 4)}LDKに住んでて、駅から徒歩${int(r, 3, 20)}分です`,
  (r) => `${int(r, 2015, 2025)}年製で、${int(r, 1, 3)}年くらい使いました`,
  (r) => `${int(r, 2, 30)}年前から${pick(r, ['ギター', 'テニス', '料理', '写真', 'ヨガ'])}やってます`,
  (r) => `${pick(r, ['第', ''])}${int(r, 1, 4)}${pick(r, ['土曜', '日曜'])}の${int(r, 11, 19)}時からなら大丈夫です`,
  (r) => `${int(r, 3, 12)}月生まれの${int(r, 20, 39)}歳、${pick(r, ['東京', '大阪', '福岡', '愛知'])}在住です`,
  (r) => `体重${int(r, 40, 90)}kg、靴は${int(r, 22, 29)}cmです`,
  (r) => `${int(r, 1, 9)}号室ではなく${int(r, 1, 9)}階の受付に来てください`,
  (r) => `¥${(int(r, 5, 300) * 100).toLocaleString('en-US')}で出品してます`,
];

/** Ordinary posts full of numbers with counters, times, prices, places and harmless app names: hard negatives. */
export function generateCountedNumberPosts(count: number, seed: number): LabelledText[] {
  const random = seededRandom(seed);
  const out: LabelledText[] = [];
  for (let i = 0; i < count; i++) {
    const text = pick(random, COUNTED_TEMPLATES)(random);
    out.push({ text, label: 'ok', category: null, context: pick(random, CONTEXTS) });
  }
  return out;
}

/** The generated data set (`--data ja-generated`): contact evasions and their hard negatives. */
export function generatedExamples(seed = 7): LabelledText[] {
  return [...generateContactPosts(700, seed), ...generateCountedNumberPosts(500, seed + 1)];
}
