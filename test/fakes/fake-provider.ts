// The Provider port (src/delivery/provider.ts) in memory. It records every
// call, keeps each environment's deployment history (seeded by the test or
// written by deploy), and plays one scripted result per deploy: succeed, fail
// at an instance's lifecycle event (auto-rolled back when the environment
// says so and a good revision exists), be interrupted (wait for the request's
// signal, then stop), or throw. Everything else it answers is what it was
// told: environment status, doctor checks, what stop stops, approvals.
import type { ModelStore } from '../../src/delivery/model/model-store.js';
import { FakeModelStore } from './fake-model-store.js';
import type { Environment } from '../../src/delivery/config.js';
import { newDeploymentRecord, type DeploymentRecord, type InstanceRecord, type LifecycleEventRecord } from '../../src/delivery/deployment.js';
import type { DeliveryEvents } from '../../src/delivery/events.js';
import type { DeployRequest, DoctorCheck, LogLine, LogRequest, PendingApproval, Provider, ProviderEnvironmentStatus } from '../../src/delivery/provider.js';
import { planBatches } from '../../src/delivery/rollout-plan.js';

/** The lifecycle the fake plays on each instance (the appspec hooks, in order). */
export const FAKE_LIFECYCLE = ['ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService'] as const;

/** Where a scripted failure or interruption happens; defaults: the first instance, ValidateService. */
export interface ScriptPoint {
  instanceId?: string;
  event?: string;
}

export type DeployScript = { result: 'succeed' } | ({ result: 'fail'; code?: string; message?: string; exitCode?: number } & ScriptPoint) | ({ result: 'interrupted' } & ScriptPoint) | { result: 'throw'; error: Error };

export type ProviderMethod = Exclude<keyof Provider, 'name'>;

export interface ProviderCall {
  method: ProviderMethod;
  environment: string;
  /** The call's other arguments (the deploy request, an update's patch, an approval answer...). */
  detail?: unknown;
}

/** A deployment already in the history: a commit and whatever else the test cares about. */
export type SeedDeployment = Partial<Omit<DeploymentRecord, 'revision'>> & { commit: string; bundle?: string | null; subject?: string };

export class FakeProvider implements Provider {
  readonly calls: ProviderCall[] = [];
  readonly deployRequests: DeployRequest[] = [];
  private readonly scripts: DeployScript[] = [];
  private readonly histories = new Map<string, DeploymentRecord[]>();
  private readonly statuses = new Map<string, ProviderEnvironmentStatus>();
  private readonly historyFailures = new Map<string, Error>();
  private readonly statusFailures = new Map<string, Error>();
  private readonly doctorChecks = new Map<string, DoctorCheck[]>();
  private readonly stoppable = new Map<string, string[]>();
  private readonly approvals = new Map<string, { step: boolean; pending?: PendingApproval }>();
  private readonly databaseUrls = new Map<string, string>();
  private deployCount = 0;
  private seedCount = 0;

  constructor(readonly name = 'fake') {}

  // ---- what the test tells it -------------------------------------------------

  /** The results of the next deploys, in order; a deploy with no script left succeeds. */
  script(...scripts: DeployScript[]): this {
    this.scripts.push(...scripts);
    return this;
  }

  /** Adds a deployment to the environment's history as its newest (seed oldest first). */
  seed(environment: string, seed: SeedDeployment): DeploymentRecord {
    const n = ++this.seedCount;
    const { commit, bundle, subject, ...rest } = seed;
    const startedAt = new Date(Date.UTC(2020, 0, 1, 0, n)).toISOString();
    const record: DeploymentRecord = {
      schemaVersion: 1,
      deploymentId: `d-seed-${n}`,
      environment,
      provider: this.name,
      status: 'Succeeded',
      initiator: 'alice',
      startedAt,
      endedAt: seed.status === 'InProgress' ? undefined : new Date(Date.parse(startedAt) + 30_000).toISOString(),
      instances: [],
      ...rest,
      revision: { commit, ...(bundle === null ? {} : { bundle: bundle ?? `bundle-${commit.slice(0, 12)}` }), ...(subject ? { subject } : {}) },
    };
    this.historyOf(environment).unshift(structuredClone(record));
    return record;
  }

  /** The deployment history as the provider holds it, newest first. */
  history(environment: string): DeploymentRecord[] {
    return structuredClone(this.historyOf(environment));
  }

  tellStatus(environment: string, status: Partial<ProviderEnvironmentStatus>): void {
    this.statuses.set(environment, { endpoint: null, database: null, instances: [], ...status });
  }

  failStatus(environment: string, error: Error): void {
    this.statusFailures.set(environment, error);
  }

  /** Makes reading the environment's history fail (an API error, missing permissions...). */
  failHistory(environment: string, error: Error): void {
    this.historyFailures.set(environment, error);
  }

  tellDoctorChecks(environment: string, checks: DoctorCheck[]): void {
    this.doctorChecks.set(environment, checks);
  }

