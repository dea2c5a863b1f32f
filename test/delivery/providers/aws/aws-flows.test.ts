// The AWS provider's flows with the SDK mocked at its boundary
// (aws-sdk-client-mock): scripted pipeline executions, asserting both the
// commands sent to AWS and what the user sees, through the real CLI in-process.
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
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
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import {
  CodePipelineClient,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  PutApprovalResultCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsFixture, remoteHead } from '../../../support/aws-fixture.js';
import type { FixtureApp } from '../../../support/fixture-app.js';
import { runCli } from '../../../support/run-cli.js';

const pipeline = mockClient(CodePipelineClient);
const codebuild = mockClient(CodeBuildClient);
const codedeploy = mockClient(CodeDeployClient);
const logs = mockClient(CloudWatchLogsClient);
const ec2 = mockClient(EC2Client);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
// Issue 13: mod status reads the env's model pointer (an SSM parameter); unanswered = none released.
const ssm = mockClient(SSMClient);

const PIPELINE = {
  pipeline: {
    name: 'fixture-stage',
    roleArn: 'arn:aws:iam::123456789012:role/pipeline',
    stages: [
      { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' }, configuration: { BranchName: 'stage' } }] },
      { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' } }] },
      { name: 'Deploy', actions: [{ name: 'Deploy', actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' } }] },
    ],
  },
} as never;

function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { attempts: 3 } });
}

/** Pipeline state for an execution that reached `reached` (Source, Build, Deploy). */
function stateFor(executionId: string, statuses: { source?: string; build?: string; deploy?: string }) {
  const stage = (stageName: string, actionName: string, status: string | undefined, externalExecutionId?: string) => ({
    stageName,
    latestExecution: status ? { pipelineExecutionId: executionId, status } : undefined,
    actionStates: [{ actionName, latestExecution: status ? { status, externalExecutionId } : undefined }],
  });
  return {
    pipelineName: 'fixture-stage',
    stageStates: [stage('Source', 'Source', statuses.source), stage('Build', 'Build', statuses.build, 'fixture-stage:build-1'), stage('Deploy', 'Deploy', statuses.deploy, 'd-DEPLOY1')],
  } as never;
}

function lifecycle(names: string[], failing?: { name: string; logTail: string }) {
  return names.map((name) => ({
    lifecycleEventName: name,
    status: failing?.name === name ? 'Failed' : 'Succeeded',
    startTime: new Date('2026-11-23T10:00:00Z'),
    endTime: new Date('2026-11-23T10:00:02Z'),
    diagnostics: failing?.name === name ? { errorCode: 'ScriptFailed', message: 'Script at specified location: scripts/validate_service.sh run as user root failed with exit code 1', logTail: failing.logTail } : undefined,
  }));
}
const EVENTS = ['ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService'];

function mockDeployment(status: string, options: { failValidateOn?: string; rollback?: boolean } = {}) {
  codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-DEPLOY1' }).resolves({
    deploymentInfo: { deploymentId: 'd-DEPLOY1', status, rollbackInfo: options.rollback ? { rollbackDeploymentId: 'd-ROLLBACK' } : undefined },
  } as never);
  codedeploy.on(ListDeploymentTargetsCommand).resolves({ targetIds: ['i-0aaa', 'i-0bbb'] });
  codedeploy.on(BatchGetDeploymentTargetsCommand).resolves({
    deploymentTargets: ['i-0aaa', 'i-0bbb'].map((id) => ({
      deploymentTargetType: 'InstanceTarget',
      instanceTarget: {
        targetId: id,
        status: options.failValidateOn === id ? 'Failed' : 'Succeeded',
        lifecycleEvents: lifecycle(EVENTS, options.failValidateOn === id ? { name: 'ValidateService', logTail: 'curl: (7) Failed to connect to 127.0.0.1 port 8080\nservice exited: missing DATABASE_URL' } : undefined),
      },
    })),
  } as never);
}

let app: FixtureApp;
let remote: string;
let head: string;
beforeAll(async () => {
  ({ app, remote } = await createAwsFixture());
});
afterAll(async () => {
  await app?.dispose({ stop: false });
});
beforeEach(async () => {
  for (const mock of [pipeline, codebuild, codedeploy, logs, ec2, elbv2, ssm]) mock.reset();
  pipeline.on(GetPipelineCommand).resolves(PIPELINE);
  codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  await app.write('VERSION', `v-${Date.now()}\n`);
  head = await app.commit('A change');
});

