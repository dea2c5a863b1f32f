// `mod model shadow`: a model that scores every post next to the live one
// without deciding (issue 13); its answers are stored with the posts
// (migration 0003) to compare later. --stop clears it. Only the pointer's
// shadow changes; the env's lock is taken as for every pointer write.
import { InterruptedError, ModError, UsageError } from '../../errors.js';
import type { Environment } from '../config.js';
import { withEnvironmentLock } from '../deploy.js';
import type { DeploymentRecord } from '../deployment.js';
import type { DeliveryEvents } from '../events.js';
import type { Workspace } from '../workspace.js';
import { deployedCommit, newModelRecord, newModelReleaseId, newPointer, previousOf, readCandidate, sameModel, trainingLabels } from './model-record.js';
import { fail, openModelRelease } from './model-release.js';
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
  const { env, provider, store, notifier, initiator } = ctx;
  return withEnvironmentLock(ws, env, `mod model shadow --env ${env.name}`, options.events, async () => {
    const pointer = await store.readPointer(env);
    if (!pointer) {
      throw new UsageError(`no model is released to ${env.name}: a shadow scores next to a released live model`, `release one first, e.g. the bundled one: mod model release --env ${env.name} --model models/default`);
    }
    if (!candidate && !pointer.shadow) throw new UsageError(`${env.name} has no shadow model to stop`, 'mod status shows its models');
    const manifest = candidate?.manifest;
    if (manifest && sameModel(pointer.live, { version: manifest.version, checksum: manifest.checksum.value })) throw new UsageError(`model ${manifest.version} is the live model of ${env.name}: it cannot shadow itself`);
    const version = manifest?.version ?? pointer.shadow!.version;
    const commit = await deployedCommit(provider, env);
    const about = { environment: env.name, commit, subject: `model ${version}`, initiator, model: version };
    const id = newModelReleaseId();
    const record = newModelRecord({
      id,
      env,
      provider,
      initiator,
      reason: options.reason,
      commit,
      model: manifest
        ? { action: 'shadow', version, checksum: manifest.checksum.value, location: candidate!.path, dataFingerprint: manifest.training.fingerprint, ...(trainingLabels(manifest) ? { labels: trainingLabels(manifest) } : {}), previous: previousOf(pointer) }
        : { action: 'unshadow', version, checksum: pointer.shadow!.checksum, location: pointer.shadow!.location, dataFingerprint: '', previous: previousOf(pointer) },
    });
    await store.saveRelease(env, record);
    const wait = { timeoutMs: options.timeoutMs, ...options.wait, signal: options.signal, events: options.events };
    try {
      const ref = manifest ? await store.publish(env, candidate!.path, { version, checksum: manifest.checksum.value }) : undefined;
      if (ref) record.model = { ...record.model!, location: ref.location, ...(ref.objectVersions ? { objectVersions: ref.objectVersions } : {}) };
      await store.writePointer(env, newPointer(env, id, { live: pointer.live, shadow: ref, canary: pointer.canary }));
      options.events({ type: 'notice', level: 'info', message: ref ? `model ${version} shadows the live ${pointer.live.version} in ${env.name}: it scores every post, never decides (${id})` : `the shadow model ${version} of ${env.name} is cleared (${id})` });
      const loaded = await waitForInstances(store, env, (m) => (ref ? m.shadow === version : m.shadow === null), { ...wait, what: ref ? `model ${version} as the shadow` : 'no shadow model' });
      if (!loaded.loaded) {
        await fail(
          ctx,
          record,
          pointer,
          {
            code: 'MODEL_NOT_LOADED',
            message: `not every instance of ${env.name} ${ref ? `loaded the shadow model ${version}` : 'dropped the shadow model'}: ${describePending(loaded.pending)}`,
            hint: `the pointer is back as it was; see why with mod logs --env ${env.name}`,
          },
          about,
          'Failed',
        );
        return { record, environment: env };
      }
      record.status = 'Succeeded';
      record.endedAt = new Date().toISOString();
      await store.saveRelease(env, record);
      await notifier.notify({ ...about, kind: 'model.shadow', status: 'Succeeded', deploymentId: id, detail: ref ? `shadows the live ${pointer.live.version}` : 'shadow stopped' });
      return { record, environment: env };
    } catch (error) {
      if (error instanceof InterruptedError) {
        record.stopReason = 'interrupted (Ctrl-C or a signal)';
        await fail(ctx, record, pointer, { code: 'INTERRUPTED', message: 'interrupted' }, about, 'Stopped');
        return { record, environment: env };
      }
      await fail(ctx, record, pointer, { code: error instanceof ModError ? error.code : 'UNEXPECTED', message: (error as Error).message }, about, 'Failed').catch(() => undefined);
      throw error;
    }
  });
}
