// Turns normalised text into a sparse vector of hashed features: character
// n-grams (so Japanese needs no tokenizer), word unigrams and bigrams (words
// are runs of one script), and the contact rules that fired. With
// numberShapes, each digit run is first replaced by one unit saying whether it
// counts something (28歳, 3,500円) or how long it is (number-shapes.ts). Hashes are rolled
// over UTF-16 code units, so no string is built per n-gram; indices and values
// go into a buffer the caller reuses.
import { contactRuleCodes } from './contact-rules.js';
import { COUNTED_NUMBER, PHONE_LENGTH_NUMBER, numberShapeUnits } from './number-shapes.js';

export interface FeatureSettings {
  /** log2 of the weight vector's length. */
  bits: number;
  charNgramMin: number;
  charNgramMax: number;
  /** 1: word unigrams; 2: unigrams and bigrams. 0 turns word features off. */
  wordNgramMax: number;
  /** Add one feature per contact rule that fired. */
  ruleFeatures: boolean;
  /** Only the first maxChars code units are featurised (bounded cost for long e-mails). */
  maxChars: number;
  /** Digit runs become one unit each: counted (28歳) or by length (a phone number). Off in models of format 1. */
  numberShapes?: boolean;
  /** One feature for the text's length bucket, so very short texts get a bias of their own. Off in models of format 1. */
  lengthFeature?: boolean;
}

export const defaultFeatureSettings: FeatureSettings = {
  bits: 20,
  charNgramMin: 1,
  charNgramMax: 4,
  wordNgramMax: 2,
  // Off by default: the Moderator applies the rules itself, n-grams carry the
  // same signal (held-out F1 and ROC-AUC were unchanged on ja+sms), and the
  // rules cost more than the rest of featurising.
  ruleFeatures: false,
  maxChars: 2000,
  numberShapes: true,
  lengthFeature: true,
};

/**
 * A sparse vector: the first `length` entries of `indices`, each with the
 * same `value` (repeated indices add up, like counts).
 */
export interface FeatureVector {
  indices: Int32Array;
  length: number;
  value: number;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const WORD_SEED = 0x3b9aca07;
const BIGRAM_SEED = 0x2545f491;
const RULE_SEED = 0x68e31da4;
const LENGTH_SEED = 0x1b873593;
// Length buckets in code units: 1, 2-3, 4-6, 7-12, 13-25, 26-50, 51-100, longer.
const LENGTH_BUCKETS = [1, 3, 6, 12, 25, 50, 100];

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Script class of a normalised code unit: words are maximal runs of one class. */
function wordClass(c: number): number {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x27) return 1; // latin, digits
  if (c >= 0x3041 && c <= 0x309f) return 2; // hiragana (katakana is folded into it)
  if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || c === 0x3005 || c === 0x3006) return 3; // kanji
  if (c >= 0xac00 && c <= 0xd7af) return 4; // hangul
  if (c >= 0xc0 && c <= 0x24f) return 1; // accented latin
  if (c >= 0xd800 && c <= 0xdfff) return 5; // astral (emoji and rare kanji)
  if (c >= COUNTED_NUMBER && c <= PHONE_LENGTH_NUMBER) return 1; // number shapes
  return 0;
}

/** Without number shapes, digits fold to one unit: prices, phone numbers and codes share features. */
function foldDigits(text: string, n: number, out: Uint16Array): number {
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    out[i] = c >= 0x30 && c <= 0x39 ? 0x30 : c;
  }
  return n;
}

/**
 * Words for the word n-grams instead of runs of one script, e.g. a
 * morphological analyser's tokens (bench/tokenizer.bench.js compares one).
 */
export type WordTokenizer = (normalised: string) => readonly string[];

export class Featurizer {
  readonly settings: FeatureSettings;
  private readonly mask: number;
  private buffer: FeatureVector;
  private units = new Uint16Array(256);

  constructor(
    settings: FeatureSettings = defaultFeatureSettings,
    private readonly words?: WordTokenizer,
  ) {
    this.settings = { ...settings };
    this.mask = (1 << settings.bits) - 1;
    const capacity = this.capacityFor(Math.min(settings.maxChars, 256));
    this.buffer = { indices: new Int32Array(capacity), length: 0, value: 0 };
  }

  private capacityFor(chars: number): number {
    const s = this.settings;
    const orders = Math.max(0, s.charNgramMax - s.charNgramMin + 1);
    return (chars + 2) * orders + (chars + 1) * Math.max(0, s.wordNgramMax) + 64;
  }

