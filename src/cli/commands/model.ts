// mod model train | eval | check: build a model artifact from labelled data,
// measure one, and the quality gate the build runs so a worse model never ships.
// Which data eval and check use is src/moderation/evaluation-data.ts; the
// reports are src/cli/format/model-report.ts.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import type { LabelledText } from '../../moderation/labelled-data.js';
import type { TrainingLabelsRecord } from '../../moderation/model-artifact.js';
import type { ModeratorLabel } from '../../moderation/training-labels.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { integerInRange, numberBetween } from '../flag-parsers.js';
import { registerShadowReport } from './model-shadow-report.js';
import { registerModelRelease } from './model-release.js';
import type { Output } from '../output/output.js';

export interface TrainCommandOptions {
  /** Required without --from-db; with it, default `default`. */
  data?: string;
  /** Merge the moderators' labels of --env's database into the data (issue 13). */
  fromDb?: boolean;
  env?: string;
  out: string;
  name?: string;
  /** Replace an artifact directory that is already there. */
  force?: boolean;
  seed: string;
  bits?: string;
  epochs?: string;
  testFraction: string;
  approveRecall: string;
  rejectPrecision: string;
  maxOkRejected: string;
}

export interface EvalCommandOptions {
  model?: string;
  data?: string;
  heldOut?: boolean;
  policy?: string;
  /** Moderators' agreement on second opinions in --env's database, instead of a model's figures. */
  agreement?: boolean;
  env?: string;
}

export interface CheckCommandOptions {
  candidate: string;
  baseline: string;
  data?: string;
  tolerance: string;
}

const DATA_HELP =
  'a CSV (text,label[,category,context]) or JSONL ({"text","label"}) file, label ok, a category (contact, solicitation, scam, abuse, spam, offplatform_payment, minor) or ng, or a data set: ja, ja-generated, sms, sms-full, enron, spamassassin, default (ja+ja-generated); join with +';

export const registerModel: CommandRegistration = (program, context, setExit) => {
  const model = program.command('model').description('train, evaluate and gate the moderation classifier');

  model
    .command('train')
    .description('train a model artifact (held-out metrics, calibrated thresholds, checksum)')
    .option('-d, --data <file|dataset>', `${DATA_HELP} (required without --from-db; with it, default: default)`)
    .option('--from-db', "merge the moderators' labels from --env's database into the data (a moderator's label beats the data's for the same text)")
    .option('-e, --env <name>', 'the environment whose database --from-db reads')
    .requiredOption('-o, --out <dir>', 'parent directory for the artifact (e.g. models/)')
    .option('--name <name>', 'artifact directory name (default: the model version)')
    .option('--force', 'replace the artifact directory if it is already there (refused otherwise)')
    .option('--seed <n>', 'seed for the split, folds and training', '42')
    .option('--bits <n>', 'log2 of the hashed feature space (10-24)')
    .option('--epochs <n>', 'training epochs')
    .option('--test-fraction <x>', 'share held out for the reported metrics', '0.2')
    .option('--approve-recall <x>', 'share of NG the whole decision must not auto-approve (on out-of-fold scores)', '0.99')
    .option('--max-ok-rejected <x>', 'share of ordinary posts the whole decision may auto-reject (on out-of-fold scores)', '0.005')
    .option('--reject-precision <x>', "least share of NG in what a category's reject threshold rejects (on out-of-fold scores)", '0.95')
    .action(commandAction<TrainCommandOptions>(context, setExit, ({ options, globals }, output) => runTrain(options, globals, output, context)));

  model
    .command('eval')
    .description('precision, recall, F1, ROC-AUC, thresholds, review rate and confusion matrix on labelled data')
    .option('-m, --model <dir>', 'model artifact directory (default: the shipped models/default)')
    .option('-d, --data <file|dataset>', `${DATA_HELP} (default: the data the model was trained on, held-out split)`)
    .option('--held-out', 'evaluate only the held-out split the model was measured on (same seed and fraction)')
    .option('--policy <file>', "a decision-policy file (actions and thresholds per category) over the model's own")
    .option('--agreement', "instead: how often two moderators agreed on the posts both labelled (observed agreement, Cohen's kappa, conflicts) in --env's database")
    .option('-e, --env <name>', 'the environment whose database --agreement reads')
    .action(commandAction<EvalCommandOptions>(context, setExit, ({ options, globals }, output) => (options.agreement || options.env !== undefined ? runAgreement(options, globals, context, output) : runEval(options, globals, output))));

  model
    .command('check')
    .description('exit 1 when the candidate is worse than the baseline beyond the tolerance on the held-out set')
    .requiredOption('-c, --candidate <dir>', 'the model artifact to ship')
    .requiredOption('-b, --baseline <dir>', 'the model artifact it must not be worse than')
    .option('-d, --data <file|dataset>', `${DATA_HELP} (default: the held-out split of the baseline's training data)`)
    .option('-t, --tolerance <x>', 'how much worse (absolute, 0.01 = one point) each metric may be', '0.01')
    .action(commandAction<CheckCommandOptions>(context, setExit, ({ options, globals }, output) => runCheck(options, globals, output)));

  registerShadowReport(model, context, setExit);
  registerModelRelease(model, context, setExit);
};

