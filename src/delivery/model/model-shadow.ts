// `mod model shadow`: a model that scores every post next to the live one
// without deciding (issue 13); its answers are stored with the posts
// (migration 0003) to compare later. --stop clears it. Only the pointer's
// shadow changes; the env's lock is taken as for every pointer write.
//
// With nothing released, the shadow needs a live model to sit next to: the
// deployed commit's models/default (the model its instances decide with) is
// released as the live one first, recorded as a release of its own, so the
// decisions do not change and `mod model rollback` returns to the bundle.
import { UsageError } from '../../errors.js';
import type { Environment } from '../config.js';
import { withEnvironmentLock } from '../deploy.js';
import { closeAbandonedModelReleases } from './model-abandoned.js';
import type { DeploymentRecord } from '../deployment.js';
import type { DeliveryEvents } from '../events.js';
import type { ModelPointer } from '../../moderation/model-pointer.js';
import type { Workspace } from '../workspace.js';
import { BUNDLED_MODEL_DIR, withBundledModel } from './deployed-model.js';
import { aboutModel, deployedCommit, newModelRecord, newPointer, previousOf, publishedAt, readCandidate, sameModel, trainingLabels } from './model-record.js';
import { fail, openModelRelease, settleThrown } from './model-release.js';
import { describePending, waitForInstances, type WaitOptions } from './model-wait.js';

export interface ShadowModelOptions {
  environment: string;
  /** The artifact to shadow; unset with `stop`. */
  model?: string;
  stop?: boolean;
  reason?: string;
  signal: AbortSignal;
  events: DeliveryEvents;
  timeoutMs?: number;
  wait?: Pick<WaitOptions, 'pollMs' | 'unaskedWaitMs'>;
}

export interface ModelShadowOutcome {
  record: DeploymentRecord;
  environment: Environment;
}

export async function shadowModel(ws: Workspace, options: ShadowModelOptions): Promise<ModelShadowOutcome> {
  if (Boolean(options.stop) === Boolean(options.model)) throw new UsageError(options.stop ? '--stop takes no --model' : 'give --model <dir> (the model to shadow) or --stop', `mod model shadow --env ${options.environment} --model <dir>, or --stop to clear the shadow`);
  const candidate = options.model ? await readCandidate(options.model) : undefined;
  const ctx = await openModelRelease(ws, options.environment, options.events);
  const { env, provider, store, notifier } = ctx;
  return withEnvironmentLock(ws, env, `mod model shadow --env ${env.name}`, options.events, async () => {
    // Refused before any record is written (an unversioned bucket on AWS).
    await store.ready?.(env);
    await closeAbandonedModelReleases(store, env, `mod model shadow (pid ${process.pid})`, options.events);
    const released = await store.readPointer(env);
    if (!released && !candidate) throw new UsageError(`${env.name} has no shadow model to stop`, 'mod status shows its models');
    // Nothing released: pin the deployed bundle's model as live (its own release record), then shadow next to it.
    const pinned = released ? undefined : await pinBundledModel(ws, ctx, options.events);
    const pointer = released ?? pinned!.pointer;
    if (!candidate && !pointer.shadow) throw new UsageError(`${env.name} has no shadow model to stop`, 'mod status shows its models');
    const manifest = candidate?.manifest;
    if (manifest && sameModel(pointer.live, { version: manifest.version, checksum: manifest.checksum.value })) throw new UsageError(`model ${manifest.version} is the live model of ${env.name}: it cannot shadow itself`);
    if (manifest && sameModel(pointer.shadow, { version: manifest.version, checksum: manifest.checksum.value }))
      throw new UsageError(`model ${manifest.version} already shadows the live ${pointer.live.version} in ${env.name} (pointer written by ${pointer.releaseId}): nothing to change`, `mod model shadow-report --env ${env.name} compares its answers; --stop clears it`);
    const version = manifest?.version ?? pointer.shadow!.version;
    const commit = await deployedCommit(provider, env);
    const about = aboutModel(ctx, commit, version);
    const record = newModelRecord(ctx, {
      reason: options.reason,
      commit,
      model: manifest
        ? { action: 'shadow', version, checksum: manifest.checksum.value, location: candidate!.path, dataFingerprint: manifest.training.fingerprint, ...(trainingLabels(manifest) ? { labels: trainingLabels(manifest) } : {}), previous: previousOf(pointer) }
        : { action: 'unshadow', version, checksum: pointer.shadow!.checksum, location: pointer.shadow!.location, dataFingerprint: '', previous: previousOf(pointer) },
    });
    const id = record.deploymentId;
    await store.saveRelease(env, record);
    const wait = { timeoutMs: options.timeoutMs, ...options.wait, signal: options.signal, events: options.events };
    try {
      const ref = manifest ? await store.publish(env, candidate!.path, { version, checksum: manifest.checksum.value }) : undefined;
      if (ref) record.model = publishedAt(record.model!, ref);
      await store.writePointer(env, newPointer(env, id, { live: pointer.live, shadow: ref, canary: pointer.canary }));
      options.events({ type: 'notice', level: 'info', message: ref ? `model ${version} shadows the live ${pointer.live.version} in ${env.name}: it scores every post, never decides (${id})` : `the shadow model ${version} of ${env.name} is cleared (${id})` });
      const loaded = await waitForInstances(store, env, (m) => (ref ? m.shadow === version : m.shadow === null), { ...wait, what: ref ? `model ${version} as the shadow` : 'no shadow model' });
      if (!loaded.loaded) {
        await fail(
          ctx,
          record,
          released,
          {
            code: 'MODEL_NOT_LOADED',
            message: `not every instance of ${env.name} ${ref ? `loaded the shadow model ${version}` : 'dropped the shadow model'}: ${describePending(loaded.pending)}`,
            hint: `the pointer is back as it was; see why with mod logs --env ${env.name}`,
          },
          about,
          'Failed',
          wait,
        );
        return { record, environment: env };
      }
      record.status = 'Succeeded';
      record.endedAt = new Date().toISOString();
      if (pinned) await store.saveRelease(env, { ...pinned.record, status: 'Succeeded', endedAt: record.endedAt });
      await store.saveRelease(env, record);
      await notifier.notify({ ...about, kind: 'model.shadow', status: 'Succeeded', deploymentId: id, detail: ref ? `shadows the live ${pointer.live.version}` : 'shadow stopped' });
      return { record, environment: env };
    } catch (error) {
      await settleThrown(ctx, record, released, about, wait, 'shadow change', error);
      return { record, environment: env };
    }
  });
}

