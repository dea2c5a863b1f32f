// Rules for the main abuse on a dating or marketplace app: moving the
// conversation off the platform by exchanging contact details. They run on
// normalised text (NFKC, lower case, katakana folded to hiragana), so
// full-width, half-width and katakana spellings need no separate patterns,
// and every hit points back at the span of the original text. All patterns
// have bounded repetition, so cost stays linear in the text length.
import { normalise, originalSpan, type NormalisedText } from './normalise.js';

export type ContactReasonCode = 'contact.email' | 'contact.phone' | 'contact.url' | 'contact.messenger-id' | 'contact.exchange-phrase';

/** What a hit means for the decision: 'reject' on its own, or 'review' at least. */
export type RuleSeverity = 'reject' | 'review';

export interface RuleHit {
  code: ContactReasonCode;
  /** Which variant fired, e.g. 'email.obfuscated', 'phone.kana-digits'. */
  rule: string;
  severity: RuleSeverity;
  /** Span in the original text, [start, end). */
  start: number;
  end: number;
  /** The original text of the span. */
  match: string;
}

const TLDS = 'com|net|org|info|biz|jp|io|me|ly|co|cc|tv|us|uk|kr|cn|ru|de|fr|xyz|top|site|online|club|app|dev|link|shop|click|live|fun|vip|asia|tokyo|page|store|icu|work|blog|today';
const TLD_SET = new Set(TLDS.split('|'));
// prettier-ignore
const MAIL_PROVIDERS = new Set(['gmail', 'googlemail', 'yahoo', 'ymail', 'hotmail', 'outlook', 'live', 'icloud', 'me', 'aol', 'docomo', 'ezweb', 'softbank', 'au', 'i', 'protonmail', 'proton', 'gmx', 'naver', 'daum', 'qq', '163', 'yandex', 'mail', 'msn', 'nifty', 'ocn', 'biglobe']);

interface RawHit {
  code: ContactReasonCode;
  rule: string;
  severity: RuleSeverity;
  start: number;
  end: number;
}

// ---------------------------------------------------------------- e-mail
const AT_SEP = String.raw`(?: ?(?:\(at\)|\[at\]|\{at\}|<at>|あっとまーく|あっと|@) ?| at )`;
const DOT_SEP = String.raw`(?: ?(?:\.|\(dot\)|\[dot\]|\{dot\}|どっと|。) ?| dot )`;
const EMAIL_OBFUSCATED = new RegExp(String.raw`(?<![a-z0-9._+-])([a-z0-9][a-z0-9._+-]{0,40})(${AT_SEP})([a-z0-9-]{1,30})((?:${DOT_SEP}[a-z0-9-]{2,12}){0,4})`, 'g');
const DOT_SPLIT = new RegExp(DOT_SEP, 'g');

function findEmails(text: string, hits: RawHit[]): void {
  // Every AT_SEP spelling contains "@", "at" or "あっと".
  if (!text.includes('@') && !text.includes('at') && !text.includes('あっと')) return;
  for (const m of text.matchAll(EMAIL_OBFUSCATED)) {
    const local = m[1] ?? '';
    const sep = m[2] ?? '';
    const host = m[3] ?? '';
    const rest = m[4] ?? '';
    const labels = rest === '' ? [] : rest.split(DOT_SPLIT).filter((x) => x !== '');
    const last = labels.at(-1);
    const provider = MAIL_PROVIDERS.has(host);
    const tld = last !== undefined && TLD_SET.has(last.trim());
    if (!provider && !tld) continue;
    const plain = sep === '@' && /^(?:\.[a-z0-9-]+)*$/.test(rest);
    if (sep === ' at ') {
      // Plain English "at" is too common: want an ID-like local part or a full address.
      if (!/[0-9._]/.test(local) && !(provider && tld)) continue;
    }
    hits.push({ code: 'contact.email', rule: plain ? 'email.address' : 'email.obfuscated', severity: 'reject', start: m.index, end: m.index + m[0].length });
  }
}

