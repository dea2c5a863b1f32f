// Morphological analysis against character n-grams alone (issue 10): the
// same data, split, training and end-to-end threshold procedure, with the
// word features taken from
//   - runs of one script (ours: no dictionary, the shipped default),
//   - kuromoji's morphemes (IPAdic, the npm package kuromoji), with the char n-grams,
//   - kuromoji's morphemes alone (no char n-grams);
// measured on data/ja-check.csv (posts no model trains on): ordinary posts
// approved, NG approved, NG rejected, category named, and the ordinary share
// approved at the cut that approves 1% / 2% of NG on that set (an oracle that
// compares rankings without the threshold's noise), plus scoring cost per text.
//   npm run bench -- tokenizer
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { classOf, dedupe, decideWithPolicy, decisionReport, defaultFeatureSettings, defaultTrainingSettings, fitClassifier, loadData, normalise, normaliseText, readLabelledFile, runRules, stratifiedSplit, uniformPolicy } from '../dist/moderation/index.js';

const require = createRequire(import.meta.url);
const kuromoji = require('kuromoji');
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const pct = (x) => `${(100 * x).toFixed(1)}%`.padStart(6);

const t0 = performance.now();
const tokenizer = await promisify((cb) => kuromoji.builder({ dicPath: path.join(path.dirname(require.resolve('kuromoji/package.json')), 'dict') }).build(cb))();
console.log(`kuromoji dictionary loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const { examples } = dedupe((await loadData('default', root)).examples);
const { train } = stratifiedSplit(examples, 0.2, 42);
const check = await readLabelledFile(path.join(root, 'data', 'ja-check.csv'));

// Morphemes of the ORIGINAL text (the analyser's dictionary has katakana and
// kanji, not our folded hiragana), each normalised like the rest; looked up by
// the normalised text the featurizer is given.
const morphemes = new Map();
const analyse = (text) =>
  tokenizer
    .tokenize(text)
    .map((t) => normaliseText(t.basic_form && t.basic_form !== '*' ? t.basic_form : t.surface_form))
    .filter((w) => w.trim() !== '');
for (const e of [...train, ...check]) morphemes.set(normaliseText(e.text), analyse(e.text));
const words = (normalised) => morphemes.get(normalised) ?? analyse(normalised);

const variants = [
  { name: 'char n-grams + script runs (ours)', features: defaultFeatureSettings },
  { name: 'char n-grams + kuromoji morphemes', features: defaultFeatureSettings, words },
  { name: 'kuromoji morphemes only', features: { ...defaultFeatureSettings, charNgramMin: 0, charNgramMax: 0 }, words },
];
console.log(`${'features'.padEnd(36)} ${'ok approved'.padStart(11)} ${'NG approved'.padStart(11)} ${'NG rejected'.padStart(11)} ${'named'.padStart(6)} ${'ok@NG1%'.padStart(8)} ${'ok@NG2%'.padStart(8)} ${'µs/text'.padStart(8)}`);
const rows = [];
for (const v of variants) {
  const fitted = fitClassifier(train, { features: v.features, training: defaultTrainingSettings, folds: 5, seed: 42, words: v.words });
  const t = fitted.thresholds;
  const policy = uniformPolicy(t.approveBelow, t.rejectAbove, t.categories);
  const scored = check.map((e) => {
    const n = normalise(e.text, { offsets: true });
    const rules = runRules(n);
    const s = fitted.classifier.scores(n.text, rules.ruleCodes);
    const d = decideWithPolicy(s.score, s.categories, rules.verdicts, policy);
    return { e, score: s.score, ruled: rules.verdicts.length > 0, decision: d.decision, category: d.decision === 'approve' ? null : d.category };
  });
  const r = decisionReport(scored.map((x) => ({ trueClass: classOf(x.e), decision: x.decision, category: x.category })));
  const ngLow = scored
    .filter((x) => x.e.label === 'ng' && !x.ruled)
    .map((x) => x.score)
    .sort((a, b) => a - b);
  const nNg = scored.filter((x) => x.e.label === 'ng').length;
  const oks = scored.filter((x) => x.e.label === 'ok');
  const okAt = (share) => {
    const cut = ngLow[Math.floor(nNg * share)] ?? 1;
    return oks.filter((x) => !x.ruled && x.score < cut).length / oks.length;
  };
  // Scoring cost on the check texts: normalise + featurise + score, plus the
  // morphological analysis when the variant uses it (the featurizer's lookup
  // is cached, so the analysis is run here, once per text, as a service would).
  const texts = check.map((e) => e.text);
  const reps = 20;
  const start = performance.now();
  let sink = 0;
  for (let i = 0; i < reps; i++) {
    for (const text of texts) {
      if (v.words) sink += analyse(text).length;
      sink += fitted.classifier.score(normaliseText(text));
    }
  }
  const micros = ((performance.now() - start) * 1000) / (reps * texts.length);
  if (Number.isNaN(sink)) throw new Error('unreachable');
  rows.push({ name: v.name, report: r, okAt1: okAt(0.01), okAt2: okAt(0.02), micros });
  console.log(
    `${v.name.padEnd(36)} ${pct(r.okDecisions.approve).padStart(11)} ${pct(r.ngDecisions.approve).padStart(11)} ${pct(r.ngDecisions.reject).padStart(11)} ${pct(r.categoryNamedCorrectly)} ${pct(okAt(0.01)).padStart(8)} ${pct(okAt(0.02)).padStart(8)} ${micros.toFixed(1).padStart(8)}`,
  );
}
const [ours, withMorphemes] = rows;
console.log(`kuromoji morphemes vs ours: ordinary approved ${pct(withMorphemes.report.okDecisions.approve).trim()} vs ${pct(ours.report.okDecisions.approve).trim()}, scoring cost x${(withMorphemes.micros / ours.micros).toFixed(1)}`);
