// The review queue page's pure modules (console/queue-keys.js,
// console/queue-highlight.js), loaded as the browser loads them (plain ES
// modules): the number keys label with the categories of
// src/moderation/categories.ts in their order, keys typed into a control are
// not the queue's, and rule spans (overlapping, nested, out of range, inside
// a surrogate pair) cut the text into runs that give the text back.
import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../src/moderation/categories.js';

interface Segment {
  text: string;
  start: number;
  end: number;
  reasons: number[];
}
interface KeysModule {
  CATEGORIES: string[];
  KEYMAP: { action: string; keys: string[]; help: string }[];
  actionOf(event: { key: string; target?: unknown; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean }): string | null;
  labelOf(action: string): { label: string; category?: string } | null;
}
interface HighlightModule {
  segmentsOf(text: string, reasons: { span?: { start: number; end: number } }[]): Segment[];
}

// Loaded by URL: they are browser JavaScript without type declarations.
const load = async <T>(file: string): Promise<T> => (await import(new URL(`../../console/${file}`, import.meta.url).href)) as T;
const keys = await load<KeysModule>('queue-keys.js');
const highlight = await load<HighlightModule>('queue-highlight.js');

const span = (start: number, end: number) => ({ span: { start, end } });

describe('queue keys', () => {
  it('numbers the categories as src/moderation/categories.ts orders them', () => {
    expect(keys.CATEGORIES).toEqual([...CATEGORIES]);
    CATEGORIES.forEach((category, i) => {
      expect(keys.actionOf({ key: String(i + 1) })).toBe(`category:${category}`);
      expect(keys.labelOf(`category:${category}`)).toEqual({ label: 'ng', category });
    });
    expect(keys.actionOf({ key: '8' })).toBeNull();
  });

  it('maps the documented keys and leaves others alone', () => {
    expect(['j', 'k', 'o', 'n', 'u', 'x', 'A', 'r', '?', 'Escape'].map((key) => keys.actionOf({ key }))).toEqual(['next', 'previous', 'ok', 'ng', 'undo', 'select', 'select-all', 'refresh', 'help', 'escape']);
    expect(keys.labelOf('ok')).toEqual({ label: 'ok' });
    expect(keys.labelOf('ng')).toEqual({ label: 'ng' });
    expect(keys.labelOf('next')).toBeNull();
    expect(keys.actionOf({ key: 'a' })).toBeNull();
    // Browser shortcuts (Ctrl+R, Cmd+K) are not the queue's.
    expect(keys.actionOf({ key: 'r', ctrlKey: true })).toBeNull();
    expect(keys.actionOf({ key: 'k', metaKey: true })).toBeNull();
  });

  it('does not act on keys typed into a control', () => {
    const target = (tagName: string, extra: Record<string, unknown> = {}) => ({ tagName, ...extra });
    expect(keys.actionOf({ key: 'o', target: target('INPUT', { type: 'text' }) })).toBeNull();
    expect(keys.actionOf({ key: 'o', target: target('INPUT', {}) })).toBeNull();
    expect(keys.actionOf({ key: 'j', target: target('SELECT') })).toBeNull();
    expect(keys.actionOf({ key: 'n', target: target('TEXTAREA') })).toBeNull();
    expect(keys.actionOf({ key: 'n', target: target('DIV', { isContentEditable: true }) })).toBeNull();
    // A checkbox or a button takes no text: the keys still work there.
    expect(keys.actionOf({ key: 'x', target: target('INPUT', { type: 'checkbox' }) })).toBe('select');
    expect(keys.actionOf({ key: 'o', target: target('BUTTON') })).toBe('ok');
  });

  it('has one help line per action and no key twice', () => {
    const all = keys.KEYMAP.flatMap((entry) => entry.keys);
    expect(new Set(all).size).toBe(all.length);
    for (const entry of keys.KEYMAP) expect(entry.help.length).toBeGreaterThan(5);
  });
});

describe('rule span highlighting', () => {
  const joined = (segments: Segment[]) => segments.map((s) => s.text).join('');

  it('marks one span and leaves the rest plain', () => {
    const text = 'LINE交換しよう';
    const segments = highlight.segmentsOf(text, [span(0, 6)]);
    expect(segments).toEqual([
      { text: 'LINE交換', start: 0, end: 6, reasons: [0] },
      { text: 'しよう', start: 6, end: 9, reasons: [] },
    ]);
  });

  it('cuts overlapping and nested spans into runs naming every covering reason', () => {
    const text = 'abcdefghij';
    const segments = highlight.segmentsOf(text, [span(1, 5), span(3, 8), { code: 'model.review' } as never, span(4, 5)]);
    expect(joined(segments)).toBe(text);
    expect(segments.map((s) => [s.text, s.reasons])).toEqual([
      ['a', []],
      ['bc', [0]],
      ['d', [0, 1]],
      ['e', [0, 1, 3]],
      ['fgh', [1]],
      ['ij', []],
    ]);
  });

  it('merges neighbouring runs of the same reasons and ignores empty or reversed spans', () => {
    const segments = highlight.segmentsOf('abcdef', [span(1, 3), span(1, 3), span(4, 4), span(5, 2)]);
    expect(segments.map((s) => [s.text, s.reasons])).toEqual([
      ['a', []],
      ['bc', [0, 1]],
      ['def', []],
    ]);
  });

  it('clips spans outside the text (a stale span never throws)', () => {
    const segments = highlight.segmentsOf('abc', [span(-4, 1), span(2, 99)]);
    expect(segments.map((s) => [s.text, s.reasons])).toEqual([
      ['a', [0]],
      ['b', []],
      ['c', [1]],
    ]);
  });

  it('never splits a surrogate pair (spans are UTF-16 indices)', () => {
    // 𠮷 (U+20BB7) is two UTF-16 code units.
    const text = 'a𠮷野家b';
    expect(text.length).toBe(6);
    const segments = highlight.segmentsOf(text, [span(2, 4)]);
    expect(joined(segments)).toBe(text);
    expect(segments.map((s) => [s.text, s.reasons])).toEqual([
      ['a', []],
      ['𠮷野', [0]],
      ['家b', []],
    ]);
    // No run starts or ends with half a pair.
    for (const s of segments) expect(s.text).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });

  it('gives the whole text as one plain run without spans', () => {
    expect(highlight.segmentsOf('ふつうの投稿', [])).toEqual([{ text: 'ふつうの投稿', start: 0, end: 6, reasons: [] }]);
    expect(highlight.segmentsOf('', [span(0, 1)])).toEqual([]);
  });
});
