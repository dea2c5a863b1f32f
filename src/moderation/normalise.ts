// Text normalisation for matching and features: NFKC (which also turns
// full-width ASCII into half-width and half-width katakana into full-width,
// and circled or mathematical digits into digits; keycap emoji digits lose
// their keycap and dingbat circled digits ❶➀➊ are mapped too, as NFKC leaves them),
// case folding, katakana folded to hiragana, zero-width and control
// characters removed, runs of separators collapsed. The original text is kept,
// and every normalised code unit remembers which original code units produced
// it, so a rule hit on the normalised text can point at the original span.

export interface NormalisedText {
  readonly original: string;
  /** The normalised text rules and features work on. */
  readonly text: string;
  /** starts[i]: index in `original` where the code unit text[i] came from (only with offsets). */
  readonly starts: Int32Array | undefined;
  /** ends[i]: index in `original` just past the source of text[i] (only with offsets). */
  readonly ends: Int32Array | undefined;
}

export interface NormaliseOptions {
  /** Keep the mapping back to the original (rules need it; features do not). */
  offsets?: boolean;
}

// Removed outright: zero-width spaces and joiners, bidi controls, soft hyphen,
// word joiner, BOM, variation selectors, combining grapheme joiner.
function isInvisible(cp: number): boolean {
  return (
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2060 && cp <= 0x206f) ||
    cp === 0xfeff ||
    cp === 0x00ad ||
    cp === 0x034f ||
    cp === 0x20e3 ||
    cp === 0x180e ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0xe0100 && cp <= 0xe01ef) ||
    (cp >= 0xe0000 && cp <= 0xe007f)
  );
}

function isControl(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

// Marks that compose with the previous character under NFKC (dakuten, accents),
// so they are normalised together with it.
function isCombining(cp: number): boolean {
  return (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x3099 && cp <= 0x309a) || (cp >= 0xff9e && cp <= 0xff9f) || (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe20 && cp <= 0xfe2f);
}

function isWhitespace(code: number): boolean {
  return (
    code === 0x20 ||
    code === 0x09 ||
    code === 0x0a ||
    code === 0x0d ||
    code === 0x0b ||
    code === 0x0c ||
    code === 0xa0 ||
    code === 0x3000 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x1680
  );
}

// Separators whose repetition carries no meaning ("----", "....", "~~~", "・・・").
const REPEATABLE_SEPARATORS = new Set<number>([0x2d, 0x5f, 0x2e, 0x7e, 0x2a, 0x3d, 0x2c, 0x30fb, 0x3001, 0x3002, 0x2026, 0x2015, 0x2500, 0x2212, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x21, 0x3f, 0x23, 0x2b, 0x7c]);

/** Dingbat circled digits (❶-❿, ➀-➉, ➊-➓): digits people type to slip a number past filters. */
function dingbatDigit(cp: number): string | undefined {
  for (const base of [0x2776, 0x2780, 0x278a]) {
    if (cp >= base && cp < base + 10) return cp - base === 9 ? '10' : String(cp - base + 1);
  }
  return undefined;
}

function foldChar(cp: number): string {
  let s = (dingbatDigit(cp) ?? String.fromCodePoint(cp).normalize('NFKC')).toLowerCase();
  let folded = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30a1 && c <= 0x30f6) folded += String.fromCharCode(c - 0x60);
    else if (c === 0x30fd || c === 0x30fe) folded += String.fromCharCode(c - 0x60);
    else if (isWhitespace(c)) folded += ' ';
    else folded += s[i];
  }
  s = folded;
  return s;
}

function foldCluster(cluster: string): string {
  const nfkc = cluster.normalize('NFKC').toLowerCase();
  let folded = '';
  for (const ch of nfkc) {
    const cp = ch.codePointAt(0) ?? 0;
    if (isCombining(cp) || isInvisible(cp)) {
      folded += ch;
      continue;
    }
    folded += foldChar(cp);
  }
  return folded;
}

// One entry per BMP code point, filled on first use: NFKC is the expensive
// step and user text reuses a small alphabet.
const bmpCache: (string | undefined)[] = new Array<string | undefined>(0x10000);

