// The one interface a delivery provider implements (local processes, or AWS
// CodePipeline/CodeBuild/CodeDeploy). The domain never checks which it has.
import type { CommitInfo } from '../git/git.js';
import type { Environment } from './config.js';
import type { DeploymentRecord } from './deployment.js';
import type { DeliveryEvents } from './events.js';
import type { ModelStore } from './model/model-store.js';
import type { ServiceModelState } from '../moderation/model-pointer.js';

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
  /** How long to wait for a remote deployment before giving up watching (exit 4). */
  timeoutMs?: number;
  /** The release gates judged before it, recorded with the deployment. */
  gates?: DeploymentRecord['gates'];
  /** Nobody can answer a question (CI, no terminal): a canary paused on a Marginal verdict fails instead of waiting. */
  unattended?: boolean;
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
  /** The machine image (EC2 AMI) the instance runs. */
  imageId?: string | null;
  detail?: string;
  /** The recorded revision's tree (locally the bundle key) and the commit its bundle was built from, which differs from `commit` when a bundle is reused for another commit of the same tree. */
  tree?: string | null;
  builtFrom?: string | null;
  /** What the instance's own process answers on the health path: null when nothing answers; absent when the provider cannot ask it. */
  running?: RunningRevision | null;
  /** The last time the instance's service was restarted by the environment itself (the local host, as an ASG replaces an instance). */
  restarted?: InstanceRestart | null;
}

/** The revision a running process says it is (its `/healthz` answer). */
export interface RunningRevision {
  commit: string | null;
  tree?: string | null;
  builtFrom?: string | null;
  deploymentId?: string | null;
  /** The models it decides and shadows with (its /healthz `model`, issue 13); absent from a process that predates it. */
  model?: ServiceModelState;
}

export interface InstanceRestart {
  at: string;
  /** Why: what the health check saw (e.g. "health check failed 2 times: ECONNREFUSED"). */
  reason: string;
  /** Whether the restarted service passed its checks again. */
  ok: boolean;
  /** Restarts so far. */
  count: number;
  detail?: string;
}

export interface PipelineStatus {
  name: string;
  latestExecution: { id: string; status: string; commit: string | null; startedAt: string | null } | null;
  stages: { name: string; status: string | null }[];
}

export interface ProviderEnvironmentStatus {
  endpoint: string | null;
  database: string | null;
  instances: InstanceStatus[];
  pipeline?: PipelineStatus;
  /** Whether the deployment group rolls back by itself on failure and on alarms. */
  autoRollback?: { onFailure: boolean; onAlarms: boolean; alarms: string[] };
  /** Set when the endpoint should answer and does not (not stopped on purpose): why. */
  endpointDown?: string;
  /** What the provider noticed that the record does not say. */
  warnings?: string[];
}

export interface DoctorCheck {
  name: string;
  status: 'pass' | 'fail' | 'warn';
  detail: string;
}

export interface PendingApproval {
  stageName: string;
  actionName: string;
  pipelineExecutionId: string | null;
  commit: string | null;
  /** The approval request's token (CodePipeline PutApprovalResult). */
  token: string | null;
}

/** One line of an environment's logs, named by where it came from (`i-local-1 service.log`, `i-0abc/codedeploy`). */
export interface LogLine {
  source: string;
  line: string;
  /** When it was written, where the source says (CloudWatch events); ISO 8601. */
  at?: string;
}

export interface LogRequest {
  /** Only this instance's logs. */
  instance?: string;
  /** The last lines of each source to show first. */
  lines: number;
  /** Keep printing lines as they are written, until the signal aborts. */
  follow: boolean;
  signal: AbortSignal;
  onLine: (line: LogLine) => void;
}

export interface Provider {
  readonly name: string;
  deploy(request: DeployRequest): Promise<DeploymentRecord>;
  /** Newest first. */
  deployments(environment: Environment, limit?: number): Promise<DeploymentRecord[]>;
  /** Annotates a deployment (e.g. the revert commit made after a fast rollback). */
  updateDeployment(environment: Environment, deploymentId: string, patch: Partial<Pick<DeploymentRecord, 'revertCommit'>>): Promise<void>;
  environmentStatus(environment: Environment): Promise<ProviderEnvironmentStatus>;
  /** Stops what runs: locally the instances and endpoint; on AWS the execution and deployment in flight. */
  stop(environment: Environment, events: DeliveryEvents): Promise<{ stopped: string[] }>;
  /** Checks the environment's setup, one line per check. */
  doctor(environment: Environment): Promise<DoctorCheck[]>;
  /** The manual approval waiting in the environment's pipeline, if any. */
  pendingApproval(environment: Environment): Promise<PendingApproval | undefined>;
  /** Whether the environment's pipeline has its own manual approval step. */
  pipelineHasManualApproval(environment: Environment): Promise<boolean>;
  /** The environment's shared database, when known (release gates read its migration records). */
  databaseUrl(environment: Environment): Promise<string | undefined>;
  /** The service's and the lifecycle hooks' logs: locally the instances' files, on AWS the environment's CloudWatch Logs group. */
  logs(environment: Environment, request: LogRequest): Promise<void>;
  /** Where the environment's released models and their pointer live (issue 13). */
  models(environment: Environment): ModelStore;
  /** Answers the pending manual approval. */
  answerApproval(environment: Environment, approval: PendingApproval, answer: { approve: boolean; summary: string }): Promise<void>;
}
