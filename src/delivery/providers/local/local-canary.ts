// Canary analysis on the local provider (issue 12), before the rollout: one
// canary instance of the new revision and one fresh baseline instance of the
// current revision are installed beside the fleet (through the agent's
// lifecycle, as a deployment installs any instance: Kayenta's advice, never
// compare with the long-running fleet), each gets `weight`% of the
// endpoint's traffic for `durationSeconds` while the endpoint samples what
// they serve, and the judge compares the two. Both are removed whatever the
// verdict; the verdict decides whether the rollout runs. A Marginal verdict
// with `onMarginal: pause` waits for `mod approve --env E` (or `--reject`),
// answered through the provider's approval interface: an answer file the
// waiting deploy polls.
import { agentDeployment, endpointTraffic, recordSaver } from './agent-deployment.js';
import { mkdir, readdir, rm, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../../../errors.js';
import type { CanaryLiveCounts, CanaryRecord, CanarySettings, CanaryVerdict, RequestSample } from '../../canary/canary-types.js';
import type { Environment } from '../../config.js';
import { isAlive } from '../../deploy-lock.js';
import type { DeploymentError, DeploymentRecord, InstanceRecord, RevisionRef } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { PendingApproval } from '../../provider.js';
import type { StatePaths } from '../../state-paths.js';
import { deployToInstance, newInstanceRecord, stopInstance, type AgentDeployment, type InstanceOutcome } from './codedeploy-agent.js';
import type { DeploymentHistory } from './deployment-history.js';
import type { HostClient } from './host-client.js';
import { readJson, writeJsonAtomic } from '../../json-file.js';
import { freePort, type LocalInstance } from './local-instances.js';
import { environmentVariables, serviceVariables, writeServiceEnv } from './service-env.js';

/** What the canary needs of the environment's endpoint (the host's control API; a load balancer in unit tests). */
export interface CanaryEndpoint {
  targets(): Promise<{ id: string; url?: string; state: string; standby?: boolean }[]>;
  register(id: string, url: string): Promise<unknown>;
  deregister(id: string): Promise<void>;
  waitHealthy(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  setWeights(weights: Record<string, number>): Promise<unknown>;
  clearWeights(): Promise<unknown>;
  startSampling(groups: Record<string, 'baseline' | 'canary'>): Promise<unknown>;
  takeSamples(): Promise<RequestSample[]>;
  stopSampling(): Promise<unknown>;
}

export type CanaryRole = 'canary' | 'baseline';

/** The `mod approve` answer to a paused canary. */
export interface CanaryAnswer {
  deploymentId: string;
  approved: boolean;
  summary: string;
  by: string;
  at: string;
}

/** One canary analysis: its parts are injected so the orchestration is tested with real HTTP but without building revisions. */
export interface CanaryRun {
  settings: CanarySettings;
  environment: string;
  record: DeploymentRecord;
  save: () => Promise<void>;
  events: DeliveryEvents;
  signal: AbortSignal;
  endpoint: CanaryEndpoint;
  /** A new, empty instance beside the fleet. */
  launch: (role: CanaryRole) => Promise<LocalInstance>;
  /** Installs `bundleKey` on the instance through the agent's lifecycle (registering it with the endpoint at AllowTraffic). */
  install: (instance: LocalInstance, role: CanaryRole, into: InstanceRecord) => Promise<InstanceOutcome>;
  /** Stops the instance's service and deletes it (it was deregistered already). */
  remove: (instance: LocalInstance) => Promise<void>;
  judge: (samples: RequestSample[], settings: CanarySettings) => CanaryVerdict;
  /** Resolves with the answer to the paused canary; rejects when the signal aborts. */
  waitForAnswer: (signal: AbortSignal) => Promise<CanaryAnswer>;
  baselineCommit: string;
  /** How often the samples are collected (and the record's live counts refreshed) while the canary runs. */
  sampleEveryMs?: number;
  /** Nobody can run `mod approve` from here (CI without a terminal): `onMarginal: pause` fails instead. */
  unattended?: boolean;
}

/** Whether the rollout goes on, and if not how the deployment ends. */
export type CanaryResult = { proceed: true } | { proceed: false; status: 'Failed' | 'Stopped'; error: DeploymentError };

const STOPPED: CanaryResult = { proceed: false, status: 'Stopped', error: { code: 'INTERRUPTED', message: 'interrupted during the canary analysis; the fleet keeps its revision' } };

/** Runs the canary, records it in `run.record.canary` and says whether the rollout may start. */
export async function runCanary(run: CanaryRun): Promise<CanaryResult> {
  const { settings, record, events, signal, endpoint } = run;
  const canary: CanaryRecord = { status: 'Running', startedAt: new Date().toISOString(), canaryInstances: [], baselineInstances: [] };
  record.canary = canary;
  const launched: LocalInstance[] = [];
  let fleet: string[] = [];
  let samples: RequestSample[] = [];
  let verdict: CanaryVerdict;
  try {
    const canaryInstance = await run.launch('canary');
    launched.push(canaryInstance);
    const baselineInstance = await run.launch('baseline');
    launched.push(baselineInstance);
    canary.canaryInstances = [canaryInstance.id];
    canary.baselineInstances = [baselineInstance.id];
    const lifecycle = [newInstanceRecord(canaryInstance.id), newInstanceRecord(baselineInstance.id)];
    canary.instances = lifecycle;
    await run.save();
    events({
      type: 'canary',
      phase: 'start',
      deploymentId: record.deploymentId,
      canaryInstances: canary.canaryInstances,
      baselineInstances: canary.baselineInstances,
      weight: settings.weight,
      durationSeconds: settings.durationSeconds,
      baselineCommit: run.baselineCommit,
    });

    // The fleet is what the endpoint routes to now; the pair takes no request until both answer and the weights say so.
    const pair = new Set(launched.map((i) => i.id));
    fleet = (await endpoint.targets()).filter((t) => !t.standby && t.state !== 'draining' && !pair.has(t.id)).map((t) => t.id);
    if (fleet.length > 0) await endpoint.setWeights(Object.fromEntries(fleet.map((id) => [id, 1])));
    const outcomes = await Promise.all([run.install(canaryInstance, 'canary', lifecycle[0]!), run.install(baselineInstance, 'baseline', lifecycle[1]!)]);
    await run.save();
    if (signal.aborted) return stopped(canary);
    const failed = outcomes.find((o) => o.failure);
    if (failed?.failure) {
      const failure = failed.failure;
      const side = failed === outcomes[0] ? 'the canary (new revision)' : 'the baseline (current revision)';
      canary.note = `${side} did not install: ${failure.message}`;
      canary.outcome = 'rolled-back';
      canary.endedAt = new Date().toISOString();
      return {
        proceed: false,
        status: 'Failed',
        error: {
          code: failure.code,
          message: `canary: ${side} failed before any traffic: ${failure.message}`,
          hint: failure.hint,
          instanceId: failure.instanceId,
          event: failure.event,
          exitCode: failure.record.exitCode,
          logTail: failure.record.logTail,
          logFile: failure.record.logFile,
        },
      };
    }

    // Each of the pair gets `weight`% of new requests, the fleet shares the rest (relative weights, scaled to stay whole numbers).
    const scale = Math.max(fleet.length, 1);
    const weights: Record<string, number> = { [canaryInstance.id]: settings.weight * scale, [baselineInstance.id]: settings.weight * scale };
    for (const id of fleet) weights[id] = 100 - 2 * settings.weight;
    await endpoint.startSampling({ [canaryInstance.id]: 'canary', [baselineInstance.id]: 'baseline' });
    await endpoint.setWeights(weights);
    events({ type: 'canary', phase: 'sampling', durationSeconds: settings.durationSeconds });

    const deadline = Date.now() + settings.durationSeconds * 1000;
    const every = run.sampleEveryMs ?? 1000;
    while (Date.now() < deadline) {
      const waited = await sleep(Math.min(every, Math.max(0, deadline - Date.now())), true, { signal }).catch(() => false);
      if (!waited || signal.aborted) return stopped(canary);
      samples = samples.concat(await endpoint.takeSamples());
      canary.live = liveCounts(samples);
      await run.save();
    }
    samples = samples.concat(await endpoint.takeSamples());
    canary.live = liveCounts(samples);
    verdict = run.judge(samples, settings);
  } finally {
    await teardown(run, launched, fleet);
  }

  canary.verdict = verdict;
  canary.status = 'Judged';
  canary.endedAt = new Date().toISOString();
  const sides = { baseline: samples.filter((s) => s.group === 'baseline').length, canary: samples.filter((s) => s.group === 'canary').length };
  // A pause nobody can answer (CI without a terminal) would hold the lock forever: it fails, unless onMarginal says continue.
  const unanswerable = verdict.verdict === 'Marginal' && settings.onMarginal === 'pause' && run.unattended === true;
  const action = verdict.verdict === 'Pass' ? 'continue' : verdict.verdict === 'Fail' || unanswerable ? 'fail' : settings.onMarginal;
  if (unanswerable) canary.note = `Marginal (score ${verdict.score}) and onMarginal: pause, but nobody can answer mod approve here (not interactive): failed; set onMarginal: continue to roll out, or deploy from a terminal`;
  canary.outcome = action === 'continue' ? 'continued' : action === 'fail' ? 'rolled-back' : 'paused';
  events({ type: 'canary', phase: 'verdict', verdict, samples: sides, outcome: canary.outcome });
  if (action === 'continue') {
    if (verdict.verdict === 'Marginal') events({ type: 'notice', level: 'warn', message: `canary: Marginal (score ${verdict.score}), rolling out anyway (onMarginal: continue): ${verdict.reason}` });
    await run.save();
    return { proceed: true };
  }
  if (action === 'fail') {
    await run.save();
    const error = canaryFailure(record, verdict, run.baselineCommit);
    if (unanswerable) error.message += `: ${canary.note}`;
    return { proceed: false, status: 'Failed', error };
  }

  // Marginal, onMarginal: pause. The pair is gone: the deployment waits, holding its lock, for an answer.
  canary.status = 'Paused';
  canary.note = `Marginal (score ${verdict.score}/${verdict.thresholds.pass}): waiting for mod approve --env ${run.environment} (or --reject)`;
  await run.save();
  events({ type: 'canary', phase: 'paused', deploymentId: record.deploymentId, environment: run.environment });
  let answer: CanaryAnswer;
  try {
    answer = await run.waitForAnswer(signal);
  } catch {
    canary.status = 'Judged';
    canary.note = 'stopped while paused for mod approve';
    return STOPPED;
  }
  canary.status = 'Judged';
  canary.answer = { approved: answer.approved, summary: answer.summary, by: answer.by, at: answer.at };
  canary.outcome = answer.approved ? 'approved' : 'rejected';
  canary.note = `${answer.approved ? 'approved' : 'rejected'} by ${answer.by}: ${answer.summary}`;
  await run.save();
  events({ type: 'canary', phase: 'answered', approved: answer.approved, summary: answer.summary });
  if (answer.approved) return { proceed: true };
  return {
    proceed: false,
    status: 'Failed',
    error: { code: 'CANARY_FAILED', message: `canary analysis: Marginal (score ${verdict.score}), then rejected by ${answer.by}: ${answer.summary}`, hint: `the fleet keeps ${run.baselineCommit.slice(0, 8)}; see mod canary report ${record.deploymentId}` },
  };
}

function stopped(canary: CanaryRecord): CanaryResult {
  canary.note = 'stopped before a verdict';
  canary.endedAt = new Date().toISOString();
  return STOPPED;
}

/** The deployment's error for a failed canary: the verdict's reason and each failing metric's, with their numbers. */
function canaryFailure(record: DeploymentRecord, verdict: CanaryVerdict, baselineCommit: string): DeploymentError {
  const failing = verdict.metrics.filter((m) => m.verdict === 'fail');
  const detail = failing.length ? `; failing: ${failing.map((m) => `${m.name} (${m.reason})`).join('; ')}` : '';
  return {
    code: 'CANARY_FAILED',
    message: `canary analysis: ${verdict.verdict} (score ${verdict.score}/100): ${verdict.reason}${detail}`,
    hint: `the rollout did not start; the fleet keeps ${baselineCommit.slice(0, 8)}. See mod canary report ${record.deploymentId}`,
  };
}

/** Takes the pair out of traffic and deletes it: the fleet alone is routed, as before the canary. Best effort, never throws. */
async function teardown(run: CanaryRun, launched: LocalInstance[], fleet: string[]): Promise<void> {
  const { endpoint } = run;
  const quietly = (work: Promise<unknown>) =>
    work.then(
      () => undefined,
      () => undefined,
    );
  if (launched.length === 0) return;
  if (fleet.length > 0) await quietly(endpoint.setWeights(Object.fromEntries(fleet.map((id) => [id, 1]))));
  await Promise.all(launched.map((i) => quietly(endpoint.deregister(i.id))));
  await quietly(endpoint.clearWeights());
  await quietly(endpoint.stopSampling());
  await Promise.all(launched.map((i) => quietly(run.remove(i))));
}

/** Each side's running totals, for `mod status` while the canary runs. */
export function liveCounts(samples: RequestSample[]): NonNullable<CanaryRecord['live']> {
  const side = (group: RequestSample['group']): CanaryLiveCounts => {
    const mine = samples.filter((s) => s.group === group);
    const decisions: CanaryLiveCounts['decisions'] = {};
    for (const s of mine) if (s.decision) decisions[s.decision] = (decisions[s.decision] ?? 0) + 1;
    return { requests: mine.length, errors5xx: mine.filter((s) => s.status >= 500).length, errors4xx: mine.filter((s) => s.status >= 400 && s.status < 500).length, decisions };
  };
  return { at: new Date().toISOString(), baseline: side('baseline'), canary: side('canary') };
}

// ---- The local provider's parts: instances beside the fleet, the agent, the answer file.

/** Where the canary and baseline instances live: beside the fleet's instances, never among them (a deploy or `mod stop` lists those). */
export function canaryInstancesDir(paths: StatePaths, envName: string): string {
  return path.join(paths.env(envName), 'canary');
}

/** The answer `mod approve` leaves for a paused canary. */
export function canaryAnswerFile(paths: StatePaths, envName: string): string {
  return path.join(paths.env(envName), 'canary-answer.json');
}

export interface LocalCanaryContext {
  env: Environment;
  paths: StatePaths;
  host: HostClient & CanaryEndpoint;
  history: DeploymentHistory;
  record: DeploymentRecord;
  events: DeliveryEvents;
  signal: AbortSignal;
  judge: (samples: RequestSample[], settings: CanarySettings) => CanaryVerdict;
  /** The bundle of a revision, rebuilt when the cached one no longer verifies; undefined when impossible. */
  repairBundle: (revision: RevisionRef) => Promise<string | undefined>;
}

/**
 * The canary of one local deployment, when the environment has one: skipped
 * (and said so) for a fast rollback, which never waits for analysis, and for
 * a first deploy, which has nothing to compare with.
 */
export async function runLocalCanary(context: LocalCanaryContext, revision: { bundleKey: string; previousGood: DeploymentRecord | undefined; fastRollback: boolean; unattended?: boolean }): Promise<CanaryResult> {
  const { env, paths, host, history, record, events, signal } = context;
  const settings = env.canary;
  if (!settings) return { proceed: true };
  const skip = async (note: string): Promise<CanaryResult> => {
    record.canary = { status: 'Skipped', note, canaryInstances: [], baselineInstances: [] };
    await history.save(record);
    events({ type: 'canary', phase: 'skipped', reason: note });
    return { proceed: true };
  };
  if (revision.fastRollback) return skip('fast rollback: no canary analysis (a fast rollback never waits for one)');
  const previous = revision.previousGood;
  if (!previous) return skip('first deploy: no earlier successful deployment to compare with');
  const baselineBundle = await context.repairBundle(previous.revision).catch(() => undefined);
  if (!baselineBundle) return skip(`the current revision ${previous.revision.commit.slice(0, 8)} has no usable bundle to run a baseline from`);

  const dir = canaryInstancesDir(paths, env.name);
  const fleetPorts = new Set<number>();
  for (const target of await host.targets().catch(() => [])) {
    const port = Number(/:(\d+)\/?$/.exec(target.url ?? '')?.[1]);
    if (port) fleetPorts.add(port);
  }
  const { save, settled } = recordSaver(() => history.save(record));
  const agent = (role: CanaryRole): AgentDeployment =>
    agentDeployment({
      env,
      paths,
      host,
      record,
      revisionOf: role === 'canary' ? record : { revision: previous.revision },
      bundleKey: role === 'canary' ? revision.bundleKey : baselineBundle,
      traffic: endpointTraffic(host, env),
      events,
      signal,
      save,
    });
  const run: CanaryRun = {
    settings,
    environment: env.name,
    record,
    save: async () => {
      save();
      await settled();
    },
    events,
    signal,
    endpoint: host,
    baselineCommit: previous.revision.commit,
    launch: async (role) => {
      const instance = await newSideInstance(dir, `i-${role}-1`, fleetPorts);
      await writeServiceEnv(env, host, paths, [instance]);
      return instance;
    },
    install: (instance, role, into) => deployToInstance(instance, agent(role), into),
    remove: (instance) => removeSideInstance(instance, env, paths, host, events),
    judge: context.judge,
    unattended: revision.unattended,
    waitForAnswer: (abort) => waitForCanaryAnswer(canaryAnswerFile(paths, env.name), record.deploymentId, abort),
  };
  await rm(canaryAnswerFile(paths, env.name), { force: true });
  return runCanary(run);
}

interface SideInstanceFile {
  id: string;
  port: number;
  createdAt: string;
}

async function newSideInstance(dir: string, id: string, avoid: Set<number>): Promise<LocalInstance> {
  const instanceDir = path.join(dir, id);
  await rm(instanceDir, { recursive: true, force: true });
  await mkdir(path.join(instanceDir, 'root'), { recursive: true });
  const file: SideInstanceFile = { id, port: await freePort(avoid), createdAt: new Date().toISOString() };
  avoid.add(file.port);
  await writeJsonAtomic(path.join(instanceDir, 'instance.json'), file);
  return { id, dir: instanceDir, root: path.join(instanceDir, 'root'), port: file.port, createdAt: file.createdAt };
}

/** Runs the instance's ApplicationStop, kills what it left running, and deletes it. */
async function removeSideInstance(instance: LocalInstance, env: Environment, paths: StatePaths, host: HostClient | undefined, events: DeliveryEvents): Promise<void> {
  await stopInstance(instance, {
    applicationName: env.app,
    deploymentGroupName: `${env.app}-${env.name}`,
    env: host ? serviceVariables(env, host, paths) : environmentVariables(env, paths),
    hookTimeoutCapSeconds: env.hookTimeoutSeconds,
    onHookFailed: (message) => events({ type: 'notice', level: 'warn', message: `${instance.id}: ApplicationStop: ${message}` }),
  }).catch(() => undefined);
  // A service whose ApplicationStart was cut short (Ctrl-C) has no installed revision to stop it: its pid file still names it.
  const pid = Number((await readFile(path.join(instance.root, 'var', 'run', 'mod', 'service.pid'), 'utf8').catch(() => '')).trim());
  if (pid > 0 && isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await rm(instance.dir, { recursive: true, force: true });
}

/**
 * Removes the canary and baseline instances a deploy that died mid-canary
 * left behind (out of the endpoint first), so they neither take traffic nor
 * keep weights set. Run by every local deployment, canary or not, and by
 * `mod stop` (without a host, only the instances are stopped).
 */
export async function removeLeftoverCanary(paths: StatePaths, env: Environment, host: (HostClient & CanaryEndpoint) | undefined, events: DeliveryEvents): Promise<string[]> {
  const dir = canaryInstancesDir(paths, env.name);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const instanceDir = path.join(dir, entry.name);
    const file = await readJson<SideInstanceFile>(path.join(instanceDir, 'instance.json')).catch(() => undefined);
    const instance: LocalInstance = { id: file?.id ?? entry.name, dir: instanceDir, root: path.join(instanceDir, 'root'), port: file?.port ?? 0, createdAt: file?.createdAt ?? '' };
    await host?.deregister(instance.id).catch(() => undefined);
    await removeSideInstance(instance, env, paths, host, events);
    removed.push(instance.id);
  }
  if (removed.length > 0) {
    await host?.clearWeights().catch(() => undefined);
    await host?.stopSampling().catch(() => undefined);
    events({ type: 'notice', level: 'warn', message: `removed ${removed.join(', ')} left by an earlier canary that did not finish` });
  }
  return removed;
}

/** Polls the answer file until `mod approve` answers this deployment; rejects when the signal aborts. */
export async function waitForCanaryAnswer(file: string, deploymentId: string, signal: AbortSignal, pollMs = 200): Promise<CanaryAnswer> {
  for (;;) {
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
    const answer = await readJson<CanaryAnswer>(file).catch(() => undefined);
    if (answer?.deploymentId === deploymentId) {
      await rm(file, { force: true });
      return answer;
    }
    await sleep(pollMs, undefined, { signal }).catch(() => undefined);
  }
}

/** The canary paused on a Marginal verdict in the environment, as `mod approve` sees an approval (token = deployment id). */
export async function pausedCanary(history: DeploymentHistory): Promise<PendingApproval | undefined> {
  const paused = (await history.list(10)).find((d) => d.status === 'InProgress' && d.canary?.status === 'Paused' && d.pid !== undefined && isAlive(d.pid));
  if (!paused) return undefined;
  return { stageName: 'canary', actionName: `Marginal-score-${paused.canary!.verdict?.score ?? '?'}`, pipelineExecutionId: paused.deploymentId, commit: paused.revision.commit, token: paused.deploymentId };
}

/** `mod approve` on the local provider: the answer file the paused deploy polls. */
export async function answerPausedCanary(paths: StatePaths, env: Environment, approval: PendingApproval, answer: { approve: boolean; summary: string }): Promise<void> {
  if (approval.stageName !== 'canary' || !approval.token) {
    throw new UsageError(`${env.name} runs on the local provider, whose only approval is a canary paused on a Marginal verdict`, `see mod status --env ${env.name}`);
  }
  const user = os.userInfo().username;
  const written: CanaryAnswer = { deploymentId: approval.token, approved: answer.approve, summary: answer.summary, by: `${user}@${os.hostname()} (mod approve, pid ${process.pid})`, at: new Date().toISOString() };
  await writeJsonAtomic(canaryAnswerFile(paths, env.name), written);
}
