// The embedded default provider: builds with buildspec.yml, rolls out with
// the appspec.yml lifecycle to local instances in batches, fronted by the
// environment host's load balancer, with CodeDeploy-style auto-rollback.
// This class is the Provider face; the work is in local-deployment,
// local-rollout, local-doctor and the CodeDeploy agent.
import path from 'node:path';
import { UsageError } from '../../../errors.js';
import type { Git } from '../../../git/git.js';
import type { Environment } from '../../config.js';
import type { DeploymentRecord, RevisionRef } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { DeployRequest, DoctorCheck, InstanceStatus, PendingApproval, Provider, ProviderEnvironmentStatus } from '../../provider.js';
import type { StatePaths } from '../../state-paths.js';
import { stopInstance } from './codedeploy-agent.js';
import { DeploymentHistory } from './deployment-history.js';
import { findHost } from './host-client.js';
import { readJson, writeJsonAtomic } from './json-file.js';
import { runLocalDeployment } from './local-deployment.js';
import { localDoctorChecks } from './local-doctor.js';
import { listInstances } from './local-instances.js';
import { serviceVariables } from './service-env.js';

export class LocalProvider implements Provider {
  readonly name = 'local';

  constructor(
    private readonly git: Git,
    private readonly paths: StatePaths,
  ) {}

  private history(env: Environment): DeploymentHistory {
    return new DeploymentHistory(this.paths.deployments(env.name));
  }

  async deployments(env: Environment, limit?: number): Promise<DeploymentRecord[]> {
    return this.history(env).list(limit);
  }

  async updateDeployment(env: Environment, deploymentId: string, patch: Partial<Pick<DeploymentRecord, 'revertCommit'>>): Promise<void> {
    const history = this.history(env);
    const record = await history.get(deploymentId);
    if (record) await history.save({ ...record, ...patch });
  }

  async deploy(request: DeployRequest): Promise<DeploymentRecord> {
    return runLocalDeployment(request, { git: this.git, paths: this.paths, history: this.history(request.environment), providerName: this.name });
  }

  async environmentStatus(env: Environment): Promise<ProviderEnvironmentStatus> {
    const host = await findHost(this.paths, env.name);
    const instances = await listInstances(this.paths.instances(env.name));
    const targets = host ? await host.targets().catch(() => []) : [];
    const history = this.history(env);
    const statuses: InstanceStatus[] = [];
    for (const instance of instances) {
      const last = await readJson<{ deploymentId: string }>(path.join(instance.dir, 'deployment-root', 'last-successful.json')).catch(() => undefined);
      const deployment = last ? await history.get(last.deploymentId) : undefined;
      const revision: RevisionRef | undefined = deployment ? (deployment.autoRollback?.instances.some((i) => i.instanceId === instance.id && i.status === 'Succeeded') ? deployment.autoRollback.revision : deployment.revision) : undefined;
      const events = deployment?.autoRollback?.instances.find((i) => i.instanceId === instance.id)?.events ?? deployment?.instances.find((i) => i.instanceId === instance.id)?.events;
      const target = targets.find((t) => t.id === instance.id);
      statuses.push({
        id: instance.id,
        healthy: target?.state === 'healthy',
        state: !host ? 'stopped' : (target?.state ?? 'unregistered'),
        commit: revision?.commit ?? null,
        deploymentId: last?.deploymentId ?? null,
        // A stopped environment runs nothing, whatever was deployed last.
        since: host ? (events?.at(-1)?.endedAt ?? null) : null,
        launchedAt: instance.createdAt,
        detail: target?.lastError ?? `port ${instance.port}`,
      });
    }
    return { endpoint: host?.info.endpoint ?? null, database: host ? (host.info.databaseEmbedded ? 'embedded PGlite' : 'DATABASE_URL') : null, instances: statuses };
  }

  async pipelineHasManualApproval(): Promise<boolean> {
    return false;
  }

  async databaseUrl(env: Environment): Promise<string | undefined> {
    return env.databaseUrl ?? (await findHost(this.paths, env.name))?.info.databaseUrl;
  }

  async pendingApproval(): Promise<PendingApproval | undefined> {
    return undefined;
  }

  async answerApproval(env: Environment): Promise<void> {
    throw new UsageError(`${env.name} runs on the local provider, which has no manual approval step`, 'approvals apply to provider: aws (CodePipeline manual approval)');
  }

  async doctor(env: Environment): Promise<DoctorCheck[]> {
    return localDoctorChecks(this.git, this.paths, env);
  }

  async stop(env: Environment, events: DeliveryEvents): Promise<{ stopped: string[] }> {
    const host = await findHost(this.paths, env.name);
    const instances = await listInstances(this.paths.instances(env.name));
    const stopped: string[] = [];
    for (const instance of instances) {
      await host?.deregister(instance.id).catch(() => {});
      const { ranApplicationStop } = await stopInstance(instance, {
        applicationName: env.app,
        deploymentGroupName: `${env.app}-${env.name}`,
        env: host ? serviceVariables(env, host) : {},
        hookTimeoutCapSeconds: env.hookTimeoutSeconds,
        onHookFailed: (message) => events({ type: 'notice', level: 'warn', message: `${instance.id}: ApplicationStop: ${message}` }),
      });
      if (ranApplicationStop) stopped.push(instance.id);
      events({ type: 'lifecycle', instanceId: instance.id, event: 'ApplicationStop', status: 'Succeeded' });
    }
    if (host) {
      await host.shutdown();
      await writeJsonAtomic(path.join(this.paths.env(env.name), 'targets.json'), []);
      events({ type: 'notice', level: 'info', message: `${env.name}: endpoint ${host.info.endpoint} and database stopped` });
      stopped.push(`endpoint ${host.info.endpoint}`);
    }
    return { stopped };
  }
}
