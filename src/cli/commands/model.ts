// mod model train | eval | check: build a model artifact from labelled data,
// measure one, and the quality gate the build runs so a worse model never ships.
import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';
import { globalOptions, runCommand } from '../context.js';
import type { CommandRegistration } from '../main.js';
import type { Output } from '../output/output.js';
import type { ClassifierMetrics } from '../../moderation/metrics.js';
import type { GateResult } from '../../moderation/evaluation.js';

export interface TrainCommandOptions {
  data: string;
  out: string;
  name?: string;
  seed: string;
  bits?: string;
  epochs?: string;
  testFraction: string;
  approveRecall: string;
  rejectPrecision: string;
}

export interface EvalCommandOptions {
  model?: string;
  data?: string;
  heldOut?: boolean;
}

export interface CheckCommandOptions {
  candidate: string;
  baseline: string;
  data?: string;
  tolerance: string;
}

const DATA_HELP = 'a CSV (text,label) or JSONL ({"text","label"}) file, label ok|ng, or a data set: ja, sms, sms-full, enron, spamassassin, default (ja+sms); join with +';

export const registerModel: CommandRegistration = (program, context, setExit) => {
  const model = program.command('model').description('train, evaluate and gate the moderation classifier');
  const run = (command: Command, body: (globals: GlobalOptions, output: Output) => Promise<number>) => async () => {
    const globals = globalOptions(command);
    setExit(await runCommand(globals, context, (output) => body(globals, output)));
  };

  const train = model
    .command('train')
    .description('train a model artifact (held-out metrics, calibrated thresholds, checksum)')
    .requiredOption('-d, --data <file|dataset>', DATA_HELP)
    .requiredOption('-o, --out <dir>', 'parent directory for the artifact (e.g. models/)')
    .option('--name <name>', 'artifact directory name (default: the model version)')
    .option('--seed <n>', 'seed for the split, folds and training', '42')
    .option('--bits <n>', 'log2 of the hashed feature space (10-24)')
    .option('--epochs <n>', 'training epochs')
    .option('--test-fraction <x>', 'share held out for the reported metrics', '0.2')
    .option('--approve-recall <x>', 'target NG recall of what is not auto-approved', '0.99')
    .option('--reject-precision <x>', 'target precision of what is auto-rejected', '0.99');
  train.action(run(train, (globals, output) => runTrain(train.opts<TrainCommandOptions>(), globals, output)));

  const evaluate = model
    .command('eval')
    .description('precision, recall, F1, ROC-AUC, thresholds, review rate and confusion matrix on labelled data')
    .option('-m, --model <dir>', 'model artifact directory (default: the shipped models/default)')
    .option('-d, --data <file|dataset>', `${DATA_HELP} (default: the data the model was trained on, held-out split)`)
    .option('--held-out', 'evaluate only the held-out split the model was measured on (same seed and fraction)');
  evaluate.action(run(evaluate, (globals, output) => runEval(evaluate.opts<EvalCommandOptions>(), globals, output)));

  const check = model
    .command('check')
    .description('exit 1 when the candidate is worse than the baseline beyond the tolerance on the held-out set')
    .requiredOption('-c, --candidate <dir>', 'the model artifact to ship')
    .requiredOption('-b, --baseline <dir>', 'the model artifact it must not be worse than')
    .option('-d, --data <file|dataset>', `${DATA_HELP} (default: the held-out split of the baseline's training data)`)
    .option('-t, --tolerance <x>', 'how much worse (absolute, 0.01 = one point) each metric may be', '0.01');
  check.action(run(check, (globals, output) => runCheck(check.opts<CheckCommandOptions>(), globals, output)));
};

async function number(value: string | undefined, flag: string, check: (x: number) => boolean, expected: string): Promise<number | undefined> {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isFinite(x) || !check(x)) {
    const { UsageError } = await import('../../errors.js');
    throw new UsageError(`${flag} must be ${expected}, got ${value}`);
  }
  return x;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');
const fixed = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
const nullable = (x: number): number | null => (Number.isFinite(x) ? x : null);

function metricsText(m: ClassifierMetrics, thresholds: { approveBelow: number; rejectAbove: number }): string {
  const c = m.confusion;
  return [
    `  examples      ${m.examples}`,
    `  precision     ${fixed(m.precision)}   recall ${fixed(m.recall)}   F1 ${fixed(m.f1)}   (NG, score >= 0.5)`,
    `  ROC-AUC       ${fixed(m.rocAuc)}`,
    `  thresholds    approve below ${fixed(thresholds.approveBelow)}, reject above ${fixed(thresholds.rejectAbove)}`,
    `  decisions     approve ${pct(m.approveRate)}, review ${pct(m.reviewRate)}, reject ${pct(m.rejectRate)}`,
    `                NG not auto-approved ${pct(m.ngRecallAtApprove)}, auto-reject precision ${pct(m.precisionAtReject)}`,
    '  confusion     predicted NG   predicted OK',
    `    actual NG   ${String(c.truePositive).padStart(12)}   ${String(c.falseNegative).padStart(12)}`,
    `    actual OK   ${String(c.falsePositive).padStart(12)}   ${String(c.trueNegative).padStart(12)}`,
  ].join('\n');
}

