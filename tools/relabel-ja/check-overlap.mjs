// Validates the check set data/ja-check.csv: header text,label,context, only
// allowed labels and contexts, no two texts the same, and no text that a
// training file also holds, where "the same" is compared on the project's
// own normalisation (src/moderation/normalise.ts: NFKC, width, case, katakana
// folded to hiragana, separators collapsed) with whitespace removed, the key
// test/moderation/data-split.test.ts uses (so ＬＩＮＥ and line, ラ and ら, or a
// stray space, do not hide a leak). Needs dist/ (npm ci builds it). Prints counts per label and per context and
// exits 1 on any problem.
//
//   node tools/relabel-ja/check-overlap.mjs [check.csv] [training files (.csv or .jsonl) ...]
//
// Defaults: data/ja-check.csv against data/ja-messages.csv. Pass other
// training files (e.g. data/ja/*.jsonl) to check those too; a collision is
// reported by the check set's row number only.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { CATEGORIES, normaliseText } from '../../dist/moderation/index.js';

const LABELS = ['ok', ...CATEGORIES];
const CONTEXTS = ['first_message', 'small_talk', 'date_planning', 'refusal', 'profile', 'market_question', 'market_reply', 'listing', 'other'];
// What the check set must hold to measure every category (see data/README.md).
const MIN_ROWS = 600;
const MIN_OK = 380;
const MIN_BAD = 220;
const MIN_PER_CATEGORY = 25;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const [checkArg, ...trainingArgs] = process.argv.slice(2);
const checkFile = checkArg ?? path.join(root, 'data', 'ja-check.csv');
const trainingFiles = trainingArgs.length > 0 ? trainingArgs : [path.join(root, 'data', 'ja-messages.csv')];

const normalise = (text) => normaliseText(text).replace(/\s+/g, '');

function readTexts(file) {
  const content = readFileSync(file, 'utf8');
  if (file.endsWith('.jsonl') || file.endsWith('.ndjson')) {
    return content
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l).text);
  }
  const rows = parse(content, { bom: true, skip_empty_lines: true, comment: '#', comment_no_infix: true });
  const at = rows[0].indexOf('text');
  return rows.slice(1).map((r) => r[at]);
}

const problems = [];
const rows = parse(readFileSync(checkFile, 'utf8'), { bom: true, skip_empty_lines: true, relax_column_count: false, comment: '#', comment_no_infix: true });
if (rows[0].join(',') !== 'text,label,context') problems.push(`header is ${rows[0].join(',')}, expected text,label,context`);
const data = rows.slice(1);

const seen = new Map();
data.forEach(([text, label, context], i) => {
  const where = `row ${i + 1}`;
  if (!LABELS.includes(label)) problems.push(`${where}: label ${label}`);
  if (!CONTEXTS.includes(context)) problems.push(`${where}: context ${context}`);
  if (text.trim() === '') problems.push(`${where}: empty text`);
  const key = normalise(text);
  if (seen.has(key)) problems.push(`${where}: same text as row ${seen.get(key)}: ${text}`);
  else seen.set(key, i + 1);
});

for (const file of trainingFiles) {
  const training = new Set(readTexts(file).map(normalise));
  const leaked = [...seen].filter(([key]) => training.has(key)).map(([, row]) => row);
  if (leaked.length > 0) problems.push(`${path.relative(root, file)} also holds check rows ${leaked.join(', ')}`);
}

const byLabel = Object.fromEntries(LABELS.map((l) => [l, data.filter((r) => r[1] === l).length]));
const byContext = Object.fromEntries(CONTEXTS.map((c) => [c, data.filter((r) => r[2] === c).length]));
const bad = data.length - byLabel.ok;
if (data.length < MIN_ROWS) problems.push(`${data.length} rows, fewer than ${MIN_ROWS}`);
if (byLabel.ok < MIN_OK) problems.push(`${byLabel.ok} ok, fewer than ${MIN_OK}`);
if (bad < MIN_BAD) problems.push(`${bad} not ok, fewer than ${MIN_BAD}`);
for (const l of LABELS.slice(1)) if (byLabel[l] < MIN_PER_CATEGORY) problems.push(`${byLabel[l]} ${l}, fewer than ${MIN_PER_CATEGORY}`);

console.log(`${path.relative(root, checkFile)}: ${data.length} rows (${byLabel.ok} ok, ${bad} not ok)`);
console.log('labels:', byLabel);
console.log('contexts:', byContext);
for (const p of problems) console.log('problem:', p);
process.exit(problems.length > 0 ? 1 : 0);
