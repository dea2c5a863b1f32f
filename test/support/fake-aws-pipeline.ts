// A scripted stand-in for one environment's CodePipeline + CodeDeploy, at the
// SDK boundary (aws-sdk-client-mock): a push to the bare remote's branch
// starts an execution that builds and deploys that commit; CreateDeployment
// redeploys a recorded revision. Enough state to run the shared scenario.
import { BatchGetBuildsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import {
  BatchGetDeploymentTargetsCommand,
  BatchGetDeploymentsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentTargetsCommand,
  ListDeploymentsCommand,
  type RevisionLocation,
} from '@aws-sdk/client-codedeploy';
import { CodePipelineClient, GetPipelineCommand, GetPipelineExecutionCommand, GetPipelineStateCommand, ListActionExecutionsCommand, ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { execFileSync } from 'node:child_process';

interface Execution {
  id: string;
  commit: string;
  startTime: Date;
  deploymentId: string;
}
interface Deployment {
  id: string;
  revision: RevisionLocation;
  description?: string;
  createTime: Date;
}

export function fakeAwsPipeline(options: { remote: string; branch: string; pipeline: string }) {
  const executions: Execution[] = [];
  const deployments = new Map<string, Deployment>();
  const revisionFor = (commit: string): RevisionLocation => ({ revisionType: 'S3', s3Location: { bucket: 'artifacts', key: `${options.pipeline}/${commit}.zip`, bundleType: 'zip' } });
  let clock = Date.now();
  const tick = () => new Date((clock += 1000));

  // A push to the watched branch starts an execution, as a CodeStar connection trigger does.
  const observePush = () => {
    let head: string;
    try {
      head = execFileSync('git', ['rev-parse', options.branch], { cwd: options.remote, encoding: 'utf8' }).trim();
    } catch {
      return;
    }
    if (executions[0]?.commit === head) return;
    const id = `exec-${executions.length + 1}`;
    const deployment: Deployment = { id: `d-${id}`, revision: revisionFor(head), createTime: tick() };
    deployments.set(deployment.id, deployment);
    executions.unshift({ id, commit: head, startTime: deployment.createTime, deploymentId: deployment.id });
  };

  const summary = (e: Execution) => ({
    pipelineExecutionId: e.id,
    status: 'Succeeded',
    startTime: e.startTime,
    lastUpdateTime: e.startTime,
    sourceRevisions: [{ actionName: 'Source', revisionId: e.commit }],
    trigger: { triggerType: 'CloudWatchEvent', triggerDetail: 'push' },
  });

  const pipeline = mockClient(CodePipelineClient);
  pipeline.on(ListPipelineExecutionsCommand).callsFake(() => {
    observePush();
    return { pipelineExecutionSummaries: executions.map(summary) };
  });
  pipeline.on(GetPipelineCommand).resolves({
    pipeline: {
      name: options.pipeline,
      roleArn: 'arn:aws:iam::123456789012:role/p',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' }, configuration: { BranchName: options.branch } }] },
        { name: 'Deploy', actions: [{ name: 'Deploy', actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' } }] },
      ],
    },
  } as never);
  pipeline.on(GetPipelineExecutionCommand).callsFake((input: { pipelineExecutionId: string }) => ({
    pipelineExecution: { pipelineExecutionId: input.pipelineExecutionId, status: 'Succeeded' },
  }));
  pipeline.on(GetPipelineStateCommand).callsFake(() => {
    const latest = executions[0];
    return {
      stageStates: latest
        ? [
            { stageName: 'Source', latestExecution: { pipelineExecutionId: latest.id, status: 'Succeeded' }, actionStates: [{ actionName: 'Source', latestExecution: { status: 'Succeeded' } }] },
            { stageName: 'Deploy', latestExecution: { pipelineExecutionId: latest.id, status: 'Succeeded' }, actionStates: [{ actionName: 'Deploy', latestExecution: { status: 'Succeeded', externalExecutionId: latest.deploymentId } }] },
          ]
        : [],
    };
  });
  pipeline.on(ListActionExecutionsCommand).callsFake((input: { filter?: { pipelineExecutionId?: string } }) => {
    const execution = executions.find((e) => e.id === input.filter?.pipelineExecutionId);
    return {
      actionExecutionDetails: execution ? [{ input: { actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' } }, output: { executionResult: { externalExecutionId: execution.deploymentId } } }] : [],
    };
  });

  mockClient(CodeBuildClient).on(BatchGetBuildsCommand).resolves({ builds: [] });
  const codedeploy = mockClient(CodeDeployClient);
  codedeploy.on(GetDeploymentCommand).callsFake((input: { deploymentId: string }) => {
    const d = deployments.get(input.deploymentId);
    return { deploymentInfo: d ? { deploymentId: d.id, status: 'Succeeded', revision: d.revision, description: d.description, createTime: d.createTime, completeTime: d.createTime } : undefined };
  });
  codedeploy.on(CreateDeploymentCommand).callsFake((input: { revision: RevisionLocation; description?: string }) => {
    const id = `d-direct-${deployments.size + 1}`;
    deployments.set(id, { id, revision: input.revision, description: input.description, createTime: tick() });
    return { deploymentId: id };
  });
  codedeploy.on(ListDeploymentsCommand).callsFake(() => ({ deployments: [...deployments.keys()] }));
  codedeploy.on(BatchGetDeploymentsCommand).callsFake((input: { deploymentIds: string[] }) => ({
    deploymentsInfo: input.deploymentIds.map((id) => deployments.get(id)!).map((d) => ({ deploymentId: d.id, status: 'Succeeded', description: d.description, createTime: d.createTime, completeTime: d.createTime, creator: d.description ? 'user' : 'CodePipeline' })),
  }));
  codedeploy.on(ListDeploymentTargetsCommand).resolves({ targetIds: ['i-0aaa'] });
  codedeploy.on(BatchGetDeploymentTargetsCommand).resolves({
    deploymentTargets: [{ deploymentTargetType: 'InstanceTarget', instanceTarget: { targetId: 'i-0aaa', status: 'Succeeded', lifecycleEvents: [{ lifecycleEventName: 'ValidateService', status: 'Succeeded' }] } }],
  } as never);
  codedeploy.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: { autoScalingGroups: [{ name: 'asg' }], autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] } } } as never);
  mockClient(EC2Client)
    .on(DescribeInstancesCommand)
    .resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-0aaa', ImageId: 'ami-1', State: { Name: 'running' } }] }] } as never);
  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  // Issue 13: mod status reads the env's model pointer (an SSM parameter): none released, and never a real endpoint.
  mockClient(SSMClient);
  elbv2.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [] });
  elbv2.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
  elbv2.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [] });

  return { executions, deployments };
}
