// The environment host's stand-in for an Auto Scaling group replacing an
// instance that fails its load balancer health checks: when a target that
// was in service stops answering, the host restarts the instance's service
// from its installed revision (the last successful deployment's archive) by
// running that revision's ApplicationStop, ApplicationStart and
// ValidateService hooks, as a replacement instance would come up, then
// registers it again. Each restart is recorded in the instance's
// restarted.json for `mod status`. Never during a deployment: the deployment
// owns the instances while it holds the environment's lock.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlive } from '../../deploy-lock.js';
import type { DeploymentRecord } from '../../deployment.js';
import type { InstanceRestart } from '../../provider.js';
import { readRevisionAppspec, type ScriptEvent } from './appspec.js';
import { readJson, writeJsonAtomic } from '../../json-file.js';
import { runHook } from './lifecycle-hook.js';
import { listInstances, restartRecordFile, type LocalInstance } from './local-instances.js';
import { isMarkedStopped } from './local-stop.js';

export interface RestartSettings {
  instancesDir: string;
  applicationName: string;
  deploymentGroupName: string;
  /** The service's variables (the host adds its DATABASE_URL). */
  variables: Record<string, string>;
  hookTimeoutCapSeconds: number;
  /** The environment's deployment lock (deploy-lock.ts): no restart while a live process holds it. */
  lockFile: string;
  /** The environment's deployment records: the restarted service is told the revision it was deployed as. */
  deploymentsDir?: string;
  /** Longest wait after a restart that did not bring the instance back before trying again. */
  maxBackoffMs?: number;
}

const RESTART_EVENTS: ScriptEvent[] = ['ApplicationStop', 'ApplicationStart', 'ValidateService'];

export class InstanceRestarter {
  private readonly busy = new Set<string>();
  private readonly notBefore = new Map<string, number>();

  constructor(
    private readonly settings: RestartSettings,
    private readonly variables: () => Record<string, string>,
    private readonly log: (line: string) => void,
  ) {}

  /** Whether a restart of the instance is running now. */
  restarting(id: string): boolean {
    return this.busy.has(id);
  }

  /**
   * Restarts the instance's service if nothing stops it (a deployment in
   * progress, a restart already running, the backoff after a failed one);
   * `reregister` puts it back behind the endpoint afterwards.
   */
  async restart(id: string, reason: string, reregister: () => void): Promise<InstanceRestart | undefined> {
    if (this.busy.has(id) || Date.now() < (this.notBefore.get(id) ?? 0)) return undefined;
    if (await this.deploymentRunning()) return undefined;
    const instance = (await listInstances(this.settings.instancesDir)).find((i) => i.id === id);
    const installed = instance ? await readJson<{ deploymentId: string; archiveDir: string }>(path.join(instance.dir, 'deployment-root', 'last-successful.json')).catch(() => undefined) : undefined;
    // Stopped on purpose (mod stop, even while the host was down): not a death to repair.
    if (!instance || !installed?.archiveDir || (await isMarkedStopped(instance))) return undefined;
    this.busy.add(id);
    try {
      this.log(`${id}: ${reason}; restarting its service from ${installed.deploymentId}`);
      const previous = await readJson<InstanceRestart>(restartRecordFile(instance)).catch(() => undefined);
      const failure = await this.runHooks(instance, installed);
      const record: InstanceRestart = {
        at: new Date().toISOString(),
        reason,
        ok: failure === undefined,
        count: (previous?.count ?? 0) + 1,
        ...(failure ? { detail: failure } : {}),
      };
      await writeJsonAtomic(restartRecordFile(instance), record);
      // Failed restarts back off (5 s, 10 s, ... up to the maximum); a good one may be retried at once.
      const failedInARow = failure ? (previous && !previous.ok ? Math.min(10, (previous.count ?? 1) + 1) : 1) : 0;
      this.notBefore.set(id, failure ? Date.now() + Math.min(this.settings.maxBackoffMs ?? 60_000, 5000 * 2 ** (failedInARow - 1)) : 0);
      this.log(`${id}: restart ${failure ? `failed: ${failure}` : 'done'}`);
      reregister();
      return record;
    } finally {
      this.busy.delete(id);
    }
  }

  private async deploymentRunning(): Promise<boolean> {
    const holder = await readFile(this.settings.lockFile, 'utf8')
      .then((text) => JSON.parse(text) as { pid?: number })
      .catch(() => undefined);
    return holder?.pid !== undefined && isAlive(holder.pid);
  }

  /** MOD_REVISION_COMMIT / MOD_REVISION_TREE of the deployment that installed the instance's revision. */
  private async revisionOf(instanceId: string, deploymentId: string): Promise<Record<string, string>> {
    if (!this.settings.deploymentsDir || !/^[\w.-]+$/.test(deploymentId)) return {};
    const record = await readJson<DeploymentRecord>(path.join(this.settings.deploymentsDir, `${deploymentId}.json`)).catch(() => undefined);
    if (!record) return {};
    const rolledBack = record.autoRollback?.instances.some((i) => i.instanceId === instanceId && i.status === 'Succeeded');
    const revision = rolledBack ? record.autoRollback!.revision : record.revision;
    return { MOD_REVISION_COMMIT: revision.commit, ...(revision.bundle ? { MOD_REVISION_TREE: revision.bundle } : {}) };
  }

  /** Runs the installed revision's restart hooks in order; the first failure's message, or undefined. */
  private async runHooks(instance: LocalInstance, installed: { deploymentId: string; archiveDir: string }): Promise<string | undefined> {
    const appspec = await readRevisionAppspec(installed.archiveDir).catch((error: Error) => error);
    if (appspec instanceof Error) return `the installed revision's appspec cannot be read: ${appspec.message}`;
    const context = {
      // The installed deployment's id: what the restarted process reports is the revision it was deployed as.
      deploymentId: installed.deploymentId,
      applicationName: this.settings.applicationName,
      deploymentGroupName: this.settings.deploymentGroupName,
      env: { ...this.variables(), ...(await this.revisionOf(instance.id, installed.deploymentId)) },
    };
    for (const event of RESTART_EVENTS) {
      for (const hook of appspec.hooks[event] ?? []) {
        const failure = await runHook(instance, context, {
          event,
          archiveDir: installed.archiveDir,
          hook,
          timeoutSeconds: Math.min(hook.timeout ?? 3600, this.settings.hookTimeoutCapSeconds),
          logFile: path.join(instance.dir, 'restart.log'),
        });
        // ApplicationStop is best effort: the process it stops is usually gone already.
        if (failure && event !== 'ApplicationStop') return `${event}: ${failure.message}`;
      }
    }
    return undefined;
  }
}