  /** What stop() will say it stopped in the environment. */
  tellRunning(environment: string, things: string[]): void {
    this.stoppable.set(environment, things);
  }

  /** Whether the environment's pipeline has a manual approval step, and the approval waiting there. */
  tellManualApproval(environment: string, step: boolean, pending?: PendingApproval): void {
    this.approvals.set(environment, { step, pending });
  }

  tellDatabaseUrl(environment: string, url: string): void {
    this.databaseUrls.set(environment, url);
  }

  // ---- what the test reads back -----------------------------------------------

  methods(): ProviderMethod[] {
    return this.calls.map((c) => c.method);
  }

  callsOf(method: ProviderMethod): ProviderCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  // ---- Provider ---------------------------------------------------------------

  async deploy(request: DeployRequest): Promise<DeploymentRecord> {
    const env = request.environment;
    this.calls.push({ method: 'deploy', environment: env.name, detail: request });
    this.deployRequests.push(request);
    const script = this.scripts.shift() ?? { result: 'succeed' };
    if (script.result === 'throw') throw script.error;

    const { events, signal } = request;
    const record = newDeploymentRecord(request, this.name, `d-fake-${++this.deployCount}`);
    const previousGood = this.historyOf(env.name).find((d) => d.status === 'Succeeded' && d.revision.bundle);
    const reused = request.reuseRevisionOf;
    record.revision.bundle = reused ? reused.revision.bundle : `bundle-${request.commit.commit.slice(0, 12)}`;
    record.build = { reused: Boolean(reused), durationMs: 0 };
    this.save(record);
    if (reused) {
      events({ type: 'build.reused', commit: request.commit.commit, bundle: record.revision.bundle ?? '' });
    } else {
      events({ type: 'build.start', commit: request.commit.commit });
      events({ type: 'build.done', commit: request.commit.commit, durationMs: 0 });
    }

    const instanceIds = this.instancesOf(env);
    const point = script.result === 'succeed' ? undefined : { instanceId: script.instanceId ?? instanceIds[0], event: script.event ?? 'ValidateService' };
    events({ type: 'deploy.start', deploymentId: record.deploymentId, environment: env.name, commit: request.commit.commit, instanceIds, rollout: env.rollout });
    const batches = planBatches(instanceIds, env.rollout);
    let ending: 'failed' | 'stopped' | undefined;
    for (const [index, batch] of batches.entries()) {
      if (ending) break;
      events({ type: 'batch.start', batch: index + 1, of: batches.length, instanceIds: batch });
      for (const instanceId of batch) {
        const instance: InstanceRecord = { instanceId, status: 'InProgress', events: FAKE_LIFECYCLE.map((name) => ({ name, status: 'Pending' as const })) };
        record.instances.push(instance);
        for (const event of instance.events) {
          if (ending) {
            event.status = 'Skipped';
            continue;
          }
          this.startEvent(instanceId, event, events);
          this.save(record);
          const here = point?.instanceId === instanceId && point.event === event.name;
          if (here && script.result === 'interrupted') {
            if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
            ending = 'stopped';
            this.endEvent(instanceId, event, 'Skipped', events);
          } else if (here && script.result === 'fail') {
            ending = 'failed';
            const message = `${instanceId}: ${event.name} failed: ${script.message ?? 'the script exited with 1'}`;
            this.endEvent(instanceId, event, 'Failed', events, message);
            record.error = { code: script.code ?? 'LIFECYCLE_EVENT_FAILED', message, instanceId, event: event.name, exitCode: script.exitCode ?? 1 };
          } else {
            this.endEvent(instanceId, event, 'Succeeded', events);
          }
        }
        instance.status = ending === 'failed' ? 'Failed' : ending === 'stopped' ? 'Skipped' : 'Succeeded';
      }
    }

    if (ending === 'stopped') {
      record.status = 'Stopped';
      record.error = { code: 'INTERRUPTED', message: 'interrupted: the deployment was stopped; instances not reached keep their revision' };
    } else if (ending === 'failed' && env.autoRollback && previousGood) {
      const touched = record.instances.map((i) => i.instanceId);
      events({ type: 'autorollback.start', deploymentId: record.deploymentId, commit: previousGood.revision.commit, instanceIds: touched });
      record.autoRollback = {
        revision: previousGood.revision,
        status: 'Succeeded',
        instances: touched.map((instanceId) => ({ instanceId, status: 'Succeeded', events: FAKE_LIFECYCLE.map((name) => ({ name, status: 'Succeeded' as const })) })),
      };
      record.status = 'RolledBack';
    } else {
      record.status = ending === 'failed' ? 'Failed' : 'Succeeded';
    }
    record.endedAt = new Date().toISOString();
    this.save(record);
    events({ type: 'deploy.done', record });
    return record;
  }

