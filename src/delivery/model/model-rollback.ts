// `mod model rollback`: the env's live model before the current one, in
// seconds (issue 13): no gate, no canary, only the pointer. The target is the
// newest Succeeded release or rollback of another model that no rollback
// has rolled away from (so a second rollback goes further back, never to the
// model the first one removed); when there is none, the pointer is cleared:
// the instances go back to their bundled model.
import { UsageError } from '../../errors.js';
import type { ModelPointer, ModelRef } from '../../moderation/model-pointer.js';
import type { Environment } from '../config.js';
import { withEnvironmentLock } from '../deploy.js';
import { closeAbandonedModelReleases } from './model-abandoned.js';
import type { DeploymentRecord } from '../deployment.js';
import type { DeliveryEvents } from '../events.js';
import type { Workspace } from '../workspace.js';
import { aboutModel, deployedCommit, madeLive, newModelRecord, newPointer, previousOf, refOf, sameModel } from './model-record.js';
import { fail, openModelRelease, settleThrown } from './model-release.js';
import { ModelPointerInvalidError } from './model-pointer-error.js';
import type { ModelStore } from './model-store.js';
import { describePending, waitForInstances, type WaitOptions } from './model-wait.js';

/** What a rollback to the bundled model records as its version (no artifact: each instance's own bundle decides). */
export const BUNDLED_VERSION = 'bundled';

export interface RollbackModelOptions {
  environment: string;
  reason?: string;
  signal: AbortSignal;
  events: DeliveryEvents;
  timeoutMs?: number;
  wait?: Pick<WaitOptions, 'pollMs' | 'unaskedWaitMs'>;
  /** `--to bundled`: clear the pointer whatever it holds, even one that cannot be read (MODEL_POINTER_INVALID). */
  toBundled?: boolean;
}

export interface ModelRollbackOutcome {
  record: DeploymentRecord;
  environment: Environment;
  /** The model rolled back to; null: the bundled model. */
  target: ModelRef | null;
}

/** The release records' answer: the model to go back to (null: the bundled model). */
export function rollbackTarget(records: readonly DeploymentRecord[], current: Pick<ModelRef, 'version' | 'checksum'>): ModelRef | null {
  // Newest first: a model that a later rollback went away from was judged bad, and is not a target again
  // (a release of it after that rollback is, as it was released on purpose).
  const rolledAway: Pick<ModelRef, 'version' | 'checksum'>[] = [];
  let found: DeploymentRecord | undefined;
  for (const r of records) {
    if (r.status !== 'Succeeded' || !r.model || (r.model.action !== 'release' && r.model.action !== 'rollback')) continue;
    if (!sameModel(r.model, current) && !rolledAway.some((bad) => sameModel(bad, r.model))) {
      found = r;
      break;
    }
    if (r.model.action === 'rollback' && r.model.previous) rolledAway.push(r.model.previous);
  }
  if (!found?.model || found.model.version === BUNDLED_VERSION) return null;
  return refOf(found.model);
}

function nothingReleased(env: Environment): UsageError {
  return new UsageError(`no model is released to ${env.name}: its instances decide with their bundled model already`, `nothing to roll back; mod history --env ${env.name} lists the model releases`);
}

/** The pointer, or the error of one that cannot be read (what `--to bundled` replaces). */
async function readPointerOrBroken(store: ModelStore, env: Environment): Promise<{ pointer: ModelPointer | null; broken?: ModelPointerInvalidError }> {
  try {
    return { pointer: await store.readPointer(env) };
  } catch (error) {
    if (error instanceof ModelPointerInvalidError) return { pointer: null, broken: error };
    throw error;
  }
}

/** Refuses a rollback with nothing released before anything is asked (mod model rollback checks it before --yes); `--to bundled` takes a pointer that cannot be read. */
export async function assertModelReleased(ws: Workspace, environment: string, options: { toBundled?: boolean } = {}): Promise<void> {
  const env = ws.environment(environment);
  const store = (await ws.provider(env)).models(env);
  const read = options.toBundled ? await readPointerOrBroken(store, env) : { pointer: await store.readPointer(env) };
  if (!read.pointer && !('broken' in read && read.broken)) throw nothingReleased(env);
}

