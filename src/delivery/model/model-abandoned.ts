// A model release, rollback or shadow change whose `mod` died (kill -9, a
// closed terminal, a crash) leaves its record `InProgress` forever, and may
// leave the pointer naming what it wrote (a canary, a new live model).
// Whoever takes the environment's lock next for a model command closes such
// records `Stopped` (DEPLOYMENT_ABANDONED, as code deploys do) and, where the
// pointer is still the one the dead release wrote, puts the live model back
// as the record says it was; the record says what was done.
import { hostname } from 'node:os';
import type { ModelPointer } from '../../moderation/model-pointer.js';
import { isAlive } from '../deploy-lock.js';
import type { DeploymentRecord } from '../deployment.js';
import type { Environment } from '../config.js';
import type { DeliveryEvents } from '../events.js';
import { ModelPointerInvalidError } from './model-pointer-error.js';
import type { ModelStore } from './model-store.js';
import { madeLive, newPointer, refOf, sameModel } from './model-record.js';

/** The host a model record's pid is on: a pid is only judged dead on its own host. */
export const THIS_HOST = hostname();

/** InProgress, started on this host (or one not recorded), and its process is gone. */
export function isAbandonedModelRelease(record: DeploymentRecord): boolean {
  if (record.kind !== 'model' || record.status !== 'InProgress') return false;
  if (record.host !== undefined && record.host !== THIS_HOST) return false;
  return record.pid === undefined || !isAlive(record.pid);
}

/**
 * What the pointer becomes once `record` (abandoned) is closed: undefined
 * when the pointer is not the one it wrote (nothing to put back).
 */
function putBack(env: Environment, record: DeploymentRecord, pointer: ModelPointer | null, records: readonly DeploymentRecord[]): { pointer: ModelPointer | null; says: string } | undefined {
  const info = record.model!;
  const previous = info.previous ? refOf(info.previous) : null;
  const wrote = pointer?.releaseId === record.deploymentId;
  // A release (its canary or its live write) or a rollback that wrote the pointer, or a rollback to the bundled model that cleared it.
  const changed = (info.action === 'release' && wrote) || (info.action === 'rollback' && (wrote || (pointer === null && !info.checksum)));
  if (!changed) return undefined;
  if (!previous) return { pointer: null, says: 'the pointer it had written is cleared: the bundled model decides again' };
  const releaseId = madeLive(records, previous)?.deploymentId ?? record.rollbackOf ?? record.deploymentId;
  return { pointer: newPointer(env, releaseId, { live: previous, shadow: pointer?.shadow && !sameModel(pointer.shadow, previous) ? pointer.shadow : undefined }), says: `the pointer it had written is put back: model ${previous.version} is live again` };
}

/**
 * Closes the env's abandoned model records (call it holding the env's
 * lock): each `Stopped` with DEPLOYMENT_ABANDONED, the pointer put back
 * where that record had changed it. Returns the closed records.
 */
export async function closeAbandonedModelReleases(store: ModelStore, env: Environment, takenOverBy: string, events: DeliveryEvents): Promise<DeploymentRecord[]> {
  const records = await store.releases(env, 200);
  const abandoned = records.filter(isAbandonedModelRelease);
  if (!abandoned.length) return [];
  // Oldest first: the newest one's put-back is the last word.
  abandoned.reverse();
  const closed: DeploymentRecord[] = [];
  for (const record of abandoned) {
    const pointer = await store.readPointer(env).catch((error: unknown) => {
      if (error instanceof ModelPointerInvalidError) return error;
      throw error;
    });
    const back = pointer instanceof ModelPointerInvalidError ? undefined : putBack(env, record, pointer, records);
    let state: string;
    if (pointer instanceof ModelPointerInvalidError) {
      state = `the pointer cannot be read, so it is left as it is (${pointer.message}): ${pointer.hint}`;
    } else if (back) {
      if (back.pointer) await store.writePointer(env, back.pointer);
      else await store.clearPointer(env);
      state = back.says;
    } else if (pointer?.releaseId === record.deploymentId) {
      state = `the pointer still holds what it wrote (${record.model!.action === 'shadow' ? `shadow model ${record.model!.version}, which never decides: clear it with mod model shadow --env ${env.name} --stop` : `no shadow: set one with mod model shadow --env ${env.name} --model <dir>`})`;
    } else {
      state = 'the pointer was not changed by it';
    }
    const died = record.pid === undefined ? 'its mod process died' : `its mod process (pid ${record.pid}) died`;
    const reason = `${died}; lock taken over by ${takenOverBy}; ${state}`;
    const now = new Date().toISOString();
    record.status = 'Stopped';
    record.stopReason = reason;
    record.endedAt = now;
    if (record.canary?.status === 'Running') record.canary = { ...record.canary, status: 'Judged', endedAt: now, note: 'its process died before a verdict', outcome: 'rolled-back' };
    record.error ??= { code: 'DEPLOYMENT_ABANDONED', message: reason, hint: `mod status --env ${env.name} shows what each instance holds; release again if you still want it` };
    delete record.pid;
    await store.saveRelease(env, record);
    events({ type: 'notice', level: 'warn', message: `closed abandoned model ${record.model!.action} ${record.deploymentId} (${record.model!.version}): ${reason}` });
    closed.push(record);
  }
  return closed;
}