  /**
   * Featurises normalised text into the featurizer's own buffer, which the
   * next call overwrites. Every occurrence weighs the same, scaled so the
   * vector has unit L2 norm when all features are distinct.
   *
   * `ruleCodes`, when the caller already ran the contact rules on the same
   * text (the Moderator does, for its decision), saves running them twice;
   * they are used only when the whole text is featurised, so the result is
   * the same as without them.
   */
  featurize(normalised: string, ruleCodes?: readonly string[]): FeatureVector {
    const s = this.settings;
    const n = Math.min(normalised.length, s.maxChars);
    const needed = this.capacityFor(n);
    if (this.buffer.indices.length < needed) {
      this.buffer = { indices: new Int32Array(needed), length: 0, value: 0 };
    }
    if (this.units.length < n) this.units = new Uint16Array(n);
    const units = this.units;
    // Number shapes only shorten the text: capacity for n code units suffices.
    const m = s.numberShapes === true ? numberShapeUnits(normalised, n, units) : foldDigits(normalised, n, units);
    const idx = this.buffer.indices;
    let k = 0;
    const mask = this.mask;
    const min = s.charNgramMin;
    const max = s.charNgramMax;
    // Character n-grams over the text padded with one space on each side.
    if (max >= min && max > 0) {
      for (let start = -1; start <= m; start++) {
        let h = FNV_OFFSET;
        for (let len = 1; len <= max; len++) {
          const pos = start + len - 1;
          if (pos > m) break;
          const c = pos < 0 || pos >= m ? 0x20 : (units[pos] as number);
          h = Math.imul(h ^ c, FNV_PRIME);
          if (len >= min) idx[k++] = fmix(h ^ len) & mask;
        }
      }
    }
    if (s.wordNgramMax > 0 && this.words) {
      let prev = 0;
      let hasPrev = false;
      for (const token of this.words(normalised)) {
        if (k + 2 > idx.length) break;
        let h = WORD_SEED;
        for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), FNV_PRIME);
        const word = fmix(h);
        idx[k++] = word & mask;
        if (s.wordNgramMax > 1 && hasPrev) idx[k++] = fmix(Math.imul(prev ^ BIGRAM_SEED, FNV_PRIME) ^ word) & mask;
        prev = word;
        hasPrev = true;
      }
    }
    // Word unigrams and bigrams: runs of one script class.
    if (s.wordNgramMax > 0 && !this.words) {
      let prev = 0;
      let hasPrev = false;
      let i = 0;
      while (i < m) {
        const cls = wordClass(units[i] as number);
        if (cls === 0) {
          i++;
          continue;
        }
        let h = WORD_SEED ^ cls;
        while (i < m) {
          const c = units[i] as number;
          // The prolonged sound mark belongs to the kana word it follows.
          if (wordClass(c) !== cls && !(c === 0x30fc && cls === 2)) break;
          h = Math.imul(h ^ c, FNV_PRIME);
          i++;
        }
        const word = fmix(h);
        idx[k++] = word & mask;
        if (s.wordNgramMax > 1 && hasPrev) idx[k++] = fmix(Math.imul(prev ^ BIGRAM_SEED, FNV_PRIME) ^ word) & mask;
        prev = word;
        hasPrev = true;
      }
    }
    if (s.ruleFeatures) {
      const codes = ruleCodes !== undefined && normalised.length <= n ? ruleCodes : contactRuleCodes(normalised.length > n ? normalised.slice(0, n) : normalised);
      for (const code of codes) {
        let h = RULE_SEED;
        for (let i = 0; i < code.length; i++) h = Math.imul(h ^ code.charCodeAt(i), FNV_PRIME);
        if (k >= idx.length) break;
        idx[k++] = fmix(h) & mask;
      }
    }
    if (s.lengthFeature === true && k < idx.length) {
      let bucket = LENGTH_BUCKETS.findIndex((limit) => m <= limit);
      if (bucket < 0) bucket = LENGTH_BUCKETS.length;
      idx[k++] = fmix(LENGTH_SEED ^ bucket) & mask;
    }
    this.buffer.value = k > 0 ? 1 / Math.sqrt(k) : 0;
    this.buffer.length = k;
    return this.buffer;
  }

  /** A copy of the vector, for training sets kept in memory. */
  featurizeCopy(normalised: string): FeatureVector {
    const v = this.featurize(normalised);
    return { indices: v.indices.slice(0, v.length), length: v.length, value: v.value };
  }
}
