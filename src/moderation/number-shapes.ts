// Numbers as the classifier sees them. Featurised digit by digit, "28歳",
// "19時" and "3,500円" share n-grams with phone numbers and IDs, so ordinary
// posts full of ages, times and prices look like contact details. Here a
// number followed by a counter (歳, 時, 円, cm, GB, 出口...) or preceded by a
// currency sign becomes one "counted number" unit, and any other digit run one
// unit that says only how long it is: a phone number stays a long run, an age
// never is one. Works on normalised text (NFKC, lower case, katakana folded to
// hiragana), so full-width digits and half-width katakana counters need no
// separate entries.

/** A number followed by a counter or preceded by a currency sign. */
export const COUNTED_NUMBER = 0xe000;
/** Other digit runs by length: 1-2, 3-4, 5-8 and 9 or more digits. */
export const SHORT_NUMBER = 0xe001;
export const MEDIUM_NUMBER = 0xe002;
export const LONG_NUMBER = 0xe003;
export const PHONE_LENGTH_NUMBER = 0xe004;

// Counters after normalisation (katakana is folded to hiragana: ヶ月 -> ゖ月).
// prettier-ignore
const COUNTERS = [
  '歳', 'さい', '才', '時', 'じ', '分', 'ふん', 'ぷん', '秒', '円', 'えん', '万', '千', '百', '億', '兆',
  'cm', 'mm', 'km', 'm', 'kg', 'g', 'mg', 'ml', 'l', 'cc', 'kb', 'mb', 'gb', 'tb', 'mah', 'w', 'v', 'hz', 'k', 'p', 'fps', 'インチ'.normalize('NFKC'),
  'いんち', 'inch', 'in', 'ft', 'lb', 'oz', '%', '度', '℃', '月', 'ゖ月', 'ゕ月', 'か月', 'ヶ月', '日', '年', '週', '階', '出口', '番', '号', '丁目',
  '個', '枚', '本', '冊', '着', '足', '台', '点', '回', '人', '名', '件', '泊', '品', '割', '位', '代', '部', '話', '巻', '倍', '坪', '畳', '帖',
  '杯', '匹', '頭', '羽', '歩', '周', '連', '期', '次', '色', '型', '社', '校', '店', '局', '駅', '線', '便', '箱', '袋', 'セット', 'せっと',
  'ldk', 'dk', 'lk', 'r', 'st', 'nd', 'rd', 'th', 'yen', 'min', 'h', 'hr', 'hrs', 'sec', 'pcs', 'pc', 'kcal', 'cal', 'x', '×', '〜', '~',
  '時間', 'ぱー', 'ぱーせんと', 'ページ'.normalize('NFKC'), 'ぺーじ', 'ヵ所', 'か所', 'ゕ所', 'ゖ所', '箇所', 'つ', 'こ', 'ほん', 'まい', 'かい', 'にん',
];
const CURRENCY_BEFORE = new Set(['¥', '$', '€', '£', '₩']);

// Counters indexed by their first code unit; longest first, though any match will do.
const COUNTERS_BY_FIRST = new Map<number, string[]>();
for (const counter of COUNTERS) {
  const key = counter.charCodeAt(0);
  const list = COUNTERS_BY_FIRST.get(key) ?? [];
  list.push(counter);
  COUNTERS_BY_FIRST.set(
    key,
    list.sort((a, b) => b.length - a.length),
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isLatinLetter(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

function counterAt(text: string, i: number): boolean {
  const candidates = COUNTERS_BY_FIRST.get(text.charCodeAt(i));
  if (candidates === undefined) return false;
  for (const counter of candidates) {
    if (!text.startsWith(counter, i)) continue;
    // A latin counter must end the word: "5g" and "64gb" count, "3gatsu" does not.
    if (isLatinLetter(counter.charCodeAt(counter.length - 1)) && isLatinLetter(text.charCodeAt(i + counter.length))) continue;
    return true;
  }
  return false;
}

function lengthShape(digits: number): number {
  if (digits <= 2) return SHORT_NUMBER;
  if (digits <= 4) return MEDIUM_NUMBER;
  if (digits <= 8) return LONG_NUMBER;
  return PHONE_LENGTH_NUMBER;
}

/**
 * Writes the units the featurizer hashes for the first `n` code units of
 * normalised text into `out` (each digit run replaced by one shape unit) and
 * returns how many were written. A run may hold single commas or dots between
 * digits (3,500 / 1.5); a space after the run may come before the counter.
 */
export function numberShapeUnits(text: string, n: number, out: Uint16Array): number {
  let k = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) {
      out[k++] = c;
      i++;
      continue;
    }
    const start = i;
    let digits = 0;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (isDigit(d)) {
        digits++;
        i++;
      } else if ((d === 0x2c || d === 0x2e) && i + 1 < n && isDigit(text.charCodeAt(i + 1)) && i > start) {
        i++;
      } else break;
    }
    const before = start > 0 ? (text[start - 1] ?? '') : '';
    const after = i < n && text.charCodeAt(i) === 0x20 ? i + 1 : i;
    const counted = CURRENCY_BEFORE.has(before) || (after < text.length && counterAt(text, after));
    out[k++] = counted ? COUNTED_NUMBER : lengthShape(digits);
  }
  return k;
}
