// The embedded default provider: builds with buildspec.yml, rolls out with
// the appspec.yml lifecycle to local instances in batches, fronted by the
// environment host's load balancer, with CodeDeploy-style auto-rollback.
// This class is the Provider face; the work is in local-deployment,
// local-rollout, local-doctor and the CodeDeploy agent.
import type { ModelStore } from '../../model/model-store.js';
import { LocalModelStore } from './local-model-store.js';
import type { Git } from '../../../git/git.js';
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { DeployRequest, DoctorCheck, LogRequest, PendingApproval, Provider, ProviderEnvironmentStatus } from '../../provider.js';
import type { StatePaths } from '../../state-paths.js';
import { DeploymentHistory } from './deployment-history.js';
import { findHost } from './host-client.js';
import { answerPausedCanary, pausedCanary } from './local-canary.js';
import { runLocalDeployment } from './local-deployment.js';
import { localDoctorChecks } from './local-doctor.js';
import { localEnvironmentStatus } from './local-status.js';
import { stopLocalEnvironment } from './local-stop.js';

export class LocalProvider implements Provider {
  readonly name = 'local';

  constructor(
    private readonly git: Git,
    private readonly paths: StatePaths,
  ) {
    this.modelStore = new LocalModelStore(paths);
  }

  private readonly modelStore: ModelStore;

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
    return localEnvironmentStatus(this.paths, env, this.history(env));
  }

  async pipelineHasManualApproval(): Promise<boolean> {
    return false;
  }

  /** Issue 13: the env's released models (the state directory and its pointer file). */
  models(_env: Environment): ModelStore {
    return this.modelStore;
  }

  async databaseUrl(env: Environment): Promise<string | undefined> {
    return env.databaseUrl ?? (await findHost(this.paths, env.name))?.info.databaseUrl;
  }

  /** Locally the only approval is a canary paused on a Marginal verdict (stageName `canary`, token = its deployment id). */
  async pendingApproval(env: Environment): Promise<PendingApproval | undefined> {
    return pausedCanary(this.history(env));
  }

  /** Leaves the answer where the paused deploy polls for it. */
  async answerApproval(env: Environment, approval: PendingApproval, answer: { approve: boolean; summary: string }): Promise<void> {
    await answerPausedCanary(this.paths, env, approval, answer);
  }

  async logs(env: Environment, request: LogRequest): Promise<void> {
    const { localLogs } = await import('./local-logs.js');
    return localLogs(this.paths, env, request);
  }

  async doctor(env: Environment): Promise<DoctorCheck[]> {
    return localDoctorChecks(this.git, this.paths, env);
  }

  async stop(env: Environment, events: DeliveryEvents): Promise<{ stopped: string[] }> {
    return stopLocalEnvironment(this.paths, this.history(env), env, events);
  }
}