function metricsJson(m: ClassifierMetrics, thresholds: { approveBelow: number; rejectAbove: number }) {
  return {
    precision: m.precision,
    recall: m.recall,
    f1: m.f1,
    rocAuc: nullable(m.rocAuc),
    reviewRate: m.reviewRate,
    thresholds: { approveBelow: thresholds.approveBelow, rejectAbove: thresholds.rejectAbove },
    examples: m.examples,
    approveRate: m.approveRate,
    rejectRate: m.rejectRate,
    ngRecallAtApprove: m.ngRecallAtApprove,
    precisionAtReject: m.precisionAtReject,
    confusion: m.confusion,
  };
}

export async function runTrain(options: TrainCommandOptions, globals: GlobalOptions, output: Output): Promise<number> {
  const path = await import('node:path');
  const { loadData } = await import('../../moderation/datasets.js');
  const { trainModel } = await import('../../moderation/training.js');
  const { writeModelArtifact } = await import('../../moderation/model-artifact.js');
  const { UsageError } = await import('../../errors.js');

  const seed = await number(options.seed, '--seed', (x) => Number.isInteger(x) && x >= 0, 'a whole number >= 0');
  const bits = await number(options.bits, '--bits', (x) => Number.isInteger(x) && x >= 10 && x <= 24, 'a whole number from 10 to 24');
  const epochs = await number(options.epochs, '--epochs', (x) => Number.isInteger(x) && x >= 1 && x <= 200, 'a whole number from 1 to 200');
  const testFraction = await number(options.testFraction, '--test-fraction', (x) => x > 0 && x < 0.9, 'between 0 and 0.9');
  const approveNgRecall = await number(options.approveRecall, '--approve-recall', (x) => x > 0 && x <= 1, 'between 0 and 1');
  const rejectPrecision = await number(options.rejectPrecision, '--reject-precision', (x) => x > 0 && x <= 1, 'between 0 and 1');
  if (options.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(options.name)) throw new UsageError(`--name must be a plain directory name, got ${options.name}`);

  const cwd = globals.cwd ?? process.cwd();
  output.info(`loading ${options.data}`);
  const data = await loadData(options.data, cwd);
  output.info(`training on ${data.examples.length} examples (${data.sources.map((s) => `${s.source}: ${s.examples}`).join(', ')})`);
  const trained = trainModel(data.examples, data.spec, {
    seed,
    testFraction,
    features: bits === undefined ? {} : { bits },
    training: epochs === undefined ? {} : { epochs },
    targets: { ...(approveNgRecall === undefined ? {} : { approveNgRecall }), ...(rejectPrecision === undefined ? {} : { rejectPrecision }) },
  });
  const { packModel } = await import('../../moderation/model-artifact.js');
  const created = new Date();
  const version = packModel(trained, created).manifest.version;
  const dir = path.resolve(cwd, options.out, options.name ?? version);
  const manifest = await writeModelArtifact(dir, trained, created);
  const m = trained.metrics;
  const json = {
    schemaVersion: 1,
    path: dir,
    version: manifest.version,
    training: manifest.training,
    ...metricsJson(m, trained.thresholds),
  };
  output.result(json, () =>
    [
      `trained model ${manifest.version} -> ${dir}`,
      `  data          ${data.spec}: ${trained.summary.examples} unique examples (${trained.summary.ok} ok, ${trained.summary.ng} ng; ${trained.summary.duplicatesRemoved} duplicates removed), ${trained.summary.seconds.toFixed(1)}s`,
      `  held-out set  ${trained.summary.heldOutExamples} examples (seed ${trained.summary.seed})`,
      metricsText(m, trained.thresholds),
    ].join('\n'),
  );
  return 0;
}

/**
 * The data a command evaluates on: --data, or the held-out split of the
 * model's own training data. `stale` when that data changed since the model
 * was trained: today's split then holds examples the model trained on, and
 * flatters it.
 */
