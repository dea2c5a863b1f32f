// The model gate (issue 13): a model released on its own must not be worse
// than the env's current model (the pointer's live one; with no release yet
// the bundled models/default of this package) on the hand-written check set
// data/ja-check.csv, per category, within a tolerance (0.01 default). Then
// the env's time-based gate (window, with its freeze calendar) as committed
// at the env's deployed commit; the pull-request gates judge code, not models.
// A failing gate passes only with `--override <gate> --reason` (recorded).
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { compareEvaluations, type CategoryComparison, type CategoryGateRow } from '../../moderation/category-comparison.js';
import { evaluateModel, type Evaluation } from '../../moderation/evaluation.js';
import type { LabelledText } from '../../moderation/labelled-data.js';
import { loadData, packageRoot } from '../../moderation/datasets.js';
import { readModelArtifact, type LoadedModel } from '../../moderation/model-artifact.js';
import type { ModelPointer } from '../../moderation/model-pointer.js';
import type { Environment, GateName } from '../config.js';
import { judgeGates } from '../deploy.js';
import type { ModelReleaseInfo } from '../deployment.js';
import type { DeliveryEvents } from '../events.js';
import type { GateOverride } from '../gates/run-gates.js';
import type { Provider } from '../provider.js';
import type { Workspace } from '../workspace.js';
import type { ModelStore } from './model-store.js';

/** The check set, relative to this package: hand-written posts no model trains on. */
export const CHECK_SET = 'data/ja-check.csv';
export const DEFAULT_MODEL_TOLERANCE = 0.01;
/** The gates a model release judges: its own and the time-based one. */
export const MODEL_RELEASE_GATES = ['model', 'window'] as const;
export type ModelReleaseGate = (typeof MODEL_RELEASE_GATES)[number];

export interface ModelGateOverride {
  gate: string;
  reason: string;
}

/** One gate's verdict (the GateResult shape, with `model` among the names). */
export interface ModelGateEntry {
  name: string;
  status: 'pass' | 'fail' | 'skipped';
  reason: string;
  fix?: string;
  overridden?: { reason: string; by: string };
}

/** The GateReport shape for a model release: the gates, and the model gate's rows per category. */
export interface ModelGateReport {
  schemaVersion: 1;
  environment: string;
  /** The candidate model's version. */
  candidate: string;
  /** What it was compared with. */
  baseline: { version: string; source: 'released' | 'bundled' };
  checkSet: string;
  examples: number;
  tolerance: number;
  passed: boolean;
  gates: ModelGateEntry[];
  overrides: { gate: string; reason: string; by: string }[];
  rows: CategoryGateRow[];
}

export function checkModelOverrides(overrides: ModelGateOverride[]): void {
  for (const o of overrides) {
    if (!(MODEL_RELEASE_GATES as readonly string[]).includes(o.gate)) throw new UsageError(`--override ${o.gate}: a model release judges the gates ${MODEL_RELEASE_GATES.join(' and ')} only`, 'the pull-request gates judge code deploys');
    if (!o.reason.trim()) throw new UsageError(`--override ${o.gate} needs --reason "why"`, 'an override is recorded with who and why');
  }
}

/** The model the env decides with now, loaded: the pointer's live model, else the bundled one (said so). */
export async function currentModel(store: ModelStore, env: Environment, pointer: ModelPointer | null, events: DeliveryEvents): Promise<{ model: LoadedModel; source: 'released' | 'bundled' }> {
  if (pointer) return { model: await readModelArtifact(await store.fetch(env, pointer.live)), source: 'released' };
  const model = await readModelArtifact(path.join(packageRoot, 'models', 'default'));
  events({ type: 'notice', level: 'info', message: `no model is released to ${env.name} yet: the model gate compares with the bundled models/default of this package (${model.manifest.version})` });
  return { model, source: 'bundled' };
}

/** The candidate against the current model on the check set, per category. */
export async function compareWithCurrent(candidate: LoadedModel, current: LoadedModel, tolerance: number): Promise<CategoryComparison & { checkSet: string }> {
  if (!(tolerance >= 0 && tolerance < 1)) throw new UsageError(`the model gate's tolerance must be between 0 and 1, got ${tolerance}`);
  const [c, b] = await Promise.all([evaluationOf(candidate), evaluationOf(current)]);
  return { ...compareEvaluations(c, b, tolerance), checkSet: CHECK_SET };
}

// A model's figures on the check set depend on its bytes only (the checksum covers them): computed once per process.
let checkSet: Promise<LabelledText[]> | undefined;
const evaluations = new Map<string, Evaluation>();

async function evaluationOf(model: LoadedModel): Promise<Evaluation> {
  const key = `${model.manifest.version}:${model.manifest.checksum.value}`;
  const known = evaluations.get(key);
  if (known) return known;
  checkSet ??= loadData(CHECK_SET, packageRoot).then((d) => d.examples);
  const evaluation = evaluateModel(model, await checkSet, CHECK_SET);
  evaluations.set(key, evaluation);
  return evaluation;
}

export interface JudgeModelGatesOptions {
  candidate: LoadedModel;
  pointer: ModelPointer | null;
  overrides: ModelGateOverride[];
  initiator: string;
  events: DeliveryEvents;
  tolerance?: number;
  now?: () => Date;
}

