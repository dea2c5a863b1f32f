#!/usr/bin/env node
// Rebuilds the shipped moderation model: `npm run model:train` (builds first).
// Trains on the `default` data set (the hand-written Japanese posts in data/
// plus the generated contact evasions and counted-number posts, see
// data/README.md) with a fixed seed, then gates it like the build does: the new model replaces
// models/default only if it is not worse than the current one on the current
// one's held-out set; the replaced model becomes models/baseline, which the
// build's `mod model check --candidate models/default --baseline models/baseline`
// compares against. --force ships a worse model anyway (say why in the commit).
import { cp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareModels, heldOutSplit, loadData, readLabelledFile, readModelArtifact, trainModel, writeModelArtifact } from '../dist/moderation/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const models = path.join(root, 'models');
const current = path.join(models, 'default');
const baseline = path.join(models, 'baseline');
const candidateDir = path.join(models, '.candidate');
const checkSet = path.join(root, 'data', 'ja-check.csv');
const force = process.argv.includes('--force');
const tolerance = 0.01;

const exists = (p) =>
  stat(p).then(
    () => true,
    () => false,
  );
const pct = (x) => `${(x * 100).toFixed(2)}%`;

const data = await loadData('default', root);
console.error(`training on ${data.examples.length} examples (${data.sources.map((s) => `${s.source}: ${s.examples}`).join(', ')})`);
const trained = trainModel(data.examples, data.spec, { seed: 42 });
const manifest = await writeModelArtifact(candidateDir, trained);
const m = trained.metrics;
const d = trained.decisions;
console.log(
  `candidate ${manifest.version}: ROC-AUC ${m.rocAuc.toFixed(4)} on ${m.examples} held-out examples; whole decision: ordinary approved ${pct(d.okDecisions.approve)}, rejected ${pct(d.okDecisions.reject)}; NG approved ${pct(d.ngDecisions.approve)}, rejected ${pct(d.ngDecisions.reject)}; category named ${pct(d.categoryNamedCorrectly)}; review rate ${pct(d.reviewRate)}`,
);

if (await exists(current)) {
  const shipped = await readModelArtifact(current);
  const candidate = await readModelArtifact(candidateDir);
  // The shipped model's held-out split can be rebuilt only from the data it
  // was trained on; once the data changed, a split of today's data holds
  // examples it trained on and flatters it. Then both are compared on the
  // hand-written check set, which neither model trains on.
  const sameData = shipped.manifest.training.fingerprint === manifest.training.fingerprint;
  const gateData = sameData ? heldOutSplit((await loadData(shipped.manifest.training.data, root)).examples, shipped.manifest.training.seed, shipped.manifest.training.testFraction) : await readLabelledFile(checkSet);
  const gateSource = sameData ? 'held-out split of the shipped model' : `${path.relative(root, checkSet)} (the data changed since the shipped model was trained)`;
  console.log(`comparing on ${gateSource}`);
  const gate = compareModels(candidate, shipped, gateData, gateSource, tolerance);
  for (const row of gate.rows) console.log(`  ${row.metric.padEnd(18)} shipped ${row.baseline.toFixed(4)}  candidate ${row.candidate.toFixed(4)}  ${row.worse ? 'WORSE' : 'ok'}`);
  if (!gate.passed && !force) {
    console.error(`the candidate is worse than the shipped model ${shipped.manifest.version}; it stays in ${path.relative(root, candidateDir)} (run with --force to ship it anyway)`);
    process.exit(1);
  }
  await rm(baseline, { recursive: true, force: true });
  await cp(current, baseline, { recursive: true });
} else {
  // The first model is its own baseline.
  await rm(baseline, { recursive: true, force: true });
  await cp(candidateDir, baseline, { recursive: true });
}
await rm(current, { recursive: true, force: true });
await cp(candidateDir, current, { recursive: true });
await rm(candidateDir, { recursive: true, force: true });
console.log(`shipped ${manifest.version} in models/default (previous model in models/baseline)`);