export async function runTrain(options: TrainCommandOptions, globals: GlobalOptions, output: Output, context?: CliContext): Promise<number> {
  const path = await import('node:path');
  const { loadData } = await import('../../moderation/datasets.js');
  const { trainModel } = await import('../../moderation/training.js');
  const { packModel, writeModelArtifact } = await import('../../moderation/model-artifact.js');
  const { UsageError } = await import('../../errors.js');
  const { trainJson, trainText } = await import('../format/model-report.js');

  const seed = integerInRange(options.seed, '--seed', { min: 0 });
  const bits = integerInRange(options.bits, '--bits', { min: 10, max: 24 });
  const epochs = integerInRange(options.epochs, '--epochs', { min: 1, max: 200 });
  const testFraction = numberBetween(options.testFraction, '--test-fraction', { above: 0, below: 0.9 });
  const approveNgRecall = numberBetween(options.approveRecall, '--approve-recall', { above: 0, atMost: 1 });
  const minRejectPrecision = numberBetween(options.rejectPrecision, '--reject-precision', { above: 0, atMost: 1 });
  const maxOkRejected = numberBetween(options.maxOkRejected, '--max-ok-rejected', { atLeast: 0, below: 1 });
  if (options.name !== undefined && !/^[A-Za-z0-9._-]+$/.test(options.name)) throw new UsageError(`--name must be a plain directory name, got ${options.name}`);
  if (!options.fromDb && options.data === undefined) throw new UsageError('--data is required', "pass a CSV/JSONL file or a data set (e.g. --data default), or --from-db --env <name> to train on the moderators' labels too");
  if (!options.fromDb && options.env !== undefined) throw new UsageError('--env is only used with --from-db', "add --from-db to merge that environment's labels, or drop --env");
  if (options.fromDb && options.env === undefined) throw new UsageError('--from-db needs --env <name>: the environment whose database holds the labels');

  const cwd = globals.cwd ?? process.cwd();
  const dataSpec = options.data ?? 'default';
  // Nothing is trained over an artifact already there unless asked: a typo'd --name would lose a model.
  const named = options.name === undefined ? undefined : path.resolve(cwd, options.out, options.name);
  if (named && !options.force && (await pathExists(named))) throw new UsageError(`${named} already exists: --name ${options.name} would overwrite the model there`, 'pass another --name, or --force to replace it');
  // The database first: a wrong or unreachable environment fails before the data set is loaded.
  const labels = options.fromDb ? await readDatabaseLabels(options.env as string, globals, context, output) : undefined;
  output.info(`loading ${dataSpec}`);
  const data = await loadData(dataSpec, cwd);
  await refuseCheckSet(data.examples, dataSpec);
  const fromDb = labels ? await mergeDatabaseLabels(labels, data.examples, output) : undefined;
  const examples = fromDb?.examples ?? data.examples;
  const spec = fromDb ? `${data.spec}+db:${fromDb.record.environment}` : data.spec;
  const sources = [...data.sources, ...(fromDb ? [{ source: `db:${fromDb.record.environment}`, examples: fromDb.record.count }] : [])];
  output.info(`training on ${examples.length} examples (${sources.map((s) => `${s.source}: ${s.examples}`).join(', ')})`);
  const trained = trainModel(examples, spec, {
    seed,
    testFraction,
    features: bits === undefined ? {} : { bits },
    training: epochs === undefined ? {} : { epochs },
    // The thresholds are chosen for the whole decision (decision-thresholds.ts): NG recall of what is not
    // auto-approved r caps the share of NG auto-approved at 1 - r (rounded: 1 - 0.99 is not 0.01 in
    // floating point).
    targets: {
      ...(approveNgRecall === undefined ? {} : { maxNgApproved: Math.round((1 - approveNgRecall) * 1e12) / 1e12 }),
      ...(maxOkRejected === undefined ? {} : { maxOkRejected }),
      ...(minRejectPrecision === undefined ? {} : { minRejectPrecision }),
    },
  });
  const created = new Date();
  const version = packModel(trained, created).manifest.version;
  const dir = named ?? path.resolve(cwd, options.out, version);
  if (!options.force && (await pathExists(dir))) throw new UsageError(`${dir} already exists: training would overwrite the model there`, 'pass --name <another>, or --force to replace it');
  const manifest = await writeModelArtifact(dir, trained, created, fromDb ? { labels: fromDb.record } : {});
  output.result(trainJson(dir, manifest, trained), () => trainText(dir, manifest, spec, trained));
  return 0;
}

