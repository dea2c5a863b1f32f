// One-shot migration of a hand-written `text,label` CSV (label ok | ng) to
// `text,label,context` with policy categories, from a hand-made mapping file
// (row -> category, context; see *.map.tsv next to this script). The choice
// of category for each ng row was made by reading it, not by rules: this
// script only applies the mapping and proves nothing else changed.
//
//   node tools/relabel-ja/relabel.mjs data/ja-messages.csv tools/relabel-ja/ja-messages.map.tsv
//
// Rewrites the CSV in place. Comment lines are kept where they are, except
// the block above the header, which is replaced by HEAD_COMMENTS[file]. It
// refuses a file that already has a context column (already migrated).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

const LABELS = new Set(['ok', 'contact', 'solicitation', 'scam', 'abuse', 'spam', 'offplatform_payment', 'minor']);
const CONTEXTS = new Set(['first_message', 'small_talk', 'date_planning', 'refusal', 'profile', 'market_question', 'market_reply', 'listing', 'other']);

const LABEL_LEGEND = [
  '# Labels: ok = publish as is; otherwise the policy category a moderator acts on: contact (contact details or moving to',
  '# another channel, however obfuscated), solicitation (paid dating, prostitution slang, sexual propositions), scam',
  '# (investment, side jobs, romance money requests, phishing, fake prizes), abuse (insults, threats, harassment, slurs),',
  '# spam (ads, follower selling, MLM recruiting), offplatform_payment (paying outside the app to avoid its fees), minor',
  '# (self-declared or sought minors). A text that fits several gets the first of minor > solicitation > scam >',
  '# offplatform_payment > contact > abuse > spam. context: first_message | small_talk | date_planning | refusal | profile |',
  '# market_question (buyer) | market_reply (seller) | listing | other.',
];

const HEAD_COMMENTS = {
  'ja-messages.csv': [
    '# Hand-written fixture: labelled Japanese messages as they appear on a dating or marketplace app.',
    '# Every line was written by hand for this repository (no real users, names, numbers or addresses);',
    '# phone numbers, IDs and domains are made up. The rows labelled ng until the move to categories were',
    '# relabelled by hand (tools/relabel-ja/ja-messages.map.tsv); texts are unchanged.',
    ...LABEL_LEGEND,
  ],
  'ja-check.csv': [
    '# Hand-written check set: Japanese messages kept OUT of training, to measure how the shipped model treats',
    '# ordinary chat (how much goes to human review, hard negatives such as 28歳, 19時, 3,500円, インスタで見たカフェ',
    '# included) and each bad category (how much is caught). Every line was written by hand for this repository;',
    '# names, numbers, IDs and domains are made up. No text equals one in ja-messages.csv after NFKC, lowercasing',
    '# and removing whitespace (tools/relabel-ja/check-overlap.mjs).',
    ...LABEL_LEGEND,
  ],
};

/** csv-stringify is not installed: quote a field the way it would (comma, quote, newline, a leading # or edge spaces). */
function csvField(value) {
  return /[",\r\n]|^#|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function readRows(content) {
  return parse(content, { bom: true, skip_empty_lines: true, relax_column_count: false, comment: '#', comment_no_infix: true });
}

function readMapping(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line, i) => {
      const [row, label, context, ...rest] = line.split('\t');
      if (Number(row) !== i + 1) throw new Error(`${file}: line for row ${row} is at position ${i + 1}`);
      if (!LABELS.has(label) || !CONTEXTS.has(context)) throw new Error(`${file}: row ${row}: bad label or context ${label}/${context}`);
      return { label, context, text: rest.join('\t') };
    });
}

function multiset(texts) {
  const counts = new Map();
  for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

function sameMultiset(a, b) {
  if (a.size !== b.size) return false;
  for (const [k, n] of a) if (b.get(k) !== n) return false;
  return true;
}

const [csvFile, mapFile] = process.argv.slice(2);
if (!csvFile || !mapFile) {
  console.error('usage: node tools/relabel-ja/relabel.mjs <file.csv> <mapping.tsv>');
  process.exit(2);
}
const headComments = HEAD_COMMENTS[path.basename(csvFile)];
if (!headComments) throw new Error(`no head comments for ${csvFile}`);

const original = readFileSync(csvFile, 'utf8');
const before = readRows(original);
if (before[0].join(',') !== 'text,label') throw new Error(`${csvFile}: expected header text,label, got ${before[0].join(',')}`);
const beforeRows = before.slice(1);
const mapping = readMapping(mapFile);
if (mapping.length !== beforeRows.length) throw new Error(`${mapFile}: ${mapping.length} rows, ${csvFile} has ${beforeRows.length}`);

// Line by line, so comments stay where they are; no row spans lines in these files (checked below).
const out = [...headComments];
let seenHeader = false;
let row = 0;
for (const line of original.replace(/\n$/, '').split('\n')) {
  if (line.startsWith('#')) {
    if (seenHeader) out.push(line);
    continue;
  }
  if (line.trim() === '') continue;
  if (!seenHeader) {
    seenHeader = true;
    out.push('text,label,context');
    continue;
  }
  const records = readRows(line);
  if (records.length !== 1 || records[0].length !== 2) throw new Error(`${csvFile}: line is not one text,label row: ${line}`);
  const [text, label] = records[0];
  const target = mapping[row];
  if (target.text !== text) throw new Error(`${mapFile}: row ${row + 1} text differs: ${JSON.stringify(target.text)} vs ${JSON.stringify(text)}`);
  if ((label === 'ok') !== (target.label === 'ok')) throw new Error(`row ${row + 1}: ${label} cannot become ${target.label}`);
  out.push([text, target.label, target.context].map(csvField).join(','));
  row += 1;
}
const written = `${out.join('\n')}\n`;

// Prove the rewrite: same texts (as a multiset), the ok/ng split unchanged, only allowed values.
const after = readRows(written);
if (after[0].join(',') !== 'text,label,context') throw new Error('header not rewritten');
const afterRows = after.slice(1);
if (!sameMultiset(multiset(beforeRows.map((r) => r[0])), multiset(afterRows.map((r) => r[0])))) throw new Error('the set of texts changed');
afterRows.forEach(([text, label, context], i) => {
  if (text !== beforeRows[i][0]) throw new Error(`row ${i + 1}: text changed`);
  if ((beforeRows[i][1] === 'ok') !== (label === 'ok')) throw new Error(`row ${i + 1}: ok/ng split changed`);
  if (!LABELS.has(label) || !CONTEXTS.has(context)) throw new Error(`row ${i + 1}: bad label/context`);
});
writeFileSync(csvFile, written);

const count = (key) => afterRows.reduce((m, r) => m.set(r[key], (m.get(r[key]) ?? 0) + 1), new Map());
console.log(`${csvFile}: ${afterRows.length} rows rewritten; texts and ok/ng split unchanged`);
console.log('labels:', Object.fromEntries(count(1)));
console.log('contexts:', Object.fromEntries(count(2)));