export async function rollbackModel(ws: Workspace, options: RollbackModelOptions): Promise<ModelRollbackOutcome> {
  const ctx = await openModelRelease(ws, options.environment, options.events);
  const { env, provider, store, notifier } = ctx;
  return withEnvironmentLock(ws, env, `mod model rollback --env ${env.name}`, options.events, async () => {
    await closeAbandonedModelReleases(store, env, `mod model rollback (pid ${process.pid})`, options.events);
    const { pointer, broken } = options.toBundled ? await readPointerOrBroken(store, env) : { pointer: await store.readPointer(env), broken: undefined };
    if (!pointer && !broken) throw nothingReleased(env);
    const records = await store.releases(env, 200);
    const target = pointer && !options.toBundled ? rollbackTarget(records, pointer.live) : null;
    const from = pointer ? `model ${pointer.live.version}` : 'a pointer that cannot be read';
    const version = target?.version ?? BUNDLED_VERSION;
    const commit = await deployedCommit(provider, env);
    const about = aboutModel(ctx, commit, version);
    const record = newModelRecord(ctx, {
      reason: options.reason,
      commit,
      // The release that made the current model live (a shadow write gives the pointer its own id).
      ...(pointer ? { rollbackOf: madeLive(records, pointer.live)?.deploymentId ?? pointer.releaseId } : {}),
      model: { action: 'rollback', version, checksum: target?.checksum ?? '', location: target?.location ?? '', ...(target?.objectVersions ? { objectVersions: target.objectVersions } : {}), dataFingerprint: '', previous: previousOf(pointer) },
    });
    const id = record.deploymentId;
    const fingerprint = target ? records.find((r) => r.model && sameModel(r.model, target))?.model?.dataFingerprint : undefined;
    if (fingerprint) record.model!.dataFingerprint = fingerprint;
    await store.saveRelease(env, record);
    options.events({
      type: 'notice',
      level: 'info',
      message: broken
        ? `the model pointer of ${env.name} cannot be read (${broken.message}): it is cleared, the instances go back to their bundled model (${id})`
        : target
          ? `rolling ${env.name} back from ${from} to ${target.version} (${id})`
          : `rolling ${env.name} back from ${from}${options.toBundled ? '' : ', its first release,'} to the bundled model: the pointer is cleared (${id})`,
    });

    const wait = { timeoutMs: options.timeoutMs, ...options.wait, signal: options.signal, events: options.events };
    try {
      if (target) {
        const shadow = pointer?.shadow && !sameModel(pointer.shadow, target) ? pointer.shadow : undefined;
        await store.writePointer(env, newPointer(env, id, { live: target, shadow }));
      } else {
        await store.clearPointer(env);
      }
      const loaded = await waitForInstances(store, env, (m) => (target ? m.version === target.version && m.source === 'released' : m.source === 'bundled'), { ...wait, what: target ? `model ${target.version} as live` : 'their bundled model' });
      if (!loaded.loaded) {
        await fail(
          ctx,
          record,
          pointer,
          {
            code: 'MODEL_NOT_LOADED',
            message: `not every instance of ${env.name} went back to ${target ? `model ${target.version}` : 'the bundled model'}: ${describePending(loaded.pending)}`,
            hint: `${pointer ? `the pointer is back to model ${pointer.live.version}` : 'the pointer stays cleared'}; see why with mod logs --env ${env.name}`,
          },
          about,
          'Failed',
          wait,
        );
        return { record, environment: env, target };
      }
      if (!target && loaded.instances[0]?.model) record.revision.subject = `model ${BUNDLED_VERSION} (${loaded.instances[0].model.bundled})`;
      record.status = 'Succeeded';
      record.endedAt = new Date().toISOString();
      await store.saveRelease(env, record);
      await notifier.notify({
        ...about,
        kind: 'model.rolledback',
        status: 'Succeeded',
        deploymentId: id,
        durationMs: Date.parse(record.endedAt) - Date.parse(record.startedAt),
        detail: pointer ? `from ${pointer.live.version} (${pointer.releaseId})` : 'from a pointer that could not be read',
      });
      return { record, environment: env, target };
    } catch (error) {
      await settleThrown(ctx, record, pointer, about, wait, 'model rollback', error);
      return { record, environment: env, target };
    }
  });
}