// ----------------------------------------------------------------- phone
// Digits as they are written to dodge filters: ASCII, kanji numerals, digits
// spelled in kana (after katakana folding) or in English words.
const KANJI_DIGITS: Record<string, number> = { 〇: 0, 零: 0, 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9, 壱: 1, 弐: 2, 参: 3 };
// prettier-ignore
const KANA_DIGITS: [string, number][] = [
  ['きゅう', 9], ['きゅー', 9], ['ぜろ', 0], ['れい', 0], ['まる', 0], ['いち', 1], ['さん', 3], ['よん', 4], ['ろく', 6], ['なな', 7], ['しち', 7], ['はち', 8],
  ['に', 2], ['し', 4], ['ご', 5], ['く', 9],
];
const WORD_DIGITS: [string, number][] = [
  ['zero', 0],
  ['one', 1],
  ['two', 2],
  ['three', 3],
  ['four', 4],
  ['five', 5],
  ['six', 6],
  ['seven', 7],
  ['eight', 8],
  ['nine', 9],
];
const PHONE_SEPARATORS = new Set([' ', '-', '.', '(', ')', 'ー', '−', '‐', '‑', '–', '—', '―', '_', '~', '・', '、', 'の']);

interface DigitToken {
  digit: number;
  start: number;
  end: number;
  /** A separator came before this token (starts a new group). */
  grouped: boolean;
}

// Digit words indexed by their first code unit, so most characters cost one lookup.
const DIGIT_WORDS = new Map<number, { word: string; digit: number; latin: boolean }[]>();
for (const [word, digit] of [...KANA_DIGITS, ...WORD_DIGITS]) {
  const key = word.charCodeAt(0);
  const list = DIGIT_WORDS.get(key) ?? [];
  list.push({ word, digit, latin: key < 0x80 });
  DIGIT_WORDS.set(key, list);
}

function isAsciiDigitAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

function isLatinLetterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0x61 && c <= 0x7a;
}

function readDigit(text: string, i: number): { digit: number; length: number } | undefined {
  const code = text.charCodeAt(i);
  if (code >= 0x30 && code <= 0x39) return { digit: code - 0x30, length: 1 };
  if (code === 0x6f && (isAsciiDigitAt(text, i + 1) || isAsciiDigitAt(text, i - 1))) return { digit: 0, length: 1 };
  const candidates = DIGIT_WORDS.get(code);
  if (candidates === undefined) {
    const kanji = code >= 0x3000 ? KANJI_DIGITS[text[i] as string] : undefined;
    return kanji === undefined ? undefined : { digit: kanji, length: 1 };
  }
  for (const { word, digit, latin } of candidates) {
    if (!text.startsWith(word, i)) continue;
    // English digit words only as whole words ("one", not "phone").
    if (latin && ((i > 0 && (isLatinLetterAt(text, i - 1) || isAsciiDigitAt(text, i - 1))) || isLatinLetterAt(text, i + word.length))) continue;
    return { digit, length: word.length };
  }
  return undefined;
}

function findPhones(text: string, hits: RawHit[]): void {
  let i = 0;
  while (i < text.length) {
    const first = readDigit(text, i);
    if (!first) {
      i++;
      continue;
    }
    const plus = text[i - 1] === '+' || (text[i - 2] === '+' && text[i - 1] === ' ');
    const tokens: DigitToken[] = [{ digit: first.digit, start: i, end: i + first.length, grouped: true }];
    let j = i + first.length;
    for (;;) {
      let k = j;
      while (k < text.length && k - j < 3 && PHONE_SEPARATORS.has(text[k] as string)) k++;
      const next = k < text.length ? readDigit(text, k) : undefined;
      if (!next) break;
      // A change of script also ends a group: "5678に電話" is 5678, then the particle.
      const kindChanged = digitKind(text[k] as string) !== digitKind(text[j - 1] as string);
      tokens.push({ digit: next.digit, start: k, end: k + next.length, grouped: k > j || kindChanged });
      j = k + next.length;
    }
    i = checkPhoneRun(text, tokens, plus, hits);
  }
}

