// `mod stop` on the local provider, run holding the environment's lock (a
// deployment in flight was already asked to stop and has ended): close any
// deployment whose process died, run each running instance's ApplicationStop,
// stop the endpoint and database. An instance is marked stopped
// (`<instance.dir>/stopped.json`, cleared when a deployment reaches it again),
// so stopping twice says nothing was running instead of stopping it again.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Environment } from '../../config.js';
import { readHolder } from '../../deploy-lock.js';
import type { DeliveryEvents } from '../../events.js';
import type { StatePaths } from '../../state-paths.js';
import { stopInstance } from './codedeploy-agent.js';
import type { DeploymentHistory } from './deployment-history.js';
import { findHost } from './host-client.js';
import { writeJsonAtomic } from '../../json-file.js';
import { listInstances, type LocalInstance } from './local-instances.js';
import { removeLeftoverCanary } from './local-canary.js';
import { closeAbandonedDeployments } from './orphaned-hooks.js';
import { serviceVariables } from './service-env.js';

export function stoppedMarkerFile(instance: Pick<LocalInstance, 'dir'>): string {
  return path.join(instance.dir, 'stopped.json');
}

/** Whether `mod stop` stopped the instance and no deployment has reached it since. */
export async function isMarkedStopped(instance: Pick<LocalInstance, 'dir'>): Promise<boolean> {
  return readFile(stoppedMarkerFile(instance), 'utf8').then(
    () => true,
    () => false,
  );
}

/** A deployment reaching the instance: it runs again (or will, once its hooks do). */
export async function clearStoppedMarker(instance: Pick<LocalInstance, 'dir'>): Promise<void> {
  await rm(stoppedMarkerFile(instance), { force: true });
}

export async function stopLocalEnvironment(paths: StatePaths, history: DeploymentHistory, env: Environment, events: DeliveryEvents): Promise<{ stopped: string[] }> {
  const host = await findHost(paths, env.name);
  const instances = await listInstances(paths.instances(env.name));
  const stopped: string[] = [];
  const holder = await readHolder(paths.lock(env.name));
  const by = holder ? `pid ${holder.pid} (${holder.user}@${holder.host}, ${holder.command})` : `pid ${process.pid}`;
  for (const closed of await closeAbandonedDeployments(history, instances, by)) {
    events({ type: 'notice', level: 'warn', message: `closed abandoned deployment ${closed.deploymentId}: ${closed.stopReason}` });
    stopped.push(`abandoned deployment ${closed.deploymentId}`);
  }
  for (const instance of instances) {
    if (await isMarkedStopped(instance)) continue;
    await host?.deregister(instance.id).catch(() => {});
    const { ranApplicationStop } = await stopInstance(instance, {
      applicationName: env.app,
      deploymentGroupName: `${env.app}-${env.name}`,
      env: host ? serviceVariables(env, host, paths) : {},
      hookTimeoutCapSeconds: env.hookTimeoutSeconds,
      onHookFailed: (message) => events({ type: 'notice', level: 'warn', message: `${instance.id}: ApplicationStop: ${message}` }),
    });
    await writeFile(stoppedMarkerFile(instance), JSON.stringify({ at: new Date().toISOString(), by }));
    if (ranApplicationStop) {
      stopped.push(instance.id);
      events({ type: 'lifecycle', instanceId: instance.id, event: 'ApplicationStop', status: 'Succeeded' });
    }
  }
  // A canary pair left by a deploy that died mid-analysis (issue 12).
  stopped.push(...(await removeLeftoverCanary(paths, env, host, events)));
  if (host) {
    await host.shutdown();
    await writeJsonAtomic(path.join(paths.env(env.name), 'targets.json'), []);
    events({ type: 'notice', level: 'info', message: `${env.name}: endpoint ${host.info.endpoint} and database stopped` });
    stopped.push(`endpoint ${host.info.endpoint}`);
  }
  return { stopped };
}
