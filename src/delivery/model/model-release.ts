// `mod model release`: a model is a release of its own kind (issue 13). Read
// and verify the artifact, take the env's deployment lock (the same one code
// deploys take), judge the model gate (and the window), publish the artifact
// where the instances read it, run a model canary where the env has canary
// settings, then point live at it and wait until every instance reports it.
// A failure puts the pointer back as it was. The record (kind 'model') is
// saved to the ModelStore as it goes: InProgress, then final.
import { ModError, ExitCode, InterruptedError, UsageError } from '../../errors.js';
import type { ModelPointer } from '../../moderation/model-pointer.js';
import type { Environment } from '../config.js';
import { withEnvironmentLock } from '../deploy.js';
import { closeAbandonedModelReleases } from './model-abandoned.js';
import type { DeploymentError, DeploymentRecord, ModelReleaseInfo } from '../deployment.js';
import type { DeliveryEvents } from '../events.js';
import { canaryNotice, type Notifier } from '../notifier.js';
import type { Provider } from '../provider.js';
import type { Workspace } from '../workspace.js';
import { runModelCanary } from './model-canary.js';
import { gateRecord, judgeModelGates, type ModelGateOverride, type ModelGateReport } from './model-gate.js';
import { aboutModel, deployedCommit, madeLive, newModelRecord, newPointer, previousOf, publishedAt, readCandidate, sameModel, trainingLabels, type About } from './model-record.js';
import type { ModelStore } from './model-store.js';
import { describePending, describePointer, holdsPointer, pendingList, waitForInstances, type WaitOptions } from './model-wait.js';

export interface ReleaseModelOptions {
  environment: string;
  /** The artifact directory (`mod model train --out`). */
  model: string;
  overrides?: ModelGateOverride[];
  reason?: string;
  signal: AbortSignal;
  events: DeliveryEvents;
  /** How long the instances are given to load the model (each wait); default 120 s. */
  timeoutMs?: number;
  /** Nobody can answer here (CI): a Marginal canary with onMarginal pause fails saying so. */
  unattended?: boolean;
  /** The model gate's tolerance (absolute, 0.01 = one point). */
  tolerance?: number;
  /** The code commit this model comes with (`mod deploy --release-model`); default: the env's deployed commit. */
  commit?: string;
  now?: () => Date;
  /** Tests: shorter poll intervals. */
  wait?: Pick<WaitOptions, 'pollMs' | 'unaskedWaitMs'>;
}

export interface ModelReleaseOutcome {
  record: DeploymentRecord;
  environment: Environment;
  gates: ModelGateReport;
}

export class ModelGateRefusedError extends ModError {
  constructor(readonly report: ModelGateReport) {
    const failed = report.gates.filter((g) => g.status === 'fail').map((g) => g.name);
    super('GATE_REFUSED', `release gates refused model ${report.candidate} for ${report.environment}: ${failed.join(', ')}`, {
      hint: 'do what each failing gate says, or let one through with --override <gate> --reason "..." (recorded)',
      exitCode: ExitCode.GateRefused,
    });
  }
}

/** What a model release's steps share. */
export interface ModelReleaseContext {
  ws: Workspace;
  env: Environment;
  provider: Provider;
  store: ModelStore;
  notifier: Notifier;
  initiator: string;
  events: DeliveryEvents;
}

export async function openModelRelease(ws: Workspace, environment: string, events: DeliveryEvents): Promise<ModelReleaseContext> {
  const env = ws.environment(environment);
  const provider = await ws.provider(env);
  const store = provider.models(env);
  const initiator = await ws.initiator();
  const notifier = await ws.notifier((message) => events({ type: 'notice', level: 'warn', message }));
  return { ws, env, provider, store, notifier, initiator, events };
}