  async deployments(env: Environment, limit?: number): Promise<DeploymentRecord[]> {
    this.calls.push({ method: 'deployments', environment: env.name, detail: { limit } });
    const failure = this.historyFailures.get(env.name);
    if (failure) throw failure;
    return structuredClone(this.historyOf(env.name).slice(0, limit));
  }

  async updateDeployment(env: Environment, deploymentId: string, patch: Partial<Pick<DeploymentRecord, 'revertCommit'>>): Promise<void> {
    this.calls.push({ method: 'updateDeployment', environment: env.name, detail: { deploymentId, patch } });
    const history = this.historyOf(env.name);
    const index = history.findIndex((d) => d.deploymentId === deploymentId);
    if (index >= 0) history[index] = { ...history[index]!, ...patch };
  }

  async environmentStatus(env: Environment): Promise<ProviderEnvironmentStatus> {
    this.calls.push({ method: 'environmentStatus', environment: env.name });
    const failure = this.statusFailures.get(env.name);
    if (failure) throw failure;
    return structuredClone(this.statuses.get(env.name) ?? { endpoint: null, database: null, instances: [] });
  }

  async stop(env: Environment, events: DeliveryEvents): Promise<{ stopped: string[] }> {
    this.calls.push({ method: 'stop', environment: env.name });
    const stopped = this.stoppable.get(env.name) ?? [];
    for (const thing of stopped) events({ type: 'notice', level: 'info', message: `${env.name}: stopped ${thing}` });
    this.stoppable.set(env.name, []);
    return { stopped: [...stopped] };
  }

  /** The log lines `logs` plays, per environment (`tellLogs`). */
  private readonly logLines = new Map<string, LogLine[]>();

  tellLogs(environment: string, lines: LogLine[]): void {
    this.logLines.set(environment, lines);
  }

  async logs(env: Environment, request: LogRequest): Promise<void> {
    this.calls.push({ method: 'logs', environment: env.name, detail: { instance: request.instance, lines: request.lines, follow: request.follow } });
    for (const line of this.logLines.get(env.name) ?? []) if (!request.instance || line.source.startsWith(request.instance)) request.onLine(line);
  }

  async doctor(env: Environment): Promise<DoctorCheck[]> {
    this.calls.push({ method: 'doctor', environment: env.name });
    return structuredClone(this.doctorChecks.get(env.name) ?? []);
  }

  async pendingApproval(env: Environment): Promise<PendingApproval | undefined> {
    this.calls.push({ method: 'pendingApproval', environment: env.name });
    return this.approvals.get(env.name)?.pending;
  }

  async pipelineHasManualApproval(env: Environment): Promise<boolean> {
    this.calls.push({ method: 'pipelineHasManualApproval', environment: env.name });
    return this.approvals.get(env.name)?.step ?? false;
  }

  /** Issue 13: the env's models, in memory. */
  readonly modelStore = new FakeModelStore();

  models(): ModelStore {
    return this.modelStore;
  }

  async databaseUrl(env: Environment): Promise<string | undefined> {
    this.calls.push({ method: 'databaseUrl', environment: env.name });
    return this.databaseUrls.get(env.name) ?? env.databaseUrl;
  }

  async answerApproval(env: Environment, approval: PendingApproval, answer: { approve: boolean; summary: string }): Promise<void> {
    this.calls.push({ method: 'answerApproval', environment: env.name, detail: { approval, answer } });
    const state = this.approvals.get(env.name);
    if (state) this.approvals.set(env.name, { step: state.step });
  }

  // ---- internals ----------------------------------------------------------------

  private historyOf(environment: string): DeploymentRecord[] {
    let history = this.histories.get(environment);
    if (!history) this.histories.set(environment, (history = []));
    return history;
  }

  /** Keeps a snapshot, newest first, as a real provider writes its audit trail while it goes. */
  private save(record: DeploymentRecord): void {
    const history = this.historyOf(record.environment);
    const index = history.findIndex((d) => d.deploymentId === record.deploymentId);
    if (index >= 0) history[index] = structuredClone(record);
    else history.unshift(structuredClone(record));
  }

  private instancesOf(env: Environment): string[] {
    return Array.from({ length: env.instances }, (_, i) => `${env.name}-i${i + 1}`);
  }

  private startEvent(instanceId: string, event: LifecycleEventRecord, events: DeliveryEvents): void {
    event.status = 'InProgress';
    event.startedAt = new Date().toISOString();
    events({ type: 'lifecycle', instanceId, event: event.name, status: 'InProgress' });
  }

  private endEvent(instanceId: string, event: LifecycleEventRecord, status: 'Succeeded' | 'Failed' | 'Skipped', events: DeliveryEvents, message?: string): void {
    event.status = status;
    event.endedAt = new Date().toISOString();
    event.durationMs = 0;
    if (message) event.message = message;
    events({ type: 'lifecycle', instanceId, event: event.name, status, durationMs: 0, message });
  }
}
