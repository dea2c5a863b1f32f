// The rollout of a revision bundle over an environment's local instances:
// batch by batch (rollout-plan), each instance through the agent's lifecycle
// and validated by the load balancer's health check before the next batch;
// on failure, CodeDeploy-style auto-rollback of the instances it touched.
import { agentDeployment, endpointTraffic, recordSaver } from './agent-deployment.js';
import type { Environment } from '../../config.js';
import type { DeploymentError, DeploymentRecord, InstanceRecord, RevisionRef } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import { planBatches } from '../../rollout-plan.js';
import type { StatePaths } from '../../state-paths.js';
import { deployToInstance, newInstanceRecord, type LifecycleEventFailedError } from './codedeploy-agent.js';
import type { DeploymentHistory } from './deployment-history.js';
import type { HostClient } from './host-client.js';
import type { LocalInstance } from './local-instances.js';
import { bundleExists } from './revision-builder.js';
import { clearStoppedMarker } from './local-stop.js';

/** What every rollout of one deployment shares; `record` is updated in place and saved as it goes. */
export interface LocalRollout {
  env: Environment;
  paths: StatePaths;
  host: HostClient;
  history: DeploymentHistory;
  record: DeploymentRecord;
  events: DeliveryEvents;
  signal: AbortSignal;
  /** The bundle an auto-rollback redeploys, rebuilt when the cached one no longer verifies; undefined when impossible. */
  repairBundle?: (revision: RevisionRef) => Promise<string | undefined>;
}

type RolloutOutcome = 'succeeded' | 'stopped' | LifecycleEventFailedError;

/** How the deployment ended once its rollout (and any auto-rollback) did. */
export interface RolloutResult {
  status: DeploymentRecord['status'];
  error?: DeploymentError;
}

/**
 * Rolls `bundleKey` out to `instances`; when it fails and auto-rollback is on,
 * redeploys `previousGood`'s bundle to the instances the failed rollout reached.
 */
export async function rollOutWithAutoRollback(rollout: LocalRollout, instances: LocalInstance[], bundleKey: string, previousGood: DeploymentRecord | undefined): Promise<RolloutResult> {
  const { env, paths, record, events } = rollout;
  const outcome = await rollOut(rollout, instances, bundleKey, record.instances);
  if (outcome === 'succeeded') return { status: 'Succeeded' };
  if (outcome === 'stopped') return { status: 'Stopped', error: { code: 'INTERRUPTED', message: 'interrupted: the deployment was stopped; instances not reached keep their revision' } };

  const failure = outcome;
  const error: DeploymentError = {
    code: failure.code,
    message: failure.message,
    hint: failure.hint,
    instanceId: failure.instanceId,
    event: failure.event,
    exitCode: failure.record.exitCode,
    logTail: failure.record.logTail,
    logFile: failure.record.logFile,
  };
  record.error = error;
  const touched = record.instances.filter((i) => i.status !== 'Pending').map((i) => i.instanceId);
  if (!env.autoRollback || !previousGood) {
    if (env.autoRollback) events({ type: 'notice', level: 'warn', message: 'auto-rollback: there is no earlier successful deployment to return to' });
    return { status: 'Failed', error };
  }
  const previousBundle = rollout.repairBundle ? await rollout.repairBundle(previousGood.revision).catch(() => undefined) : previousGood.revision.bundle && (await bundleExists(paths, previousGood.revision.bundle)) ? previousGood.revision.bundle : undefined;
  if (!previousBundle) {
    events({ type: 'notice', level: 'warn', message: `auto-rollback: the bundle of ${previousGood.revision.commit.slice(0, 8)} is neither usable nor rebuildable: not rolled back` });
    return { status: 'Failed', error };
  }
  events({ type: 'autorollback.start', deploymentId: record.deploymentId, commit: previousGood.revision.commit, instanceIds: touched });
  record.autoRollback = { revision: previousGood.revision, status: 'InProgress', instances: [] };
  await rollout.history.save(record);
  const rollbackInstances = instances.filter((i) => touched.includes(i.id));
  const rollbackOutcome = await rollOut(rollout, rollbackInstances, previousBundle, record.autoRollback.instances);
  record.autoRollback.status = rollbackOutcome === 'succeeded' ? 'Succeeded' : rollbackOutcome === 'stopped' ? 'Stopped' : 'Failed';
  return { status: rollbackOutcome === 'succeeded' ? 'RolledBack' : 'Failed', error };
}

/** Rolls `bundleKey` out to `instances` batch by batch, recording each instance into `into`; returns how it ended. */
async function rollOut(rollout: LocalRollout, instances: LocalInstance[], bundleKey: string, into: InstanceRecord[]): Promise<RolloutOutcome> {
  const { env, paths, host, history, record, events, signal } = rollout;
  const saver = recordSaver(() => history.save(record));
  const deployment = agentDeployment({ env, paths, host, record, bundleKey, traffic: endpointTraffic(host, env), events, signal, save: saver.save });
  const batches = planBatches(instances, env.rollout);
  for (const [index, batch] of batches.entries()) {
    if (signal.aborted) return 'stopped';
    events({ type: 'batch.start', batch: index + 1, of: batches.length, instanceIds: batch.map((i) => i.id) });
    const outcomes = await Promise.all(
      batch.map((instance) => {
        const instanceRecord = newInstanceRecord(instance.id);
        into.push(instanceRecord);
        // Reached by a deployment: no longer the stopped instance `mod stop` left.
        return clearStoppedMarker(instance).then(() => deployToInstance(instance, deployment, instanceRecord));
      }),
    );
    await saver.settled();
    await history.save(record);
    const failure = outcomes.find((o) => o.failure)?.failure;
    if (failure) return signal.aborted ? 'stopped' : failure;
    if (signal.aborted || outcomes.some((o) => o.record.status !== 'Succeeded')) return 'stopped';
  }
  return 'succeeded';
}
