// What the local CodeDeploy agent is handed for one deployment on an
// environment's instances: the bundle, the hooks' variables, how traffic is
// blocked and allowed, and where progress goes. One builder for the in-place
// rollout, the blue/green fleet and the canary pair.
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { StatePaths } from '../../state-paths.js';
import type { AgentDeployment, TrafficControl } from './codedeploy-agent.js';
import type { HostClient } from './host-client.js';
import { bundleDirOf } from './revision-builder.js';
import { revisionVariables, serviceVariables } from './service-env.js';

/** In-place traffic: deregister at BlockTraffic; register and wait for the health check at AllowTraffic. */
export function endpointTraffic(host: HostClient, env: Environment): TrafficControl {
  return {
    block: (instance) => host.deregister(instance.id),
    allow: async (instance, abort) => {
      await host.register(instance.id, `http://127.0.0.1:${instance.port}`);
      await host.waitHealthy(instance.id, env.healthCheck.timeoutSeconds * 1000, abort);
    },
  };
}

export interface AgentDeploymentParts {
  env: Environment;
  paths: StatePaths;
  host: HostClient;
  record: DeploymentRecord;
  /** Whose revision the hooks are told they install (the record's, or the baseline's for a canary pair). */
  revisionOf?: Pick<DeploymentRecord, 'revision' | 'autoRollback'>;
  bundleKey: string;
  traffic: TrafficControl;
  events: DeliveryEvents;
  signal?: AbortSignal;
  /** Called after each lifecycle step, so `mod status` in another terminal sees it. */
  save: () => void;
}

export function agentDeployment(parts: AgentDeploymentParts): AgentDeployment {
  const { env, host, record, events } = parts;
  return {
    deploymentId: record.deploymentId,
    applicationName: env.app,
    deploymentGroupName: `${env.app}-${env.name}`,
    bundleDir: bundleDirOf(parts.paths, parts.bundleKey),
    hookTimeoutCapSeconds: env.hookTimeoutSeconds,
    env: { ...serviceVariables(env, host, parts.paths), ...revisionVariables(parts.revisionOf ?? record, parts.bundleKey) },
    traffic: parts.traffic,
    signal: parts.signal,
    onHookOutput: (instanceId, event, line) => events({ type: 'hook.output', instanceId, event, line }),
    onEvent: (instanceId, event) => {
      events({ type: 'lifecycle', instanceId, event: event.name, status: event.status, durationMs: event.durationMs, message: event.message });
      parts.save();
    },
  };
}

/** Serialised saves of the record (atomic writes, one after the other, never failing the deployment), and a wait for the last. */
export function recordSaver(save: () => Promise<void>): { save: () => void; settled: () => Promise<void> } {
  let saving = Promise.resolve();
  return {
    save: () => {
      saving = saving.then(save).catch(() => {});
    },
    settled: () => saving,
  };
}
