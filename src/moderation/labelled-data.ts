// Labelled text files: CSV with a `text,label` header or JSONL with
// {"text","label"} per line. The label is `ok`, a category (contact,
// solicitation, scam, abuse, spam, offplatform_payment, minor), or the old
// binary `ng` (NG of no known category); an optional `category` column or
// field names the category of an `ng` row (the label export writes both) and
// `context` says where the text appeared. Other columns or fields (the review
// queue's export carries ids and timestamps) are ignored. In CSV, a line
// starting with # is a comment (quote a text that starts with #).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { CATEGORIES, isCategory, type Category } from './categories.js';
import { DataError } from './errors.js';

export type Label = 'ok' | 'ng';

export interface LabelledText {
  text: string;
  label: Label;
  /** For NG: its category, or null when the data says only "ng". Absent or null for ok. */
  category?: Category | null;
  /** Where the text appeared (first_message, profile, listing...), when the data says. */
  context?: string;
}

export interface ParsedLabel {
  label: Label;
  category: Category | null;
}

const LABEL_HINT = `label must be "ok", one of ${CATEGORIES.join(', ')}, or "ng"`;

/** A label word (ok | a category | ng) and an optional category column into label + category. */
export function parseLabel(value: unknown, where: string, file: string, categoryValue?: unknown): ParsedLabel {
  const word = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (word === 'ok') return { label: 'ok', category: null };
  if (isCategory(word)) return { label: 'ng', category: word };
  if (word === 'ng') {
    const named = typeof categoryValue === 'string' ? categoryValue.trim().toLowerCase() : categoryValue;
    // Old exports carry free-text categories: one that is not a policy word is "ng" of no known category.
    return { label: 'ng', category: isCategory(named) ? named : null };
  }
  throw new DataError(`${where}: ${LABEL_HINT}, got ${JSON.stringify(value)}`, { file });
}

function labelled(text: string, parsed: ParsedLabel, context: unknown): LabelledText {
  const out: LabelledText = { text, label: parsed.label, category: parsed.category };
  if (typeof context === 'string' && context.trim() !== '') out.context = context.trim();
  return out;
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
    out.push(labelled(checkText(record.text, where, file), parseLabel(record.label, where, file, record.category), record.context));
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
  const categoryAt = names.indexOf('category');
  const contextAt = names.indexOf('context');
  if (textAt < 0 || labelAt < 0) throw new DataError(`the header must name the columns "text" and "label", got ${JSON.stringify(header.join(','))}`, { file });
  return rows.slice(1).map((row, i) => {
    const where = `row ${i + 2}`;
    return labelled(checkText(row[textAt], where, file), parseLabel(row[labelAt], where, file, categoryAt < 0 ? undefined : row[categoryAt]), contextAt < 0 ? undefined : row[contextAt]);
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