export async function releaseModel(ws: Workspace, options: ReleaseModelOptions): Promise<ModelReleaseOutcome> {
  const candidate = await readCandidate(options.model);
  const ctx = await openModelRelease(ws, options.environment, options.events);
  const { env, provider, store, notifier, initiator } = ctx;
  const manifest = candidate.manifest;
  const version = manifest.version;
  const checksum = manifest.checksum.value;
  return withEnvironmentLock(ws, env, `mod model release --env ${env.name}`, options.events, async () => {
    // Refused before any record is written (an unversioned bucket on AWS).
    await store.ready?.(env);
    await closeAbandonedModelReleases(store, env, `mod model release (pid ${process.pid})`, options.events);
    const pointer = await store.readPointer(env);
    if (sameModel(pointer?.live, { version, checksum })) {
      // The release that made it live, as mod status names it (a shadow write gives the pointer its own id).
      const made = madeLive(await store.releases(env, 200), pointer!.live)?.deploymentId ?? pointer!.releaseId;
      throw new UsageError(`model ${version} is already live in ${env.name} (released ${made})`, 'nothing to release; mod status shows what each instance holds');
    }
    const commit = options.commit ?? (await deployedCommit(provider, env));
    const about = aboutModel(ctx, commit, version);

    const gates = await judgeModelGates(ws, env, provider, store, { candidate, pointer, overrides: options.overrides ?? [], initiator, events: options.events, tolerance: options.tolerance, now: options.now });
    if (!gates.passed) {
      const failed = gates.gates.filter((g) => g.status === 'fail');
      await notifier.notify({ ...about, kind: 'gate.refused', detail: failed.map((g) => `${g.name}: ${g.reason}`).join('\n') });
      throw new ModelGateRefusedError(gates);
    }
    for (const o of gates.overrides) await notifier.notify({ ...about, kind: 'gate.overridden', detail: `${o.gate} overridden by ${o.by}: ${o.reason}` });

    // The canary reads the env's database: know it before anything is published.
    const canarySettings = env.canary && pointer ? env.canary : undefined;
    const databaseUrl = canarySettings ? await provider.databaseUrl(env) : undefined;
    if (canarySettings && !databaseUrl) throw new UsageError(`the model canary of ${env.name} reads its database, and none is known`, `set environments.${env.name}.databaseUrl, or start the environment with mod deploy --env ${env.name}`);

    const record = newModelRecord(ctx, {
      reason: options.reason,
      commit,
      model: { action: 'release', version, checksum, location: candidate.path, dataFingerprint: manifest.training.fingerprint, ...(trainingLabels(manifest) ? { labels: trainingLabels(manifest) } : {}), previous: previousOf(pointer), gate: gateRecord(gates) },
    });
    const id = record.deploymentId;
    record.gates = gates.gates.map(({ name, status, reason, overridden }) => ({ name, status, reason, ...(overridden ? { overridden } : {}) }));
    const save = () => store.saveRelease(env, record);
    await save();
    await notifier.notify({ ...about, kind: 'model.started', deploymentId: id });
    options.events({ type: 'notice', level: 'info', message: `releasing model ${version} to ${env.name} (${id}); live now: ${pointer ? `${pointer.live.version} (${pointer.releaseId})` : 'the bundled model'}` });

    const wait = { timeoutMs: options.timeoutMs, ...options.wait };
    try {
      const ref = await store.publish(env, candidate.path, { version, checksum });
      record.model = publishedAt(record.model!, ref);
      await save();

      if (!canarySettings) {
        const why = env.canary
          ? { reason: `no model is released to ${env.name} yet: nothing to compare with (the instances decide with their bundled model)`, note: 'first model release: no released model to compare with' }
          : { reason: `${env.name} has no canary: settings (environments.${env.name}.canary in mod.config.yml): the model goes live on every instance at once`, note: `${env.name} has no canary: settings` };
        options.events({ type: 'canary', phase: 'skipped', reason: why.reason });
        record.canary = { status: 'Skipped', note: why.note, canaryInstances: [], baselineInstances: [] };
      }
      if (canarySettings && pointer) {
        const result = await runModelCanary({
          env,
          settings: canarySettings,
          store,
          pointer,
          candidate: ref,
          releaseId: id,
          openDatabase: () => ws.openReleaseDatabase(databaseUrl!),
          unattended: Boolean(options.unattended),
          signal: options.signal,
          events: options.events,
          wait,
          save: async (canary) => {
            record.canary = canary;
            await save();
          },
        });
        record.canary = result.canary;
        if (!result.proceed) {
          await fail(ctx, record, pointer, result.error!, about, 'Failed', wait);
          return { record, environment: env, gates };
        }
      }

      // The release: live is the candidate; a shadow is kept unless it is the candidate.
      const shadow = pointer?.shadow && !sameModel(pointer.shadow, ref) ? pointer.shadow : undefined;
      if (pointer?.shadow && !shadow)
        options.events({
          type: 'notice',
          level: 'info',
          message: `model ${version} was the shadow of ${env.name}: released as live, it is no shadow any more (nothing shadows now; a rollback does not bring the shadow back; set one with mod model shadow --env ${env.name} --model <dir>)`,
        });
      await store.writePointer(env, newPointer(env, id, { live: ref, shadow }));
      const loaded = await waitForInstances(store, env, (m) => m.version === version && m.source === 'released', { ...wait, what: `model ${version} as live`, signal: options.signal, events: options.events });
      if (!loaded.loaded) {
        await fail(
          ctx,
          record,
          pointer,
          {
            code: 'MODEL_NOT_LOADED',
            message: `not every instance of ${env.name} loaded model ${version}: ${describePending(loaded.pending)}`,
            hint: `the pointer is back to ${pointer ? `model ${pointer.live.version}` : 'the bundled model'}; see why with mod logs --env ${env.name}`,
          },
          about,
          'Failed',
          wait,
        );
        return { record, environment: env, gates };
      }
      record.status = 'Succeeded';
      record.endedAt = new Date().toISOString();
      await save();
      await notifier.notify({ ...about, kind: 'model.released', status: record.status, deploymentId: id, durationMs: Date.parse(record.endedAt) - Date.parse(record.startedAt), canary: canaryNotice(record.canary) });
      return { record, environment: env, gates };
    } catch (error) {
      await settleThrown(ctx, record, pointer, about, wait, 'model release', error);
      return { record, environment: env, gates };
    }
  });
}

