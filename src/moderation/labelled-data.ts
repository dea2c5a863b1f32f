// Labelled text files: CSV with a `text,label` header or JSONL with
// {"text","label"} per line, label `ok` or `ng`. Extra columns or fields (the
// review queue's export carries ids and timestamps) are ignored. In CSV, a
// line starting with # is a comment (quote a text that starts with #).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { DataError } from './errors.js';

export type Label = 'ok' | 'ng';

export interface LabelledText {
  text: string;
  label: Label;
}

export function parseLabel(value: unknown, where: string, file: string): Label {
  const label = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (label === 'ok' || label === 'ng') return label;
  throw new DataError(`${where}: label must be "ok" or "ng", got ${JSON.stringify(value)}`, { file });
}

function checkText(value: unknown, where: string, file: string): string {
  if (typeof value !== 'string') throw new DataError(`${where}: "text" must be a string, got ${value === undefined ? 'nothing' : typeof value}`, { file });
  return value;
}

export function parseLabelledJsonl(content: string, file = '<jsonl>'): LabelledText[] {
  const out: LabelledText[] = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `line ${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new DataError(`${where}: not valid JSON (${(error as Error).message})`, { file, hint: 'each line must be one JSON object such as {"text":"...","label":"ok"}' });
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new DataError(`${where}: expected a JSON object with "text" and "label"`, { file });
    const record = row as Record<string, unknown>;
    out.push({ text: checkText(record.text, where, file), label: parseLabel(record.label, where, file) });
  });
  return out;
}

export function parseLabelledCsv(content: string, file = '<csv>'): LabelledText[] {
  let rows: string[][];
  try {
    rows = parseCsv(content, { bom: true, skip_empty_lines: true, relax_column_count: false, comment: '#', comment_no_infix: true }) as string[][];
  } catch (error) {
    throw new DataError(`not valid CSV: ${(error as Error).message}`, { file, hint: 'quote fields that contain commas, quotes or newlines' });
  }
  const header = rows[0];
  if (!header) return [];
  const names = header.map((h) => h.trim().toLowerCase());
  const textAt = names.indexOf('text');
  const labelAt = names.indexOf('label');
  if (textAt < 0 || labelAt < 0) throw new DataError(`the header must name the columns "text" and "label", got ${JSON.stringify(header.join(','))}`, { file });
  return rows.slice(1).map((row, i) => {
    const where = `row ${i + 2}`;
    return { text: checkText(row[textAt], where, file), label: parseLabel(row[labelAt], where, file) };
  });
}

/** Reads a labelled file; the format comes from the extension, or from the first character. */
export async function readLabelledFile(file: string): Promise<LabelledText[]> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`, { file, cause: error });
  }
  const ext = path.extname(file).toLowerCase();
  const jsonl = ext === '.jsonl' || ext === '.ndjson' || ext === '.json' || (ext !== '.csv' && content.trimStart().startsWith('{'));
  const examples = jsonl ? parseLabelledJsonl(content, file) : parseLabelledCsv(content, file);
  if (examples.length === 0) throw new DataError('contains no labelled examples', { file, hint: 'CSV needs a "text,label" header and rows; JSONL needs {"text","label"} lines' });
  return examples;
}

/** Throws unless both labels are present (a single-class set can neither train nor evaluate). */
export function requireBothClasses(examples: readonly LabelledText[], source: string): void {
  const ng = examples.filter((e) => e.label === 'ng').length;
  if (examples.length === 0) throw new DataError(`${source}: contains no labelled examples`);
  if (ng === 0 || ng === examples.length) {
    throw new DataError(`${source}: every example is labelled "${examples[0]?.label}"; both "ok" and "ng" are needed`, { hint: 'add examples of the other label' });
  }
}