function executionSummary(id: string, commit: string, status: string, startTime = new Date()) {
  return {
    pipelineExecutionId: id,
    status,
    startTime,
    lastUpdateTime: startTime,
    sourceRevisions: [{ actionName: 'Source', revisionId: commit, revisionSummary: JSON.stringify({ ProviderType: 'GitHub', CommitMessage: 'A change' }) }],
    trigger: { triggerType: 'CloudWatchEvent', triggerDetail: 'push' },
  };
}

describe('mod deploy on the AWS provider (mocked SDK)', () => {
  it('pushes the branch, follows the execution the push started, and shows stages, build phases and instances', async () => {
    pipeline
      .on(ListPipelineExecutionsCommand)
      .resolvesOnce({ pipelineExecutionSummaries: [] })
      .resolves({ pipelineExecutionSummaries: [executionSummary('exec-1', head, 'InProgress')] } as never);
    pipeline
      .on(GetPipelineExecutionCommand)
      .resolvesOnce({ pipelineExecution: { status: 'InProgress' } } as never)
      .resolvesOnce({ pipelineExecution: { status: 'InProgress' } } as never)
      .resolves({ pipelineExecution: { status: 'Succeeded' } } as never);
    pipeline
      .on(GetPipelineStateCommand)
      .resolvesOnce(stateFor('exec-1', { source: 'Succeeded', build: 'InProgress' }))
      .resolves(stateFor('exec-1', { source: 'Succeeded', build: 'Succeeded', deploy: 'Succeeded' }));
    codebuild.on(BatchGetBuildsCommand).resolves({
      builds: [
        {
          id: 'fixture-stage:build-1',
          buildStatus: 'SUCCEEDED',
          phases: [
            { phaseType: 'INSTALL', phaseStatus: 'SUCCEEDED', durationInSeconds: 20 },
            { phaseType: 'BUILD', phaseStatus: 'SUCCEEDED', durationInSeconds: 30 },
          ],
        },
      ],
    } as never);
    mockDeployment('Succeeded');

    const run = await runCli(['deploy', '--env', 'stage', '--json'], { cwd: app.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ schemaVersion: 1, status: 'Succeeded', deploymentId: 'exec-1', environment: 'stage', revision: { commit: head } });
    expect(await remoteHead(remote, 'stage')).toBe(head);
    expect(pipeline.commandCalls(StartPipelineExecutionCommand)).toHaveLength(0);
    expect(pipeline.commandCalls(ListPipelineExecutionsCommand)[0]!.args[0].input).toMatchObject({ pipelineName: 'fixture-stage' });
    expect(run.stderr).toContain(`pushed ${head.slice(0, 8)} to origin/stage`);
    expect(run.stderr).toContain('execution exec-1 started by the push');
    expect(run.stderr).toContain('Build/Build: InProgress');
    expect(run.stderr).toContain('build phase install succeeded (20.0 s)');
    expect(run.stderr).toContain('i-0bbb ValidateService succeeded (2.0 s)');
  });

  it('starts an execution when the push does not start one', async () => {
    pipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: [] });
    pipeline.on(StartPipelineExecutionCommand).resolves({ pipelineExecutionId: 'exec-started' });
    pipeline.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'Succeeded' } } as never);
    pipeline.on(GetPipelineStateCommand).resolves(stateFor('exec-started', { source: 'Succeeded', build: 'Succeeded', deploy: 'Succeeded' }));
    codebuild.on(BatchGetBuildsCommand).resolves({ builds: [] });
    mockDeployment('Succeeded');
    const run = await runCli(['deploy', '--env', 'stage', '--json'], { cwd: app.dir });
    expect(run.json()).toMatchObject({ status: 'Succeeded', deploymentId: 'exec-started' });
    expect(pipeline.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input).toEqual({ name: 'fixture-stage' });
  });

  it('fails a broken build with the CloudWatch Logs tail', async () => {
    pipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: [executionSummary('exec-2', head, 'InProgress')] } as never);
    pipeline.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'Failed' } } as never);
    pipeline.on(GetPipelineStateCommand).resolves(stateFor('exec-2', { source: 'Succeeded', build: 'Failed' }));
    codebuild.on(BatchGetBuildsCommand).resolves({
      builds: [
        {
          id: 'fixture-stage:build-1',
          buildStatus: 'FAILED',
          phases: [
            { phaseType: 'INSTALL', phaseStatus: 'SUCCEEDED' },
            { phaseType: 'BUILD', phaseStatus: 'FAILED', contexts: [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: npm run build. Reason: exit status 2' }] },
          ],
          logs: { groupName: '/aws/codebuild/fixture-stage', streamName: 'build-1' },
        },
      ],
    } as never);
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: '> tsc -p tsconfig.build.json\n' }, { message: "src/service/app.ts(3,1): error TS2304: Cannot find name 'x'.\n" }] });

    const run = await runCli(['deploy', '--env', 'stage', '--json'], { cwd: app.dir });
    expect(run.exitCode).toBe(1);
    const body = run.json<{ status: string; error: { code: string; message: string; logTail: string[] } }>();
    expect(body.status).toBe('Failed');
    expect(body.error.code).toBe('BUILD_FAILED');
    expect(body.error.message).toContain('npm run build');
    expect(body.error.logTail).toEqual(['> tsc -p tsconfig.build.json', "src/service/app.ts(3,1): error TS2304: Cannot find name 'x'."]);
    expect(logs.commandCalls(GetLogEventsCommand)[0]!.args[0].input).toMatchObject({ logGroupName: '/aws/codebuild/fixture-stage', logStreamName: 'build-1' });
  });

  it("reports the failing instance's ValidateService script log and the group's auto-rollback", async () => {
    pipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: [executionSummary('exec-3', head, 'InProgress')] } as never);
    pipeline.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'Failed' } } as never);
    pipeline.on(GetPipelineStateCommand).resolves(stateFor('exec-3', { source: 'Succeeded', build: 'Succeeded', deploy: 'Failed' }));
    codebuild.on(BatchGetBuildsCommand).resolves({ builds: [{ id: 'b', buildStatus: 'SUCCEEDED', phases: [] }] } as never);
    mockDeployment('Failed', { failValidateOn: 'i-0bbb', rollback: true });

    const run = await runCli(['deploy', '--env', 'stage', '--json'], { cwd: app.dir });
    expect(run.exitCode).toBe(1);
    expect(run.json()).toMatchObject({
      status: 'RolledBack',
      error: { code: 'LIFECYCLE_EVENT_FAILED', instanceId: 'i-0bbb', event: 'ValidateService', logTail: ['curl: (7) Failed to connect to 127.0.0.1 port 8080', 'service exited: missing DATABASE_URL'] },
    });
    expect(run.stderr).toContain('i-0bbb ValidateService failed');
  });

  it('keeps watching through throttling', async () => {
    pipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: [executionSummary('exec-4', head, 'InProgress')] } as never);
    pipeline
      .on(GetPipelineExecutionCommand)
      .rejectsOnce(throttling())
      .resolves({ pipelineExecution: { status: 'Succeeded' } } as never);
    pipeline.on(GetPipelineStateCommand).resolves(stateFor('exec-4', { source: 'Succeeded', build: 'Succeeded', deploy: 'Succeeded' }));
    codebuild.on(BatchGetBuildsCommand).resolves({ builds: [] });
    mockDeployment('Succeeded');
    const run = await runCli(['deploy', '--env', 'stage', '--json'], { cwd: app.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('AWS is throttling');
    expect(pipeline.commandCalls(GetPipelineExecutionCommand).length).toBeGreaterThanOrEqual(2);
  });

  it('stops waiting at --timeout with exit 4 and says how to keep watching', async () => {
    pipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: [executionSummary('exec-5', head, 'InProgress')] } as never);
    pipeline.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'InProgress' } } as never);
    pipeline.on(GetPipelineStateCommand).resolves(stateFor('exec-5', { source: 'Succeeded', build: 'InProgress' }));
    codebuild.on(BatchGetBuildsCommand).resolves({ builds: [{ id: 'b', buildStatus: 'IN_PROGRESS', phases: [{ phaseType: 'BUILD', phaseStatus: 'IN_PROGRESS' }] }] } as never);
    const run = await runCli(['deploy', '--env', 'stage', '--timeout', '0.3', '--json'], { cwd: app.dir });
    expect(run.exitCode).toBe(4);
    expect(run.json()).toMatchObject({ error: { code: 'TIMEOUT', exitCode: 4 } });
    expect(run.stderr).toContain('it goes on in AWS');
    expect(run.stderr).toContain('mod status --env stage --watch');
  });

  it('shows a pending manual approval and answers it with mod approve', async () => {
    const state = {
      stageStates: [
        { stageName: 'Source', latestExecution: { pipelineExecutionId: 'exec-6', status: 'Succeeded' }, actionStates: [{ actionName: 'Source', latestExecution: { status: 'Succeeded' } }] },
        { stageName: 'Approve', latestExecution: { pipelineExecutionId: 'exec-6', status: 'InProgress' }, actionStates: [{ actionName: 'ManagerApproval', latestExecution: { status: 'InProgress', token: 'tok-123' } }] },
      ],
    };
    pipeline.on(GetPipelineStateCommand).resolves(state as never);
    const previous = (await app.git('rev-parse', 'HEAD~1')).trim();
    pipeline.on(ListPipelineExecutionsCommand).resolves({
      pipelineExecutionSummaries: [executionSummary('exec-6', head, 'InProgress'), executionSummary('exec-0', previous, 'Succeeded', new Date(Date.now() - 60_000))],
    } as never);
    pipeline.on(PutApprovalResultCommand).resolves({ approvedAt: new Date() });

    const refused = await runCli(['approve', '--env', 'stage', '--summary', 'QA passed'], { cwd: app.dir });
    expect(refused.exitCode).toBe(2);
    expect(pipeline.commandCalls(PutApprovalResultCommand)).toHaveLength(0);

    const run = await runCli(['approve', '--env', 'stage', '--summary', 'QA passed', '--yes', '--json'], { cwd: app.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('Approve/ManagerApproval is waiting for approval');
    expect(run.stderr).toContain(`${head.slice(0, 8)} A change`);
    expect(run.json()).toMatchObject({ status: 'Approved', commit: head, commits: [head] });
    expect(pipeline.commandCalls(PutApprovalResultCommand)[0]!.args[0].input).toEqual({
      pipelineName: 'fixture-stage',
      stageName: 'Approve',
      actionName: 'ManagerApproval',
      token: 'tok-123',
      result: { status: 'Approved', summary: 'QA passed' },
    });
  });
});