export type { About } from './model-record.js';

/** How long the instances are given to report the pointer put back (a release's own wait). */
export type RestoreWait = Pick<WaitOptions, 'timeoutMs' | 'pollMs' | 'unaskedWaitMs'>;

/**
 * Puts the pointer back as it was (or clears it), records the failure (a
 * canary without a verdict as ended: stopped before one), tells the team;
 * then waits until the instances report the pointer put back, where they
 * can be asked, and records whether they did. The record is saved before
 * that wait: a second Ctrl-C (which quits at once) leaves it consistent.
 */
export async function fail(ctx: ModelReleaseContext, record: DeploymentRecord, pointer: ModelPointer | null, error: DeploymentError, about: About, status: 'Failed' | 'Stopped', wait?: RestoreWait): Promise<void> {
  // The record is saved even when the pointer cannot be put back (an SSM or file write failing): it says so, and the failure is thrown after.
  const unrestored = await restorePointer(ctx.store, ctx.env, pointer).then(
    () => undefined,
    (cause: unknown) => cause as Error,
  );
  record.status = status;
  record.error = unrestored
    ? {
        ...error,
        message: `${error.message}; and the pointer could not be put back: ${unrestored.message}`,
        hint: `the instances may still decide with what this release wrote: put it back with mod model rollback --env ${ctx.env.name} once the store answers (mod status shows what each instance holds)`,
      }
    : error;
  record.endedAt = new Date().toISOString();
  if (record.canary?.status === 'Running') record.canary = { ...record.canary, status: 'Judged', endedAt: record.endedAt, note: 'stopped before a verdict', outcome: 'rolled-back' };
  await ctx.store.saveRelease(ctx.env, record);
  await ctx.notifier.notify({ ...about, kind: 'model.failed', status, deploymentId: record.deploymentId, detail: record.error.message, canary: canaryNotice(record.canary) });
  if (unrestored) throw unrestored;
  if (!wait || !record.model) return;
  record.model = { ...record.model, restored: await waitForRestored(ctx, pointer, wait) };
  await ctx.store.saveRelease(ctx.env, record);
}

/** Waits (the release's own bound) for the instances to report `pointer` again, and says whether they did. Ctrl-C was pressed already: this wait ignores it (a second one quits). */
export async function waitForRestored(ctx: ModelReleaseContext, pointer: ModelPointer | null, wait: RestoreWait): Promise<NonNullable<ModelReleaseInfo['restored']>> {
  const { env, events } = ctx;
  const what = describePointer(pointer);
  const result = await waitForInstances(ctx.store, env, holdsPointer(pointer), { ...wait, what: `${what} again`, signal: new AbortController().signal, events }).catch(() => undefined);
  if (!result) return { asked: false, loaded: false, pending: [] };
  if (!result.loaded) {
    const pending = pendingList(result.pending);
    events({ type: 'notice', level: 'warn', message: `the pointer of ${env.name} is back, but not every instance reports ${what} yet: ${pending.join('; ')}; they read it on their next poll (mod status shows each)` });
    return { asked: true, loaded: false, pending };
  }
  if (result.asked && result.instances.length) events({ type: 'notice', level: 'info', message: `every instance of ${env.name} reports ${what} again` });
  return { asked: result.asked, loaded: true, pending: [] };
}

/**
 * The catch of every pointer change (release, rollback, shadow): the pointer
 * goes back as it was; an interrupt is recorded Stopped and returns, anything
 * else Failed and is thrown again.
 */
export async function settleThrown(ctx: ModelReleaseContext, record: DeploymentRecord, pointer: ModelPointer | null, about: About, wait: RestoreWait, what: string, error: unknown): Promise<void> {
  // Thrown by fail() itself (the pointer could not be put back): the record already says so.
  if (record.status !== 'InProgress') throw error;
  if (error instanceof InterruptedError) {
    record.stopReason = 'interrupted (Ctrl-C or a signal)';
    await fail(ctx, record, pointer, { code: 'INTERRUPTED', message: `the ${what} was interrupted` }, about, 'Stopped', wait);
    return;
  }
  await fail(ctx, record, pointer, { code: error instanceof ModError ? error.code : 'UNEXPECTED', message: (error as Error).message }, about, 'Failed', wait).catch(() => undefined);
  throw error;
}

/** The pointer as it was before: written again (its own release id), or cleared when there was none. */
export async function restorePointer(store: ModelStore, env: Environment, pointer: ModelPointer | null): Promise<void> {
  if (pointer) await store.writePointer(env, { ...pointer, updatedAt: new Date().toISOString() });
  else await store.clearPointer(env);
}
