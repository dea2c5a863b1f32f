// The AWS provider: the domain's Provider interface on CodePipeline,
// CodeBuild, CodeDeploy, EC2, ELBv2 and CloudWatch. Each operation lives in
// its own file (aws-deploy, aws-history, aws-status, aws-stop, aws-approve,
// aws-doctor; blue/green in aws-blue-green, the canary in aws-canary with its
// traffic and metrics files); this class holds the SDK clients per region and
// profile and hands each operation its environment's context.
import type { ModelStore } from '../../model/model-store.js';
import { AwsModelStore } from './aws-model-store.js';
import type { Git } from '../../../git/git.js';
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { DeployRequest, DoctorCheck, LogRequest, PendingApproval, Provider, ProviderEnvironmentStatus } from '../../provider.js';
import { answerPendingApproval, findPendingApproval, hasManualApprovalStep } from './aws-approve.js';
import { AwsClients, type AwsClientOptions } from './aws-clients.js';
import { runIndependent, type AwsContext, type RunIndependent } from './aws-context.js';
import { deployOnAws } from './aws-deploy.js';
import { doctorChecks } from './aws-doctor.js';
import { deploymentHistory } from './aws-history.js';
import { logsOnAws } from './aws-logs.js';
import { awsNames } from './aws-names.js';
import { environmentStatusOnAws } from './aws-status.js';
import { stopInFlight } from './aws-stop.js';

export interface AwsProviderOptions extends AwsClientOptions {
  /** Run independent AWS calls one after another (the status benchmark's baseline). */
  sequential?: boolean;
}

export class AwsProvider implements Provider {
  readonly name = 'aws';
  private readonly clientsByEnv = new Map<string, AwsClients>();
  private readonly all: RunIndependent;

  constructor(
    private readonly git: Git,
    private readonly options: AwsProviderOptions = {},
  ) {
    this.all = runIndependent(Boolean(options.sequential));
    this.modelStore = new AwsModelStore((env) => this.context(env));
  }

  private readonly modelStore: ModelStore;

  /** AWS calls made so far (all environments). */
  get calls(): number {
    return [...this.clientsByEnv.values()].reduce((sum, c) => sum + c.calls, 0);
  }

  /** Environments in the same region and profile share their clients. */
  private context(env: Environment): AwsContext {
    const names = awsNames(env, this.options);
    const key = `${names.region ?? ''}/${names.profile ?? ''}`;
    let clients = this.clientsByEnv.get(key);
    if (!clients) {
      clients = new AwsClients({ ...this.options, region: names.region, profile: names.profile });
      this.clientsByEnv.set(key, clients);
    }
    return { clients, names, all: this.all };
  }

  async deploy(request: DeployRequest): Promise<DeploymentRecord> {
    return deployOnAws(this.context(request.environment), this.git, request);
  }

  async deployments(env: Environment, limit = 20): Promise<DeploymentRecord[]> {
    return deploymentHistory(this.context(env), env, limit);
  }

  async updateDeployment(): Promise<void> {
    // The revert commit is in git; AWS keeps no annotation for it.
  }

  async environmentStatus(env: Environment): Promise<ProviderEnvironmentStatus> {
    return environmentStatusOnAws(this.context(env));
  }

  async stop(env: Environment, events: DeliveryEvents): Promise<{ stopped: string[] }> {
    return stopInFlight(this.context(env), events);
  }

  async pipelineHasManualApproval(env: Environment): Promise<boolean> {
    return hasManualApprovalStep(this.context(env));
  }

  /** Issue 13: the env's released models (a versioned S3 bucket and an SSM parameter). */
  models(_env: Environment): ModelStore {
    return this.modelStore;
  }

  async databaseUrl(env: Environment): Promise<string | undefined> {
    return env.databaseUrl;
  }

  async pendingApproval(env: Environment): Promise<PendingApproval | undefined> {
    return findPendingApproval(this.context(env));
  }

  async answerApproval(env: Environment, approval: PendingApproval, answer: { approve: boolean; summary: string }): Promise<void> {
    return answerPendingApproval(this.context(env), approval, answer);
  }

  async logs(env: Environment, request: LogRequest): Promise<void> {
    return logsOnAws(this.context(env), request, env.aws.pollSeconds * 1000);
  }

  async doctor(env: Environment): Promise<DoctorCheck[]> {
    return doctorChecks(this.context(env), env);
  }

  dispose(): void {
    for (const clients of this.clientsByEnv.values()) clients.destroy();
  }
}
