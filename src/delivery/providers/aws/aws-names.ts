// The AWS resources behind an environment: configured names, or `<app>-<env>`.
import type { Environment } from '../../config.js';

export interface AwsNames {
  region: string | undefined;
  profile: string | undefined;
  pipeline: string;
  codebuildProject: string;
  codedeployApplication: string;
  deploymentGroup: string;
  logGroup: string;
  /** Where the instances' service and agent logs go (`mod logs`). */
  serviceLogGroup: string;
  remote: string;
  /** Configured target groups, or the `<app>-<env>` guess that status fetches early. */
  targetGroups: string[];
  targetGroupsConfigured: boolean;
  /** Canary (issue 12): the canary's and the fresh baseline's one-instance deployment groups and target groups. */
  canaryDeploymentGroup: string;
  canaryTargetGroup: string;
  baselineDeploymentGroup: string;
  baselineTargetGroup: string;
  /** Issue 13: the versioned S3 bucket of released models (no default: model releases on AWS need it set). */
  modelBucket: string | undefined;
  /** The SSM parameter holding the model pointer the instances poll (MODEL_SOURCE=ssm:<name>). */
  modelParameter: string;
}

export function awsNames(env: Environment, overrides: { region?: string; profile?: string } = {}): AwsNames {
  const base = `${env.app}-${env.name}`;
  const project = env.aws.codebuildProject ?? base;
  return {
    region: overrides.region ?? env.aws.region,
    profile: overrides.profile ?? env.aws.profile,
    pipeline: env.aws.pipeline ?? base,
    codebuildProject: project,
    codedeployApplication: env.aws.codedeployApplication ?? base,
    deploymentGroup: env.aws.deploymentGroup ?? base,
    logGroup: env.aws.logGroup ?? `/aws/codebuild/${project}`,
    serviceLogGroup: env.aws.serviceLogGroup ?? `/${env.app}/${env.name}`,
    remote: env.aws.remote,
    targetGroups: env.aws.targetGroups.length ? env.aws.targetGroups : [base],
    targetGroupsConfigured: env.aws.targetGroups.length > 0,
    canaryDeploymentGroup: env.aws.canaryDeploymentGroup ?? `${base}-canary`,
    canaryTargetGroup: env.aws.canaryTargetGroup ?? `${base}-canary`,
    baselineDeploymentGroup: env.aws.baselineDeploymentGroup ?? `${base}-baseline`,
    baselineTargetGroup: env.aws.baselineTargetGroup ?? `${base}-baseline`,
    modelBucket: env.aws.modelBucket,
    modelParameter: env.aws.modelParameter ?? `/mod/${env.name}/model`,
  };
}