async function pathExists(file: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  return (await stat(file).catch(() => undefined)) !== undefined;
}

/**
 * Refuses training data holding texts of the model gate's check set
 * (data/ja-check.csv, by normalised text, copies included): a model trained
 * on them would be judged on posts it learnt by heart.
 */
async function refuseCheckSet(examples: readonly LabelledText[], spec: string): Promise<void> {
  const { loadData, packageRoot } = await import('../../moderation/datasets.js');
  const { normaliseText } = await import('../../moderation/normalise.js');
  const { CHECK_SET } = await import('../../delivery/model/model-gate.js');
  const { UsageError } = await import('../../errors.js');
  const key = (text: string) => normaliseText(text).trim();
  const checkKeys = new Set((await loadData(CHECK_SET, packageRoot)).examples.map((e) => key(e.text)));
  const overlap = examples.filter((e) => checkKeys.has(key(e.text))).length;
  if (overlap === 0) return;
  throw new UsageError(
    `--data ${spec} holds ${overlap} text${overlap === 1 ? '' : 's'} of ${CHECK_SET}, the check set the model gate judges every model release on: a model trained on it would pass the gate by heart`,
    `train on data without them (e.g. --data default, or --from-db --env <name>, which leaves check-set labels out); ${CHECK_SET} is for mod model check and the release gate`,
  );
}

/** --from-db: the env's moderators' labels (conflicting reviews left out and counted). */
async function readDatabaseLabels(envName: string, globals: GlobalOptions, context: CliContext | undefined, output: Output) {
  const { openEnvDatabase } = await import('./env-database.js');
  const { readModeratorLabels } = await import('../../store/label-reader.js');
  if (!context) throw new Error('--from-db needs the CLI context');
  const db = await openEnvDatabase(envName, globals, context);
  try {
    output.info(`reading the moderators' labels from the database of ${db.environment}`);
    return { environment: db.environment, ...(await db.read("the moderators' labels", (client) => readModeratorLabels(client))) };
  } finally {
    await db.close();
  }
}

/**
 * The labels merged with the repo data (training-labels.ts), and the manifest's record of them. Labels of
 * texts in the model gate's check set are left out: the gate would judge the model on posts it trained on.
 */
async function mergeDatabaseLabels(read: { environment: string; labels: ModeratorLabel[]; conflictsExcluded: number }, repo: LabelledText[], output: Output) {
  const { mergeLabels } = await import('../../moderation/training-labels.js');
  const { loadData, packageRoot } = await import('../../moderation/datasets.js');
  const { CHECK_SET } = await import('../../delivery/model/model-gate.js');
  const checkSet = read.labels.length === 0 ? [] : (await loadData(CHECK_SET, packageRoot)).examples;
  const merged = mergeLabels(repo, read.labels, { checkSet });
  const conflicts = `${read.conflictsExcluded} conflicting left out`;
  if (merged.checkSetExcluded > 0) {
    output.warn(`${merged.checkSetExcluded} moderators' labels of ${read.environment} left out: their texts are in ${CHECK_SET}, the check set the model gate judges on (a model must not train on the posts it is judged on)`);
  }
  if (merged.used === 0) {
    const why = merged.checkSetExcluded > 0 ? `every label it holds is of a check-set text, ${conflicts}` : conflicts;
    output.warn(`the database of ${read.environment} holds no moderators' labels to train on yet (${why}): training on the repository data alone`);
  } else {
    output.info(
      `${merged.used} moderators' labels from ${read.environment} (${read.labels.length} read, ${merged.superseded} superseded by a later decision, ${merged.checkSetExcluded} in the check set, ${conflicts}); ${merged.replacedRepoLabels} repository labels replaced`,
    );
  }
  const record: TrainingLabelsRecord = {
    source: 'database',
    environment: read.environment,
    count: merged.used,
    from: merged.from?.toISOString() ?? null,
    to: merged.to?.toISOString() ?? null,
    fingerprint: merged.fingerprint,
    conflictsExcluded: read.conflictsExcluded,
    checkSetExcluded: merged.checkSetExcluded,
    replacedRepoLabels: merged.replacedRepoLabels,
  };
  return { examples: merged.examples, record };
}