/** Looks for a phone number among groups of a digit run; returns where scanning goes on. */
function checkPhoneRun(text: string, tokens: DigitToken[], plus: boolean, hits: RawHit[]): number {
  const runEnd = (tokens.at(-1) as DigitToken).end;
  if (tokens.length < 10) return runEnd;
  // Group boundaries: a phone number starts and ends at a separator.
  const groupStarts: number[] = [];
  tokens.forEach((t, idx) => {
    if (t.grouped) groupStarts.push(idx);
  });
  groupStarts.push(tokens.length);
  for (let g = 0; g < groupStarts.length - 1; g++) {
    const from = groupStarts[g] as number;
    const firstDigit = (tokens[from] as DigitToken).digit;
    const international = g === 0 && plus;
    if (!international && firstDigit !== 0) continue;
    for (let h = g + 1; h < groupStarts.length; h++) {
      const to = groupStarts[h] as number;
      const count = to - from;
      const ok = international ? count >= 10 && count <= 15 : count >= 10 && count <= 11;
      if (count > 15) break;
      if (!ok) continue;
      const slice = tokens.slice(from, to);
      // A number glued to letters ("id09012345678x") is part of a longer token.
      const start = (slice[0] as DigitToken).start;
      const end = (slice.at(-1) as DigitToken).end;
      const kinds = classifyDigits(text, slice);
      hits.push({ code: 'contact.phone', rule: `phone.${kinds}`, severity: 'reject', start: international ? start - (text[start - 1] === '+' ? 1 : 2) : start, end });
      return end;
    }
  }
  return runEnd;
}

function digitKind(c: string): 'ascii' | 'kanji' | 'word' {
  if (c >= '0' && c <= '9') return 'ascii';
  if (c === 'o') return 'ascii';
  if (KANJI_DIGITS[c] !== undefined) return 'kanji';
  return 'word';
}

function classifyDigits(text: string, tokens: DigitToken[]): string {
  let ascii = 0;
  let kanji = 0;
  let words = 0;
  for (const t of tokens) {
    const c = text[t.start] as string;
    if (c >= '0' && c <= '9') ascii++;
    else if (KANJI_DIGITS[c] !== undefined) kanji++;
    else words++;
  }
  if (ascii === tokens.length) return 'digits';
  if (kanji >= words && kanji > 0) return 'kanji-digits';
  return 'spelled-digits';
}

// ------------------------------------------------------------------- URL
const URL_SCHEME = /(?<![a-z])(?:h ?t ?t ?p ?s?|h ?x ?x ?p ?s?|(?<![a-z])t ?t ?p ?s?) ?: ?\/ ?\/ ?[^\s]{0,200}/g;
const URL_WWW = /(?<![a-z0-9.])www ?\. ?[a-z0-9-]{1,63}(?: ?\. ?[a-z0-9-]{1,63}){1,4}[^\s]{0,200}/g;
const URL_BARE = new RegExp(String.raw`(?<![a-z0-9@._-])[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63}){0,3}\.(?:${TLDS})(?![a-z0-9-])(?:\/[^\s]{0,200})?`, 'g');
const URL_SPELLED_DOT = new RegExp(String.raw`(?<![a-z0-9])[a-z0-9][a-z0-9-]{1,62} ?(?:\(dot\)|\[dot\]|\{dot\}|\[\.\]|\(\.\)| dot |どっと) ?(?:${TLDS}|こむ|ねっと|じぇーぴー)(?![a-z])`, 'g');

