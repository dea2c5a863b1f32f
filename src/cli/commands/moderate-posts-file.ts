// The posts file of `mod moderate --file`: JSONL with one {"text", "id"?,
// "kind"?, "userId"?} object a line, or CSV with a `text` column (and
// optional id, kind, userId / user_id columns; others such as label and
// context are ignored, so data/*.csv read as they are). In CSV a line
// starting with # is a comment, as in data/. Each post keeps the line it came
// from, so an error (here, or the service's "items.N") can name it. Every
// post is checked here as the service's schema would (text 1+ characters, no
// NUL, a known kind, ids of 1-200 characters), so a bad line stops the
// command before anything is sent.
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { DataError } from '../../moderation/errors.js';
import type { ModerationRequest } from '../../moderation/moderator.js';

export interface PostLine {
  /** 1-based line of the file the post starts on (CSV: where its record ends). */
  line: number;
  request: ModerationRequest;
}

const KINDS = ['message', 'profile', 'post'] as const;
const ID_MAX = 200;

function checkField(value: unknown, key: 'id' | 'kind' | 'userId', where: string, file: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw new DataError(`${where}: "${key}" must be a string, got ${Array.isArray(value) ? 'an array' : typeof value}`, { file });
  const text = String(value);
  if (key === 'kind') {
    if (!(KINDS as readonly string[]).includes(text)) throw new DataError(`${where}: "kind" must be one of ${KINDS.join(', ')}, got ${JSON.stringify(text)}`, { file });
  } else {
    if (text.length > ID_MAX) throw new DataError(`${where}: "${key}" is ${text.length} characters long (at most ${ID_MAX})`, { file });
    if (text.includes('\u0000')) throw new DataError(`${where}: "${key}" holds a NUL character, which cannot be stored`, { file });
  }
  return text;
}

function post(fields: { text?: unknown; id?: unknown; kind?: unknown; userId?: unknown }, line: number, file: string): PostLine {
  const where = `line ${line}`;
  if (typeof fields.text !== 'string') throw new DataError(`${where}: "text" must be a string, got ${fields.text === undefined ? 'nothing' : fields.text === null ? 'null' : typeof fields.text}`, { file });
  if (fields.text === '') throw new DataError(`${where}: "text" is empty`, { file, hint: 'every post needs a text; remove the line or fill it in' });
  if (fields.text.includes('\u0000')) throw new DataError(`${where}: "text" holds a NUL character, which cannot be stored`, { file });
  const request: ModerationRequest = { text: fields.text };
  for (const key of ['id', 'kind', 'userId'] as const) {
    const value = checkField(fields[key], key, where, file);
    if (value !== undefined) (request as unknown as Record<string, string>)[key] = value;
  }
  return { line, request };
}

function parseJsonl(content: string, file: string): PostLine[] {
  const posts: PostLine[] = [];
  content.split(/\r?\n/).forEach((text, i) => {
    if (text.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (error) {
      throw new DataError(`line ${i + 1}: not valid JSON (${(error as Error).message})`, { file, hint: 'each line must be a JSON object such as {"text":"..."}' });
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new DataError(`line ${i + 1}: expected an object with a string "text"`, { file });
    posts.push(post(row as Record<string, unknown>, i + 1, file));
  });
  return posts;
}

function parseCsvPosts(content: string, file: string): PostLine[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(content, { bom: true, skip_empty_lines: true, comment: '#', comment_no_infix: true, info: true }) as unknown as typeof records;
  } catch (error) {
    throw new DataError(`not valid CSV: ${(error as Error).message}`, { file, hint: 'quote fields that contain commas, quotes or newlines' });
  }
  const [header, ...rows] = records;
  if (!header) return [];
  const names = header.record.map((h) => h.trim().toLowerCase());
  const textAt = names.indexOf('text');
  if (textAt < 0) throw new DataError(`line ${header.info.lines}: the header must name a "text" column, got ${JSON.stringify(header.record.join(','))}`, { file, hint: 'e.g. text,id,kind,userId (other columns are ignored)' });
  const at = (name: string, ...more: string[]) => [name, ...more].map((n) => names.indexOf(n)).find((i) => i >= 0) ?? -1;
  const idAt = at('id');
  const kindAt = at('kind');
  const userAt = at('userid', 'user_id');
  const cell = (row: string[], i: number) => (i < 0 ? undefined : row[i]);
  return rows.map(({ record, info }) => post({ text: record[textAt], id: cell(record, idAt), kind: cell(record, kindAt), userId: cell(record, userAt) }, info.lines, file));
}

/** The posts of a JSONL or CSV file (by extension; otherwise JSONL when it starts with "{"), each with its line. */
export function parsePostsFile(content: string, file: string): PostLine[] {
  const ext = path.extname(file).toLowerCase();
  const jsonl = ext === '.jsonl' || ext === '.ndjson' || ext === '.json' || (ext !== '.csv' && content.trimStart().startsWith('{'));
  const posts = jsonl ? parseJsonl(content, file) : parseCsvPosts(content, file);
  if (posts.length === 0) throw new DataError('contains no posts to moderate', { file, hint: jsonl ? 'JSONL needs {"text":"..."} lines' : 'CSV needs a header with a "text" column and rows' });
  return posts;
}
