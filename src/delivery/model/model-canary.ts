// A model canary (issue 13): the candidate decides `weight` % of new posts
// (the service picks them by canaryBucket(post id)) next to the live model,
// for durationSeconds; then the posts each model decided in that window are
// judged with the code canary's judge, on decisions and categories only (the
// same processes serve both models, so latency and errors cannot be told
// apart per model). Pass goes on to the release; Fail puts the pointer back.
// A Marginal verdict follows onMarginal, except that `pause` fails: a model
// canary does not wait for `mod approve` (release again, or set continue).
import { judgeCanary, JUDGE_DEFAULTS } from '../canary/judge.js';
import type { CanaryRecord, CanarySettings, CanaryVerdict, RequestSample } from '../canary/canary-types.js';
import type { Environment } from '../config.js';
import type { DeploymentError } from '../deployment.js';
import type { DeliveryEvents } from '../events.js';
import type { ModelPointer, ModelRef } from '../../moderation/model-pointer.js';
import type { DecisionRow, ModelStore, ReleaseDatabase } from './model-store.js';
import { describePending, sleep, waitForInstances, type WaitOptions } from './model-wait.js';
import { newPointer } from './model-record.js';

export interface ModelCanaryInput {
  env: Environment;
  settings: CanarySettings;
  store: ModelStore;
  /** The pointer before the canary: its live model is the baseline. */
  pointer: ModelPointer;
  candidate: ModelRef;
  releaseId: string;
  openDatabase: () => Promise<ReleaseDatabase>;
  unattended: boolean;
  signal: AbortSignal;
  events: DeliveryEvents;
  wait: Omit<WaitOptions, 'what' | 'signal' | 'events'>;
  /** Saves the record as the canary goes (Running, then Judged). */
  save: (canary: CanaryRecord) => Promise<void>;
}

export interface ModelCanaryResult {
  canary: CanaryRecord;
  proceed: boolean;
  error?: DeploymentError;
}

/** The decisions a model canary judges, as the judge's samples: the candidate's are the canary side. */
export function samplesFromRows(rows: readonly DecisionRow[], candidateVersion: string): RequestSample[] {
  return rows.map((r) => ({ group: r.modelVersion === candidateVersion ? 'canary' : 'baseline', status: 200, latencyMs: 0, decision: r.decision, ...(r.category ? { category: r.category } : {}) }));
}

export function judgeModelCanary(rows: readonly DecisionRow[], candidateVersion: string, settings: CanarySettings): CanaryVerdict {
  return judgeCanary(samplesFromRows(rows, candidateVersion), settings, { ...JUDGE_DEFAULTS, groups: ['decisions', 'categories'] });
}

export async function runModelCanary(input: ModelCanaryInput): Promise<ModelCanaryResult> {
  const { env, settings, store, pointer, candidate, events } = input;
  const live = pointer.live;
  const canary: CanaryRecord = {
    status: 'Running',
    note: `model ${candidate.version} decides ${settings.weight}% of new posts (by post id) next to the live ${live.version}; judged on decisions and categories`,
    startedAt: new Date().toISOString(),
    canaryInstances: [],
    baselineInstances: [],
  };
  await input.save(canary);
  events({ type: 'notice', level: 'info', message: `model canary: ${candidate.version} decides ${settings.weight}% of new posts in ${env.name} for ${settings.durationSeconds} s, the live ${live.version} the rest` });
  await store.writePointer(env, newPointer(env, input.releaseId, { live, shadow: pointer.shadow, canary: { ...candidate, weight: settings.weight } }));
  const loaded = await waitForInstances(store, env, (m) => m.canary?.version === candidate.version, { ...input.wait, what: `model ${candidate.version} as the canary`, signal: input.signal, events });
  if (!loaded.loaded) {
    canary.status = 'Judged';
    canary.outcome = 'rolled-back';
    canary.endedAt = new Date().toISOString();
    canary.note = `the instances did not load the canary model: ${describePending(loaded.pending)}`;
    return {
      canary,
      proceed: false,
      error: { code: 'MODEL_NOT_LOADED', message: `the instances did not load model ${candidate.version} as the canary: ${describePending(loaded.pending)}`, hint: `see why with mod logs --env ${env.name}; the pointer is back: model ${live.version} keeps deciding` },
    };
  }
  const start = new Date();
  canary.startedAt = start.toISOString();
  events({ type: 'canary', phase: 'sampling', durationSeconds: settings.durationSeconds });
  await sleep(settings.durationSeconds * 1000, input.signal);

  const db = await input.openDatabase();
  let rows: DecisionRow[];
  try {
    rows = oneRowPerPost(await db.decisionsSince(start, [live.version, candidate.version]));
  } finally {
    await db.close();
  }
  const verdict = judgeModelCanary(rows, candidate.version, settings);
  const samples = { baseline: rows.filter((r) => r.modelVersion !== candidate.version).length, canary: rows.filter((r) => r.modelVersion === candidate.version).length };
  canary.status = 'Judged';
  canary.verdict = verdict;
  canary.endedAt = new Date().toISOString();
  canary.live = { at: canary.endedAt, baseline: counts(rows.filter((r) => r.modelVersion !== candidate.version)), canary: counts(rows.filter((r) => r.modelVersion === candidate.version)) };
  const proceed = verdict.verdict === 'Pass' || (verdict.verdict === 'Marginal' && settings.onMarginal === 'continue');
  canary.outcome = proceed ? 'continued' : 'rolled-back';
  events({ type: 'canary', phase: 'verdict', verdict, samples, outcome: canary.outcome, model: { candidate: candidate.version, live: live.version } });
  if (proceed) return { canary, proceed };
  // Short: which metrics failed, each once, and what happens to the models; every figure is in mod canary report.
  const failing = verdict.metrics.filter((m) => m.verdict === 'fail').map((m) => m.name);
  // The names are in the canary line (history, the release's output); the message counts them.
  const head = `model canary ${verdict.verdict} (score ${verdict.score}/100${failing.length ? `, ${failing.length} failing metric${failing.length > 1 ? 's' : ''}` : ''})`;
  const models = `the candidate model ${candidate.version} is removed; model ${live.version} keeps deciding`;
  let hint = `each metric: mod canary report ${input.releaseId}`;
  if (verdict.verdict === 'Marginal' && settings.onMarginal === 'pause') {
    canary.note = `Marginal: a model canary does not wait for mod approve${input.unattended ? ' (and nobody can answer here)' : ''}`;
    hint = `a model canary does not pause for mod approve: release again for more data, a longer canary.durationSeconds, or set canary.onMarginal: continue for ${env.name}`;
  }
  return { canary, proceed: false, error: { code: 'CANARY_FAILED', message: failing.length ? `${head}: ${models}` : `${head}: ${verdict.reason}; ${models}`, hint } };
}

function counts(rows: readonly DecisionRow[]): NonNullable<CanaryRecord['live']>['canary'] {
  const decisions: Record<string, number> = {};
  for (const r of rows) decisions[r.decision] = (decisions[r.decision] ?? 0) + 1;
  return { requests: rows.length, errors5xx: 0, decisions };
}

/** The judge counts posts: a counted row stands for `count` of them. */
function oneRowPerPost(rows: readonly DecisionRow[]): DecisionRow[] {
  const posts: DecisionRow[] = [];
  for (const { count = 1, ...row } of rows) for (let i = 0; i < count; i++) posts.push(row);
  return posts;
}
