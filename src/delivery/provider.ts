// The one interface a delivery provider implements (local processes, or AWS
// CodePipeline/CodeBuild/CodeDeploy). The domain never checks which it has.
import type { CommitInfo } from '../git/git.js';
import type { Environment } from './config.js';
import type { DeploymentRecord } from './deployment.js';
import type { DeliveryEvents } from './events.js';

export interface DeployRequest {
  environment: Environment;
  commit: CommitInfo;
  initiator: string;
  rollbackOf?: string;
  reason?: string;
  /** Redeploy the bundle this earlier deployment used, without building. */
  reuseRevisionOf?: DeploymentRecord;
  signal: AbortSignal;
  events: DeliveryEvents;
}

export interface InstanceStatus {
  id: string;
  healthy: boolean;
  /** Load balancer view: initial, healthy, unhealthy, draining, unused. */
  state: string;
  commit: string | null;
  deploymentId: string | null;
  /** When the running revision finished deploying on this instance. */
  since: string | null;
  launchedAt: string | null;
  detail?: string;
}

export interface ProviderEnvironmentStatus {
  endpoint: string | null;
  database: string | null;
  instances: InstanceStatus[];
}

export interface Provider {
  readonly name: string;
  deploy(request: DeployRequest): Promise<DeploymentRecord>;
  /** Newest first. */
  deployments(environment: Environment, limit?: number): Promise<DeploymentRecord[]>;
  /** Annotates a deployment (e.g. the revert commit made after a fast rollback). */
  updateDeployment(environment: Environment, deploymentId: string, patch: Partial<Pick<DeploymentRecord, 'revertCommit'>>): Promise<void>;
  environmentStatus(environment: Environment): Promise<ProviderEnvironmentStatus>;
  /** Shuts the environment down (instances and endpoint). */
  stop(environment: Environment, events: DeliveryEvents): Promise<{ stoppedInstances: string[] }>;
}