async function evaluationData(spec: string | undefined, heldOut: boolean, manifest: import('../../moderation/model-artifact.js').ModelManifest, cwd: string) {
  const { loadData } = await import('../../moderation/datasets.js');
  const { heldOutSplit } = await import('../../moderation/training.js');
  const { dedupe, fingerprint } = await import('../../moderation/splits.js');
  const data = await loadData(spec ?? manifest.training.data, cwd);
  if (spec !== undefined && !heldOut) return { description: data.spec, examples: data.examples, stale: false };
  const examples = heldOutSplit(data.examples, manifest.training.seed, manifest.training.testFraction);
  const stale = spec === undefined && fingerprint(dedupe(data.examples).examples) !== manifest.training.fingerprint;
  return { description: `${data.spec} (held-out split, seed ${manifest.training.seed})`, examples, stale };
}

const STALE_SPLIT = (version: string, data: string) => `the ${data} data changed since model ${version} was trained, so its held-out split cannot be rebuilt: a split of today's data holds examples it trained on`;
const STALE_HINT = 'pass --data with examples neither model trained on, e.g. --data data/ja-check.csv (the hand-written check set)';

export async function runEval(options: EvalCommandOptions, globals: GlobalOptions, output: Output): Promise<number> {
  const path = await import('node:path');
  const { readModelArtifact } = await import('../../moderation/model-artifact.js');
  const { evaluateModel } = await import('../../moderation/evaluation.js');
  const { defaultModelPath } = await import('../../moderation/index.js');
  const cwd = globals.cwd ?? process.cwd();
  const model = await readModelArtifact(options.model ? path.resolve(cwd, options.model) : defaultModelPath);
  const data = await evaluationData(options.data, options.heldOut === true || options.data === undefined, model.manifest, cwd);
  if (data.stale) output.warn(`${STALE_SPLIT(model.manifest.version, model.manifest.training.data)}; the figures below flatter the model (${STALE_HINT})`);
  const evaluation = evaluateModel(model, data.examples, data.description);
  output.result({ schemaVersion: 1, modelVersion: evaluation.modelVersion, data: data.description, ...metricsJson(evaluation.metrics, evaluation.thresholds) }, () =>
    [`model ${evaluation.modelVersion} on ${data.description}`, metricsText(evaluation.metrics, evaluation.thresholds)].join('\n'),
  );
  return 0;
}

function gateTable(result: GateResult): string {
  const rows = [['metric', 'baseline', 'candidate', 'delta', ''], ...result.rows.map((r) => [r.metric, fixed(r.baseline), fixed(r.candidate), `${r.delta >= 0 ? '+' : ''}${fixed(r.delta)}`, r.worse ? 'WORSE' : 'ok'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd()).join('\n');
}

export async function runCheck(options: CheckCommandOptions, globals: GlobalOptions, output: Output): Promise<number> {
  const path = await import('node:path');
  const { readModelArtifact } = await import('../../moderation/model-artifact.js');
  const { compareModels } = await import('../../moderation/evaluation.js');
  const tolerance = (await number(options.tolerance, '--tolerance', (x) => x >= 0 && x < 1, 'between 0 and 1')) as number;
  const cwd = globals.cwd ?? process.cwd();
  const candidate = await readModelArtifact(path.resolve(cwd, options.candidate));
  const baseline = await readModelArtifact(path.resolve(cwd, options.baseline));
  const data = await evaluationData(options.data, options.data === undefined, baseline.manifest, cwd);
  if (data.stale) {
    output.error(STALE_SPLIT(baseline.manifest.version, baseline.manifest.training.data), STALE_HINT);
    return 2;
  }
  const result = compareModels(candidate, baseline, data.examples, data.description, tolerance);
  const row = (e: GateResult['baseline']) => ({ version: e.modelVersion, ...metricsJson(e.metrics, e.thresholds) });
  output.result(
    {
      schemaVersion: 1,
      passed: result.passed,
      tolerance,
      data: data.description,
      examples: result.examples,
      baseline: row(result.baseline),
      candidate: row(result.candidate),
      comparison: result.rows.map((r) => ({ metric: r.metric, baseline: nullable(r.baseline), candidate: nullable(r.candidate), delta: nullable(r.delta), worse: r.worse })),
    },
    () =>
      [
        `candidate ${result.candidate.modelVersion} vs baseline ${result.baseline.modelVersion} on ${data.description} (${result.examples} examples, tolerance ${tolerance})`,
        gateTable(result),
        result.passed ? 'PASS: the candidate is not worse than the baseline' : `FAIL: the candidate is worse on ${result.rows.filter((r) => r.worse).map((r) => r.metric).join(', ')}`,
      ].join('\n'),
  );
  if (!result.passed) output.error('the candidate model is worse than the baseline', 'do not ship it: improve the data or settings and train again');
  return result.passed ? 0 : 1;
}