// Each pattern only runs when the text holds a character string every match
// of it contains: a substring test is ~50x cheaper than a regex scan, and
// most posts hold no URL at all.
function findUrls(text: string, hits: RawHit[]): void {
  if (text.includes(':') && text.includes('/')) for (const m of text.matchAll(URL_SCHEME)) hits.push({ code: 'contact.url', rule: /^https?:\/\//.test(m[0]) ? 'url.scheme' : 'url.obfuscated-scheme', severity: 'review', start: m.index, end: m.index + m[0].length });
  if (text.includes('www')) for (const m of text.matchAll(URL_WWW)) hits.push({ code: 'contact.url', rule: 'url.www', severity: 'review', start: m.index, end: m.index + m[0].length });
  if (text.includes('.')) {
    for (const m of text.matchAll(URL_BARE)) {
      // "e.g" / "a.m" style abbreviations: the label before the TLD must look like a name.
      const labels = m[0].split('/')[0]?.split('.') ?? [];
      if (labels.length < 2 || (labels[labels.length - 2] ?? '').length < 2) continue;
      hits.push({ code: 'contact.url', rule: 'url.domain', severity: 'review', start: m.index, end: m.index + m[0].length });
    }
  }
  if (text.includes('dot') || text.includes('どっと') || text.includes('[.]') || text.includes('(.)'))
    for (const m of text.matchAll(URL_SPELLED_DOT)) hits.push({ code: 'contact.url', rule: 'url.spelled-dot', severity: 'review', start: m.index, end: m.index + m[0].length });
}

// ------------------------------------------------ messenger IDs and phrases
// App names as they appear after normalisation. `らいん` needs context checks
// (online, timeline, rhinestone...), done in isMessengerMention.
const APPS = String.raw`line|l i n e|らいん|kakao ?talk|kakao|かかお(?:とーく)?|카카오톡|카카오|카톡|wechat|we chat|weixin|微信|うぃーちゃっと|instagram|insta|いんすた(?:ぐらむ)?|ig|telegram|てれぐらむ|whats ?app|わっつあっぷ|snapchat|snap|すなっぷちゃっと|discord|でぃすこーど|skype|すかいぷ|kik|twitter|ついったー|tiktok|facebook|ふぇいすぶっく|messenger`;
const APP_RE = new RegExp(String.raw`(?:${APPS})`, 'g');
const ID_AFTER_APP = /^ ?(?:の)?(?:id|あいでぃー|ｉｄ)? ?(?:[:=→は]|です|だよ|is)? ?(@?[a-z0-9][a-z0-9._-]{3,29})(?![a-z0-9._-])/;
const STANDALONE_ID = /(?<![a-z0-9])id ?(?:[:=→は]|です|だよ|is) ?(@?[a-z0-9][a-z0-9._-]{3,29})(?![a-z0-9._-])/g;
const HANDLE = /(?<![a-z0-9._@-])@[a-z0-9_][a-z0-9._]{2,29}(?![a-z0-9._@-])/g;
// What follows a contact noun when someone asks to move off the platform.
const EXCHANGE_VERB = String.raw`dm|でぃーえむ|交換|こうかん|教え|おしえ|送っ|送り|おくっ|おくり|ちょうだい|頂戴|ください|下さい|くれ|追加|ついか|やって|やってる|して(?:る|ます)|しよ|しま|で(?:やり|話|はな|連絡|れんらく|通話|つうわ|電話|でんわ|繋|つな)|に(?:移|うつ|切り替|きりかえ|しない|しよ|しませ)|移動|知りたい|しりたい|聞いて|きいて|載せ|のせ|いい[?か]|ok|おっけ|ある[?か]?|持って|もって`;
const CONTACT_NOUNS = String.raw`連絡先|れんらくさき|電話番号|でんわばんごう|携帯番号|けいたいばんごう|(?<!部屋|注文|会員|整理|追跡|型|品|問い合わせ|問合せ|受付|口座|暗証)番号|めあど|めーるあど(?:れす)?|めるあど|あどれす|id|sns`;
const JA_EXCHANGE = new RegExp(String.raw`(${APPS}|${CONTACT_NOUNS})(?:の|を|は|で|も|とか|か|教えて)?(?:\s?)(?:${EXCHANGE_VERB})`, 'g');
const JA_OFF_PLATFORM = /(?:直接|ちょくせつ)(?:連絡|れんらく|やり取り|やりとり|会話|話|はな)|(?:別の|べつの|他の|ほかの|外部の?)(?:あぷり|sns|つーる)|(?:ここ|このあぷり)(?:じゃなくて|以外|いがい)/g;
const EN_EXCHANGE = new RegExp(
  String.raw`\b(?:add me on|find me on|follow me on|hit me up on|message me on|text me on|dm me on|talk on|chat on|move to|switch to|contact me on|reach me on) (?:${APPS})\b|\bmy (?:${APPS}) (?:id|is|handle)\b|\b(?:what'?s|whats|give me|send me|share) your (?:number|phone number|phone|cell|email|e-mail|${APPS})\b|\bmy (?:number|phone number|cell|email|e-mail) is\b|\b(?:text|call|ring|email|e-mail|whatsapp) me (?:at|on)\b|\bexchange (?:numbers|contacts|emails|(?:${APPS}))\b`,
  'g',
);

// A refusal after the phrase ("LINE交換はまだ控えたいです", "インスタはやってないんです")
// is not an offer; a negative question ("LINE交換しない？") is an invitation.
const REFUSAL_AFTER =
  /^[^。！!？?\n]{0,20}?(?:控え|遠慮|まだ|もう少し|もうちょっと|仲良くなって|慣れてから|会ってから|ごめん|すみません|無理|お断り|禁止|規約|できません|できない|しません|しない|やってない|やってません|してない|してません|教えられ|教えません|しないで|やめ|やらない|交換しない主義|興味ない|興味ありません|興味がない|お受けして(?:い)?ません|受け付けて(?:い)?ません|しておりません|いたしません|応じられ|応じません)/;

// Only outright refusals: for a term that names a category on its own
// ("お手当ありでもう少しゆっくり"), "まだ" or "もう少し" after it refuse nothing.
const STRICT_REFUSAL_AFTER =
  /^[^。！!？?\n]{0,20}?(?:ごめん|すみません|無理|お断り|禁止|規約|できません|しません|やってない|やってません|してない|してません|興味ない|興味ありません|興味がない|お受けして(?:い)?ません|受け付けて(?:い)?ません|しておりません|いたしません|応じられ|応じません|ご遠慮)/;

/**
 * Whether what follows a phrase refuses it ("…はまだ控えたいです"), rather
 * than inviting ("…しない？"). `strict` counts only outright refusals.
 */
export function isRefusal(text: string, end: number, strict = false): boolean {
  const after = text.slice(end, end + 40);
  if (!(strict ? STRICT_REFUSAL_AFTER : REFUSAL_AFTER).test(after)) return false;
  // "LINE交換しない？" / "交換しませんか" invite; "もう少し仲良くなってからでもいいですか？" still refuses.
  const invitation = /^[^。！!\n]{0,6}?(?:しない|しません|やらない)(?:\?|？|か|\s*$)/.test(after) || /^(?:しよ|しましょ|しょう|しょ[!！〜~]|お願い|おねがい|ください|下さい|して[!！〜~]|しとこ)/.test(after);
  return !invitation;
}

const NON_ASCII = /[^\x00-\x7f]/;
const LETTER_SPACE = /[a-z] /;

/** "らいん" is also the tail of online, timeline, hotline...: only a standalone mention counts. */
function isMessengerMention(text: string, start: number, word: string): boolean {
  if (word === 'line') return !/[a-z]/.test(text[start - 1] ?? '') && (!/[a-z]/.test(text[start + 4] ?? '') || text.startsWith('id', start + 4));
  if (word === 'ig' || word === 'kik' || word === 'snap' || word === 'insta' || word === 'dm' || word === 'id' || word === 'sns') {
    return !/[a-z]/.test(text[start - 1] ?? '') && !/[a-z]/.test(text[start + word.length] ?? '');
  }
  if (/^[a-z]/.test(word)) return !/[a-z]/.test(text[start - 1] ?? '');
  if (word === 'らいん') {
    const before = text[start - 1] ?? '';
    const after = text.slice(start + 3, start + 7);
    if (/^(?:すと|なっぷ|まーかー|ぎり|ぐ|だんす|ばっく)/.test(after)) return false;
    if (/[ぁ-ゖー]/.test(before)) {
      // Particles may come before it ("をらいんで"); the tails of loan words may not.
      if (!/[をのではともにがへや]/.test(before)) return false;
      const prefix = text.slice(Math.max(0, start - 4), start);
      if (/(?:ほっと|ふろんと|あうと|ぷろんぷと|すたーと|ぼーだー|ごーる|とっぷ|べーす|でっど|がいど|へっど|おん|たいむ)$/.test(prefix)) return false;
    }
  }
  return true;
}

function findMessengers(text: string, hits: RawHit[]): void {
  for (const m of text.matchAll(APP_RE)) {
    if (!isMessengerMention(text, m.index, m[0])) continue;
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 48);
    const id = ID_AFTER_APP.exec(after);
    if (!id) continue;
    const token = id[1] ?? '';
    const explicit = /(?:id|あいでぃー|[:=→は]|です|だよ|is)/.test(id[0].slice(0, id[0].length - token.length));
    // "line today", "insta famous": a bare word is not an ID unless it looks like one.
    if (!explicit && !/[0-9._@-]/.test(token)) continue;
    if (/^(?:交換|教え)/.test(token)) continue;
    hits.push({ code: 'contact.messenger-id', rule: 'messenger.app-id', severity: 'reject', start: m.index, end: m.index + m[0].length + id[0].length });
  }
  if (text.includes('id')) {
    for (const m of text.matchAll(STANDALONE_ID)) {
      const token = m[1] ?? '';
      if (!/[0-9._@-]/.test(token) && token.length < 5) continue;
      hits.push({ code: 'contact.messenger-id', rule: 'messenger.id', severity: 'reject', start: m.index, end: m.index + m[0].length });
    }
  }
  if (text.includes('@')) for (const m of text.matchAll(HANDLE)) hits.push({ code: 'contact.messenger-id', rule: 'messenger.handle', severity: 'review', start: m.index, end: m.index + m[0].length });
  for (const m of text.matchAll(JA_EXCHANGE)) {
    const noun = m[1] ?? '';
    if (!isMessengerMention(text, m.index, noun)) continue;
    if (isRefusal(text, m.index + m[0].length)) continue;
    hits.push({ code: 'contact.exchange-phrase', rule: 'exchange.ask', severity: 'reject', start: m.index, end: m.index + m[0].length });
  }
  if (NON_ASCII.test(text)) for (const m of text.matchAll(JA_OFF_PLATFORM)) hits.push({ code: 'contact.exchange-phrase', rule: 'exchange.off-platform', severity: 'review', start: m.index, end: m.index + m[0].length });
  // Every English phrase has a latin letter followed by a space.
  if (LETTER_SPACE.test(text)) for (const m of text.matchAll(EN_EXCHANGE)) hits.push({ code: 'contact.exchange-phrase', rule: 'exchange.ask-en', severity: 'reject', start: m.index, end: m.index + m[0].length });
}

// --------------------------------------------------------------- results
/** Drops hits inside a longer hit of another kind (the gmail.com inside an e-mail address). */
function dedupe(hits: RawHit[]): RawHit[] {
  const rank: Record<ContactReasonCode, number> = { 'contact.email': 0, 'contact.phone': 1, 'contact.messenger-id': 2, 'contact.exchange-phrase': 3, 'contact.url': 4 };
  const sorted = [...hits].sort((a, b) => a.start - b.start || b.end - a.end || rank[a.code] - rank[b.code]);
  const kept: RawHit[] = [];
  for (const hit of sorted) {
    const covered = kept.some((k) => k.start <= hit.start && k.end >= hit.end && (k.code === hit.code || rank[k.code] < rank[hit.code]));
    if (!covered) kept.push(hit);
  }
  return kept;
}

function scan(text: string): RawHit[] {
  const raw: RawHit[] = [];
  findEmails(text, raw);
  findPhones(text, raw);
  findUrls(text, raw);
  findMessengers(text, raw);
  return raw;
}

function ruleCodesOf(raw: RawHit[]): string[] {
  return [...new Set(raw.map((h) => h.rule))];
}

/** Contact-info hits in a text already normalised with `{ offsets: true }`. */
export function findContactInfoIn(normalised: NormalisedText): RuleHit[] {
  return contactRulesIn(normalised).hits;
}

/**
 * One scan for both consumers: the hits (deduplicated, with spans in the
 * original text) for the decision, and the codes of every rule that fired
 * (what `contactRuleCodes` returns) for the classifier's rule features.
 */
export function contactRulesIn(normalised: NormalisedText): { hits: RuleHit[]; ruleCodes: string[] } {
  const raw = scan(normalised.text);
  const hits = dedupe(raw).map((hit) => {
    const span = originalSpan(normalised, hit.start, hit.end);
    return { code: hit.code, rule: hit.rule, severity: hit.severity, start: span.start, end: span.end, match: normalised.original.slice(span.start, span.end) };
  });
  return { hits, ruleCodes: ruleCodesOf(raw) };
}

/** Contact-info hits in raw user text. */
export function findContactInfo(text: string): RuleHit[] {
  return findContactInfoIn(normalise(text, { offsets: true }));
}

/** Rule codes that fired, for features: no spans, no mapping back. */
export function contactRuleCodes(normalisedText: string): string[] {
  return ruleCodesOf(scan(normalisedText));
}