export async function runEval(options: EvalCommandOptions, globals: GlobalOptions, output: Output): Promise<number> {
  const path = await import('node:path');
  const { readModelArtifact } = await import('../../moderation/model-artifact.js');
  const { evaluateModel } = await import('../../moderation/evaluation.js');
  const { defaultModelPath } = await import('../../moderation/index.js');
  const { evalDataChoice, evalWarning, loadEvaluationData } = await import('../../moderation/evaluation-data.js');
  const { evalJson, evalText } = await import('../format/model-report.js');
  const cwd = globals.cwd ?? process.cwd();
  const model = await readModelArtifact(options.model ? path.resolve(cwd, options.model) : defaultModelPath);
  const data = await loadEvaluationData(evalDataChoice(options), model.manifest.training, cwd);
  const warning = evalWarning(data, model.manifest);
  if (warning) output.warn(`${warning.message}; the figures below flatter the model (${warning.hint})`);
  const policy = options.policy ? await (await import('../../moderation/load-moderator.js')).policyWithFile(model.manifest, path.resolve(cwd, options.policy)) : undefined;
  const evaluation = evaluateModel(model, data.examples, data.description, policy);
  output.result(evalJson(evaluation, data.description), () => evalText(evaluation, data.description));
  return 0;
}

/** mod model eval --agreement --env E: the moderators' agreement on second opinions, from the env's database. */
export async function runAgreement(options: EvalCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { UsageError } = await import('../../errors.js');
  if (!options.agreement) throw new UsageError('--env goes with --agreement (mod model eval --agreement --env <name>); a model is evaluated on files or data sets, not on an environment');
  if (options.env === undefined) throw new UsageError('--agreement needs --env <name>: the environment whose moderators are measured');
  const given = (['model', 'data', 'heldOut', 'policy'] as const).filter((k) => options[k] !== undefined);
  if (given.length > 0) throw new UsageError(`--agreement measures moderators, not a model: drop ${given.map((k) => `--${k === 'heldOut' ? 'held-out' : k}`).join(', ')}`);
  const { openEnvDatabase } = await import('./env-database.js');
  const { readSecondOpinionStats } = await import('../../store/second-opinion-stats.js');
  const { agreementOf } = await import('../../moderation/agreement.js');
  const { agreementJson, agreementText } = await import('../format/agreement-report.js');
  const db = await openEnvDatabase(options.env, globals, context);
  try {
    const stats = await db.read('the second opinions', (client) => readSecondOpinionStats(client));
    const report = { environment: db.environment, ...agreementOf(stats.pairs), conflicts: stats.conflicts };
    output.result(agreementJson(report), () => agreementText(report));
    return 0;
  } finally {
    await db.close();
  }
}

export async function runCheck(options: CheckCommandOptions, globals: GlobalOptions, output: Output): Promise<number> {
  const path = await import('node:path');
  const { readModelArtifact } = await import('../../moderation/model-artifact.js');
  const { compareModels } = await import('../../moderation/evaluation.js');
  const { CHECK_TOLERANCE_BOUNDS, checkDataChoice, checkRefusal, loadEvaluationData } = await import('../../moderation/evaluation-data.js');
  const { checkJson, checkText } = await import('../format/model-report.js');
  const tolerance = numberBetween(options.tolerance, '--tolerance', CHECK_TOLERANCE_BOUNDS);
  const cwd = globals.cwd ?? process.cwd();
  const candidate = await readModelArtifact(path.resolve(cwd, options.candidate));
  const baseline = await readModelArtifact(path.resolve(cwd, options.baseline));
  const data = await loadEvaluationData(checkDataChoice(options), baseline.manifest.training, cwd);
  const refusal = checkRefusal(data, baseline.manifest);
  if (refusal) {
    output.error(refusal.message, refusal.hint);
    return 2;
  }
  const result = compareModels(candidate, baseline, data.examples, data.description, tolerance);
  output.result(checkJson(result, tolerance, data.description), () => checkText(result, tolerance, data.description));
  if (!result.passed) output.error('the candidate model is worse than the baseline', 'do not ship it: improve the data or settings and train again');
  return result.passed ? 0 : 1;
}