/** Runs the model gate and the env's window gate, emitting one 'gate' event per judged gate. */
export async function judgeModelGates(ws: Workspace, env: Environment, provider: Provider, store: ModelStore, options: JudgeModelGatesOptions): Promise<ModelGateReport> {
  checkModelOverrides(options.overrides);
  const tolerance = options.tolerance ?? DEFAULT_MODEL_TOLERANCE;
  const current = await currentModel(store, env, options.pointer, options.events);
  const comparison = await compareWithCurrent(options.candidate, current.model, tolerance);
  const baseline = { version: current.model.manifest.version, source: current.source };
  const paths = { candidate: options.candidate.path, current: current.model.path };
  const gates: ModelGateEntry[] = [modelGateEntry(comparison, options.candidate.manifest.version, baseline, options.overrides, options.initiator, paths)];
  options.events({ type: 'gate', ...gates[0]! });
  gates.push(...(await timeGates(ws, env, provider, options)));
  return {
    schemaVersion: 1,
    environment: env.name,
    candidate: options.candidate.manifest.version,
    baseline,
    checkSet: comparison.checkSet,
    examples: comparison.examples,
    tolerance,
    passed: gates.every((g) => g.status !== 'fail'),
    gates,
    overrides: gates.filter((g) => g.overridden).map((g) => ({ gate: g.name, reason: g.overridden!.reason, by: g.overridden!.by })),
    rows: comparison.rows,
  };
}

function modelGateEntry(comparison: CategoryComparison, candidate: string, baseline: ModelGateReport['baseline'], overrides: ModelGateOverride[], initiator: string, paths: { candidate: string; current: string }): ModelGateEntry {
  const against = `${baseline.source === 'released' ? 'the released' : 'the bundled'} ${baseline.version}`;
  const on = `on ${CHECK_SET} (${comparison.examples} posts), tolerance ${comparison.tolerance}`;
  if (comparison.passed) return { name: 'model', status: 'pass', reason: `${candidate} is not worse than ${against} in any category ${on}` };
  const worse = comparison.rows.filter((r) => r.worse);
  // The figures of every row are in the report; the reason names the rows and their differences.
  const reason = `${candidate} is worse than ${against} ${on}: ${worse.length === 1 ? describeRow(worse[0]!) : worse.map((r) => `${r.metric} ${points(r.delta)}`).join(', ')}`;
  // The env's current model where this machine reads it (a released one: its published copy), so the command runs as given.
  const fix = `train it again on better data (compare: mod model check --candidate ${paths.candidate} --baseline ${paths.current} --data ${CHECK_SET}), or let it through with --override model --reason "..."`;
  const override = overrides.find((o) => o.gate === 'model');
  return override ? { name: 'model', status: 'pass', reason, fix, overridden: { reason: override.reason, by: initiator } } : { name: 'model', status: 'fail', reason, fix };
}

/** `caught.spam 100.0% -> 96.9% (-3.1 pt, 32 posts)`. */
export function describeRow(row: CategoryGateRow): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return `${row.metric} ${pct(row.baseline)} -> ${pct(row.candidate)} (${points(row.delta)}, ${row.examples} posts)`;
}

function points(delta: number): string {
  return `${delta >= 0 ? '+' : '-'}${Math.abs(100 * delta).toFixed(1)} pt`;
}

/** The env's window gate (and its freeze calendar) as committed at the deployed commit (else the branch head, else HEAD). */
async function timeGates(ws: Workspace, env: Environment, provider: Provider, options: JudgeModelGatesOptions): Promise<ModelGateEntry[]> {
  const sha = (await provider.deployments(env, 50).catch(() => [])).find((d) => d.status === 'Succeeded')?.revision.commit ?? (await ws.git.resolve(`refs/heads/${env.branch}`)) ?? (await ws.git.resolve('HEAD'));
  const window = options.overrides.filter((o) => o.gate === 'window').map((o) => ({ gate: o.gate as GateName, reason: o.reason }));
  if (!sha || !(await ws.git.resolve(sha))) {
    if (window.length) throw new UsageError(`${env.name} has no commit to read its gates from: --override window has nothing to override`);
    return [];
  }
  const commit = await ws.git.commitInfo(sha);
  const only: GateName[] = ['window'];
  const judged = (e: Parameters<DeliveryEvents>[0]) => e.type === 'gate' && e.status === 'skipped';
  const report = await judgeGates(ws, env, provider, commit, { overrides: window as GateOverride[], initiator: options.initiator, events: (e) => (judged(e) ? undefined : options.events(e)), only, now: options.now }).catch((error: unknown) => {
    // An env without gates refuses an override of them: say it for the model release.
    if (error instanceof UsageError && window.length) throw new UsageError(`${env.name} has no window gate to override`);
    throw error;
  });
  const entry = report?.gates.find((g) => g.name === 'window' && g.status !== 'skipped');
  if (!entry && window.length) throw new UsageError(`${env.name} has no window gate to override`);
  return entry ? [entry] : [];
}

/** What the record keeps of the model gate. */
export function gateRecord(report: ModelGateReport): NonNullable<ModelReleaseInfo['gate']> {
  return {
    baseline: report.baseline,
    checkSet: report.checkSet,
    examples: report.examples,
    tolerance: report.tolerance,
    passed: report.gates.find((g) => g.name === 'model')?.status === 'pass' && !report.gates.find((g) => g.name === 'model')?.overridden,
    rows: report.rows.map(({ metric, baseline, candidate, delta, worse }) => ({ metric, baseline, candidate, delta, worse })),
  };
}