/**
 * The deployed commit's models/default, published as the env's live model
 * (not written to the pointer: the shadow's write names both): what a shadow
 * sits next to when nothing was released. Refused when the instances say
 * they decide with another bundled model (a build that trains or picks its own).
 */
async function pinBundledModel(ws: Workspace, ctx: Awaited<ReturnType<typeof openModelRelease>>, events: DeliveryEvents): Promise<{ pointer: ModelPointer; record: DeploymentRecord }> {
  const { env, provider, store } = ctx;
  const commit = await deployedCommit(provider, env);
  if (!commit) throw new UsageError(`${env.name} has no successful code deployment: a shadow scores next to the model its instances decide with`, `deploy first: mod deploy --env ${env.name}`);
  return withBundledModel(ws, commit, async (dir) => {
    const candidate = await readCandidate(dir).catch(() => {
      throw new UsageError(`nothing is released to ${env.name} and its deployed commit ${commit.slice(0, 8)} has no ${BUNDLED_MODEL_DIR}: there is no live model for a shadow to sit next to`, `release one first: mod model release --env ${env.name} --model <dir>`);
    });
    const { manifest } = candidate;
    const instances = (await store.instanceModels(env)) ?? [];
    const other = instances.find((i) => i.model && i.model.bundled !== manifest.version);
    if (other) {
      throw new UsageError(
        `nothing is released to ${env.name}, and its instances decide with bundled model ${other.model!.bundled}, not ${BUNDLED_MODEL_DIR} of ${commit.slice(0, 8)} (${manifest.version})`,
        `release the live model first: mod model release --env ${env.name} --model <dir of ${other.model!.bundled}>`,
      );
    }
    const ref = await store.publish(env, dir, { version: manifest.version, checksum: manifest.checksum.value });
    const record = newModelRecord(ctx, {
      reason: 'pinned as the live model for a shadow (nothing was released)',
      commit,
      model: { action: 'release', version: ref.version, checksum: ref.checksum, location: ref.location, ...(ref.objectVersions ? { objectVersions: ref.objectVersions } : {}), dataFingerprint: manifest.training.fingerprint, previous: null },
    });
    const id = record.deploymentId;
    events({
      type: 'notice',
      level: 'info',
      message: `nothing was released to ${env.name}: its bundled model ${manifest.version} (${BUNDLED_MODEL_DIR} of ${commit.slice(0, 8)}) is released as the live model, deciding as before, for the shadow to sit next to (${id}; mod model rollback returns to the bundle)`,
    });
    return { pointer: newPointer(env, id, { live: ref }), record };
  });
}