function foldCodePoint(cp: number): string {
  if (cp < 0x10000) {
    const hit = bmpCache[cp];
    if (hit !== undefined) return hit;
    const folded = foldChar(cp);
    bmpCache[cp] = folded;
    return folded;
  }
  return foldChar(cp);
}

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;
const SPACE_RUNS = / {2,}/g;
const SEPARATOR_RUNS = /([-_.~*=,!?#+|])\1+/g;

export function normalise(original: string, options: NormaliseOptions = {}): NormalisedText {
  const keepOffsets = options.offsets === true;
  // Fast path for printable ASCII without offsets (most English text): the
  // same result as the loop below, with three native passes instead.
  if (!keepOffsets && !NOT_PRINTABLE_ASCII.test(original)) {
    const text = original.toLowerCase().replace(SPACE_RUNS, ' ').replace(SEPARATOR_RUNS, '$1').trim();
    return { original, text, starts: undefined, ends: undefined };
  }
  const starts: number[] = [];
  const ends: number[] = [];
  let out = '';
  let last = -1; // last emitted code unit, -1 at the start
  const n = original.length;
  let i = 0;
  const emit = (piece: string, from: number, to: number): void => {
    for (let k = 0; k < piece.length; k++) {
      const c = piece.charCodeAt(k);
      if (c === 0x20) {
        if (last === 0x20 || last === -1) continue;
      } else if (c === last && REPEATABLE_SEPARATORS.has(c)) {
        continue;
      }
      out += piece[k];
      last = c;
      if (keepOffsets) {
        starts.push(from);
        ends.push(to);
      }
    }
  };
  while (i < n) {
    const code = original.charCodeAt(i);
    // ASCII fast path: no NFKC needed, only case folding and separators.
    if (code < 0x80) {
      const next = i + 1 < n ? original.charCodeAt(i + 1) : 0;
      if (isCombining(next)) {
        // e.g. "e" + U+0301: let the general path compose it.
      } else {
        if (code >= 0x41 && code <= 0x5a) emit(String.fromCharCode(code + 32), i, i + 1);
        else if (isWhitespace(code)) emit(' ', i, i + 1);
        else if (!isControl(code)) emit(original[i] as string, i, i + 1);
        i++;
        continue;
      }
    }
    const cp = original.codePointAt(i) ?? code;
    const width = cp > 0xffff ? 2 : 1;
    if (isInvisible(cp)) {
      i += width;
      continue;
    }
    if (isWhitespace(cp)) {
      emit(' ', i, i + width);
      i += width;
      continue;
    }
    if (isControl(cp)) {
      i += width;
      continue;
    }
    let end = i + width;
    while (end < n) {
      const nextCp = original.codePointAt(end) ?? 0;
      if (!isCombining(nextCp)) break;
      end += nextCp > 0xffff ? 2 : 1;
    }
    const piece = end === i + width ? foldCodePoint(cp) : foldCluster(original.slice(i, end));
    emit(piece, i, end);
    i = end;
  }
  // Drop one trailing space left by the collapsing.
  if (last === 0x20) {
    out = out.slice(0, -1);
    if (keepOffsets) {
      starts.pop();
      ends.pop();
    }
  }
  return {
    original,
    text: out,
    starts: keepOffsets ? Int32Array.from(starts) : undefined,
    ends: keepOffsets ? Int32Array.from(ends) : undefined,
  };
}

/** Maps a span [start, end) of the normalised text back to the original text. */
export function originalSpan(normalised: NormalisedText, start: number, end: number): { start: number; end: number } {
  const { starts, ends } = normalised;
  if (!starts || !ends) throw new Error('normalise() was called without { offsets: true }');
  if (end <= start || start >= starts.length) return { start: 0, end: 0 };
  return { start: starts[start] ?? 0, end: ends[Math.min(end, ends.length) - 1] ?? 0 };
}

/** Normalised text only: what the featuriser consumes. */
export function normaliseText(original: string): string {
  return normalise(original).text;
}
