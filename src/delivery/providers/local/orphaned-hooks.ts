// What a deploying `mod` that died (kill -9, a closed terminal, a crash)
// leaves behind: its record `InProgress` forever and the hook it was running
// still going, in its own process group. Whoever takes the environment's lock
// next closes such records (`Stopped`, saying why) and kills their hooks'
// process groups, found through the `running-hook.json` the agent keeps in
// each instance's directory while a hook runs.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { isAlive } from '../../deploy-lock.js';
import type { DeploymentRecord, InstanceRecord } from '../../deployment.js';
import type { DeploymentHistory } from './deployment-history.js';
import { RUNNING_HOOK_FILE, type RunningHook } from './lifecycle-hook.js';
import type { LocalInstance } from './local-instances.js';

export type { RunningHook } from './lifecycle-hook.js';

export function runningHookFile(instance: Pick<LocalInstance, 'dir'>): string {
  return path.join(instance.dir, RUNNING_HOOK_FILE);
}

export async function readRunningHook(instance: Pick<LocalInstance, 'dir'>): Promise<RunningHook | undefined> {
  try {
    const hook = JSON.parse(await readFile(runningHookFile(instance), 'utf8')) as RunningHook;
    return Number.isInteger(hook.pid) && hook.pid > 1 && typeof hook.deploymentId === 'string' ? hook : undefined;
  } catch {
    return undefined;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to the group, SIGKILL after `graceMs` if anything of it is left; resolves once it is gone. */
export async function killProcessGroup(pgid: number, graceMs = 3000): Promise<void> {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
    const killDeadline = Date.now() + 2000;
    while (groupAlive(pgid) && Date.now() < killDeadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface KilledHook extends RunningHook {
  instanceId: string;
}

/** Kills the hooks that `deploymentId` left running on `instances`; returns what was found. */
export async function killOrphanedHooks(instances: LocalInstance[], deploymentId: string, graceMs = 3000): Promise<KilledHook[]> {
  const killed: KilledHook[] = [];
  for (const instance of instances) {
    const hook = await readRunningHook(instance);
    if (!hook || hook.deploymentId !== deploymentId) continue;
    await killProcessGroup(hook.pid, graceMs);
    // The agent may have started another hook meanwhile (it is not dead after all): leave its file.
    if ((await readRunningHook(instance))?.pid === hook.pid) await rm(runningHookFile(instance), { force: true });
    killed.push({ ...hook, instanceId: instance.id });
  }
  return killed;
}

/** A record still `InProgress` whose process is gone (or unknown): nobody will ever finish it. */
export function isAbandoned(record: DeploymentRecord): boolean {
  return record.status === 'InProgress' && (record.pid === undefined || !isAlive(record.pid));
}

/**
 * Closes every abandoned deployment of the environment: its hooks' process
 * groups killed, the record `Stopped` with the reason. Call it holding the
 * environment's lock (no deployment of this environment can be running);
 * `takenOverBy` describes the new holder for the reason.
 */
export async function closeAbandonedDeployments(history: DeploymentHistory, instances: LocalInstance[], takenOverBy: string, options: { graceMs?: number; except?: string } = {}): Promise<DeploymentRecord[]> {
  const closed: DeploymentRecord[] = [];
  for (const record of await history.list(50)) {
    if (record.deploymentId === options.except || !isAbandoned(record)) continue;
    const killed = await killOrphanedHooks(instances, record.deploymentId, options.graceMs);
    const died = record.pid === undefined ? 'the deploying process died' : `the deploying process (pid ${record.pid}) died`;
    const hooks = killed.length ? `; killed its running hook${killed.length > 1 ? 's' : ''} ${killed.map((h) => `${h.event} ${h.location} on ${h.instanceId} (process group ${h.pid})`).join(', ')}` : '';
    const reason = `${died}; lock taken over by ${takenOverBy}${hooks}`;
    const now = new Date().toISOString();
    closeInstances(record.instances, now);
    if (record.autoRollback?.status === 'InProgress') {
      closeInstances(record.autoRollback.instances, now);
      record.autoRollback.status = 'Stopped';
    }
    record.status = 'Stopped';
    record.stopReason = reason;
    record.endedAt = now;
    record.error ??= { code: 'DEPLOYMENT_ABANDONED', message: reason, hint: 'instances it had reached may run either revision: check mod status, then deploy again' };
    delete record.pid;
    await history.save(record);
    closed.push(record);
  }
  return closed;
}

function closeInstances(instances: InstanceRecord[], now: string): void {
  for (const instance of instances) {
    for (const event of instance.events) {
      if (event.status === 'InProgress') Object.assign(event, { status: 'Failed', endedAt: now, message: 'its deploying process died while it ran' });
      else if (event.status === 'Pending') event.status = 'Skipped';
    }
    if (instance.status === 'InProgress' || instance.status === 'Pending') instance.status = instance.status === 'Pending' ? 'Skipped' : 'Failed';
  }
}