describe('mod rollback --fast on the AWS provider (mocked SDK)', () => {
  it('redeploys the previous revision with CreateDeployment, then pushes the revert', async () => {
    const previous = (await app.git('rev-parse', 'HEAD~1')).trim();
    await app.git('push', '-q', 'origin', 'stage');
    pipeline.on(ListPipelineExecutionsCommand).resolves({
      pipelineExecutionSummaries: [executionSummary('exec-new', head, 'Succeeded'), executionSummary('exec-old', previous, 'Succeeded', new Date(Date.now() - 3_600_000))],
    } as never);
    pipeline.on(ListActionExecutionsCommand, { pipelineName: 'fixture-stage', filter: { pipelineExecutionId: 'exec-old' } }).resolves({
      actionExecutionDetails: [{ input: { actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' } }, output: { executionResult: { externalExecutionId: 'd-OLD' } } }],
    } as never);
    const revision = { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'fixture-stage/BuildArtif/abc.zip', bundleType: 'zip', eTag: 'etag-old' } };
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-OLD' }).resolves({ deploymentInfo: { deploymentId: 'd-OLD', status: 'Succeeded', revision } } as never);
    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-FAST' });
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-FAST' }).resolves({ deploymentInfo: { deploymentId: 'd-FAST', status: 'Succeeded' } } as never);
    codedeploy.on(ListDeploymentTargetsCommand).resolves({ targetIds: [] });
    codedeploy.on(BatchGetDeploymentsCommand).resolves({ deploymentsInfo: [] });

    const run = await runCli(['rollback', '--env', 'stage', '--fast', '--json'], { cwd: app.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    const body = run.json<{ status: string; deploymentId: string; revision: { commit: string }; revertCommit: string; pushed: boolean; rollbackOf: string }>();
    expect(body).toMatchObject({ status: 'Succeeded', deploymentId: 'd-FAST', revision: { commit: previous }, rollbackOf: 'exec-new', pushed: true });
    expect(codedeploy.commandCalls(CreateDeploymentCommand)[0]!.args[0].input).toMatchObject({ applicationName: 'fixture-stage', deploymentGroupName: 'fixture-stage', revision });
    expect(await remoteHead(remote, 'stage')).toBe(body.revertCommit);
    expect(pipeline.commandCalls(StartPipelineExecutionCommand)).toHaveLength(0);
  });
});

describe('mod stop on the AWS provider (mocked SDK)', () => {
  it('stops the execution in flight and the deployment, asking for auto-rollback', async () => {
    pipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: [executionSummary('exec-9', head, 'InProgress'), executionSummary('exec-8', head, 'Succeeded')] } as never);
    pipeline.on(StopPipelineExecutionCommand).resolves({ pipelineExecutionId: 'exec-9' });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-LIVE'] });
    codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending', statusMessage: 'stopping' });
    const run = await runCli(['stop', '--env', 'stage', '--json'], { cwd: app.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ environment: 'stage', stopped: ['pipeline execution exec-9', 'deployment d-LIVE'] });
    expect(pipeline.commandCalls(StopPipelineExecutionCommand)[0]!.args[0].input).toMatchObject({ pipelineName: 'fixture-stage', pipelineExecutionId: 'exec-9', abandon: false });
    expect(codedeploy.commandCalls(StopDeploymentCommand)[0]!.args[0].input).toEqual({ deploymentId: 'd-LIVE', autoRollbackEnabled: true });
    expect(codedeploy.commandCalls(ListDeploymentsCommand)[0]!.args[0].input).toMatchObject({ includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Ready'] });
  });
});

describe('mod status on the AWS provider (mocked SDK)', () => {
  it('shows instances with AMI, launch time and target health, the endpoint, pipeline stages and the safety settings', async () => {
    pipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: [executionSummary('exec-7', head, 'Succeeded')] } as never);
    pipeline.on(GetPipelineStateCommand).resolves(stateFor('exec-7', { source: 'Succeeded', build: 'Succeeded', deploy: 'Succeeded' }));
    codedeploy.on(GetDeploymentGroupCommand).resolves({
      deploymentGroupInfo: {
        autoScalingGroups: [{ name: 'fixture-stage-asg' }],
        loadBalancerInfo: { targetGroupInfoList: [{ name: 'fixture-stage-tg' }] },
        autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
        alarmConfiguration: { enabled: false, alarms: [] },
      },
    } as never);
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-0aaa', ImageId: 'ami-0123', InstanceType: 't3.small', LaunchTime: new Date('2026-11-01T00:00:00Z'), State: { Name: 'running' } }] }],
    } as never);
    elbv2.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupName: 'fixture-stage-tg', TargetGroupArn: 'arn:tg', LoadBalancerArns: ['arn:lb'] }] });
    elbv2.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ Target: { Id: 'i-0aaa', Port: 8080 }, TargetHealth: { State: 'healthy' } }] });
    elbv2.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ DNSName: 'fixture-stage-123.elb.test' }] });

    const run = await runCli(['status', '--env', 'stage', '--json'], { cwd: app.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    const env = run.json<{ environments: Record<string, unknown>[] }>().environments[0]!;
    expect(env).toMatchObject({
      name: 'stage',
      provider: 'aws',
      deployed: { commit: head, deploymentId: 'exec-7' },
      endpoint: 'http://fixture-stage-123.elb.test',
      instances: [{ id: 'i-0aaa', healthy: true, state: 'healthy', imageId: 'ami-0123', launchedAt: '2026-11-01T00:00:00.000Z' }],
      pipeline: {
        name: 'fixture-stage',
        latestExecution: { id: 'exec-7', status: 'Succeeded', commit: head },
        stages: [
          { name: 'Source', status: 'Succeeded' },
          { name: 'Build', status: 'Succeeded' },
          { name: 'Deploy', status: 'Succeeded' },
        ],
      },
      autoRollback: { onFailure: true, onAlarms: false, alarms: [] },
    });
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toContainEqual({ Name: 'tag:aws:autoscaling:groupName', Values: ['fixture-stage-asg'] });
  });

  it('names the API action and resource on access denied, with exit 2 and no stack trace', async () => {
    pipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: [] });
    pipeline.on(GetPipelineStateCommand).resolves({ stageStates: [] });
    codedeploy.on(GetDeploymentGroupCommand).rejects(Object.assign(new Error('User: arn:aws:iam::1:user/ci is not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    const run = await runCli(['status', '--env', 'stage'], { cwd: app.dir });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('access denied: codedeploy:GetDeploymentGroup on deployment group fixture-stage/fixture-stage');
    expect(run.stderr).toContain('hint: grant codedeploy:GetDeploymentGroup');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
