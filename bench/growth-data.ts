// Training sets of any size for the growth benchmark, from the repository's
// own training data (the `ja` data set: data/ja-messages.csv and
// data/ja/*.jsonl, never the check set data/ja-check.csv, which
// `mod model train` refuses). The distinct texts are taken first, in an
// order that interleaves the files (so 1k holds every label); past their
// number, each further row repeats one with a varied tail (a greeting or
// closing phrase and a counter in words, so training's de-duplication by
// normalised text keeps it), with the original's label.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

const data = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data');
const TAILS = ['よろしくお願いします', 'ありがとう', '了解です', '楽しみにしてます', 'またね', 'おやすみなさい', 'お疲れさまです', '了解しました', 'では後ほど', '助かります'];

interface Row {
  text: string;
  label: string;
}

async function repositoryRows(): Promise<Row[]> {
  const lists: Row[][] = [];
  const csv = (await readFile(path.join(data, 'ja-messages.csv'), 'utf8'))
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
  lists.push((parse(csv, { columns: true, skip_empty_lines: true }) as Row[]).map((r) => ({ text: r.text, label: r.label })));
  for (const file of (await readdir(path.join(data, 'ja'))).filter((f) => f.endsWith('.jsonl')).sort()) {
    const lines = (await readFile(path.join(data, 'ja', file), 'utf8')).split('\n').filter((l) => l.trim() !== '');
    lists.push(lines.map((l) => JSON.parse(l) as Row).map((r) => ({ text: r.text, label: r.label })));
  }
  const rows: Row[] = [];
  const seen = new Set<string>();
  for (let i = 0; lists.some((l) => i < l.length); i++)
    for (const list of lists) {
      const row = list[i];
      if (row && !seen.has(row.text)) {
        seen.add(row.text);
        rows.push(row);
      }
    }
  return rows;
}

/** The counter in words: 1234 -> "いち に さん よん" style digits, so no number normalisation merges two copies. */
function words(n: number): string {
  const digits = ['ぜろ', 'いち', 'に', 'さん', 'よん', 'ご', 'ろく', 'なな', 'はち', 'きゅう'];
  return String(n)
    .split('')
    .map((d) => digits[Number(d)])
    .join('');
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Writes `n` labelled rows as CSV (text,label); says how many are distinct repository texts and how many varied copies. */
export async function writeTrainingSet(file: string, n: number): Promise<{ base: number; varied: number }> {
  const rows = await repositoryRows();
  const out = ['text,label'];
  for (let i = 0; i < n; i++) {
    const row = rows[i % rows.length]!;
    const copy = Math.floor(i / rows.length);
    const text = copy === 0 ? row.text : `${row.text} ${TAILS[copy % TAILS.length]} ${words(i)}`;
    out.push(`${quote(text)},${row.label}`);
  }
  await writeFile(file, `${out.join('\n')}\n`);
  return { base: Math.min(n, rows.length), varied: Math.max(0, n - rows.length) };
}
