// Decision benchmark: what the service would decide (contact rules + the
// model's score + its thresholds, i.e. Moderator.moderate) for the
// hand-written check set data/ja-check.csv, which no model is trained on.
// The shipped model (models/default) against the model it replaced
// (models/baseline), in the same run: how much ordinary chat goes to human
// review (the cost the service exists to cut) and how much abuse gets through.
//   npm run bench -- decisions      (BENCH_CHECK_DATA=<csv> for another set)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Moderator, readLabelledFile } from '../dist/moderation/index.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = process.env.BENCH_CHECK_DATA ?? path.join(root, 'data', 'ja-check.csv');
const examples = await readLabelledFile(file);
const pct = (n, d) => `${((100 * n) / Math.max(d, 1)).toFixed(1)}%`.padStart(6);

console.log(`check set ${path.relative(root, file)}: ${examples.filter((e) => e.label === 'ok').length} ok, ${examples.filter((e) => e.label === 'ng').length} ng`);
console.log(`${'model'.padEnd(28)} ${'ok: approve'.padStart(12)} ${'review'.padStart(7)} ${'reject'.padStart(7)}   ${'ng: approve (missed)'.padStart(20)} ${'review'.padStart(7)} ${'reject'.padStart(7)}`);
const rows = [];
for (const name of ['baseline', 'default']) {
  const moderator = await Moderator.load(path.join(root, 'models', name));
  const count = { ok: { approve: 0, review: 0, reject: 0 }, ng: { approve: 0, review: 0, reject: 0 } };
  const reviewedOk = [];
  for (const e of examples) {
    const { decision } = moderator.moderate({ text: e.text });
    count[e.label][decision]++;
    if (e.label === 'ok' && decision !== 'approve') reviewedOk.push(e.text);
  }
  const ok = examples.filter((e) => e.label === 'ok').length;
  const ng = examples.length - ok;
  rows.push({ name, count, ok, ng });
  console.log(
    `${`${name} ${moderator.modelVersion}`.padEnd(28)} ${pct(count.ok.approve, ok).padStart(12)} ${pct(count.ok.review, ok)} ${pct(count.ok.reject, ok)}   ${pct(count.ng.approve, ng).padStart(20)} ${pct(count.ng.review, ng)} ${pct(count.ng.reject, ng)}`,
  );
  if (process.env.BENCH_VERBOSE) console.log(`  ok texts not approved: ${reviewedOk.join(' | ')}`);
}
const [base, cur] = rows;
console.log(`ordinary chat sent to a human: ${pct(base.ok - base.count.ok.approve, base.ok).trim()} -> ${pct(cur.ok - cur.count.ok.approve, cur.ok).trim()}; abuse auto-approved: ${pct(base.count.ng.approve, base.ng).trim()} -> ${pct(cur.count.ng.approve, cur.ng).trim()}`);
