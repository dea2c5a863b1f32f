// `mod deploy` with a canary on the AWS provider (issue 12.5), through the
// real CLI in-process with the SDK mocked at its boundary: the pipeline
// deploys the canary group and waits at the canary gate; mod deploys the
// baseline, shifts the ALB, reads CloudWatch, judges and answers the gate.
import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { BatchGetDeploymentTargetsCommand, CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, ListDeploymentTargetsCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { BatchGetBuildsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CodePipelineClient, GetPipelineCommand, GetPipelineExecutionCommand, GetPipelineStateCommand, ListActionExecutionsCommand, ListPipelineExecutionsCommand, PutApprovalResultCommand } from '@aws-sdk/client-codepipeline';
import { DescribeListenersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AWS_CONFIG, createAwsFixture } from '../../../support/aws-fixture.js';
import type { FixtureApp } from '../../../support/fixture-app.js';
import { runCli } from '../../../support/run-cli.js';

const pipeline = mockClient(CodePipelineClient);
const codebuild = mockClient(CodeBuildClient);
const codedeploy = mockClient(CodeDeployClient);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const cloudwatch = mockClient(CloudWatchClient);
// Every client the flow may touch is mocked: nothing reaches a real AWS endpoint (a failed build reads its CloudWatch log).
const logs = mockClient(CloudWatchLogsClient);

const CODEDEPLOY = { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' } as const;
const PIPELINE = {
  pipeline: {
    name: 'fixture-stage',
    roleArn: 'arn:aws:iam::123456789012:role/pipeline',
    stages: [
      { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' }, configuration: { BranchName: 'stage' } }] },
      { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' } }] },
      {
        name: 'Canary',
        actions: [
          { name: 'CanaryDeploy', runOrder: 1, actionTypeId: CODEDEPLOY, configuration: { ApplicationName: 'fixture-stage', DeploymentGroupName: 'fixture-stage-canary' } },
          { name: 'CanaryGate', runOrder: 2, actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } },
        ],
      },
      { name: 'Deploy', actions: [{ name: 'Deploy', actionTypeId: CODEDEPLOY, configuration: { ApplicationName: 'fixture-stage', DeploymentGroupName: 'fixture-stage' } }] },
    ],
  },
} as never;

const ARN = {
  lb: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/fixture/abc',
  listener: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/fixture/abc/l1',
  fleet: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fixture-stage/000',
  canary: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fixture-stage-canary/222',
  baseline: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fixture-stage-baseline/111',
};

let app: FixtureApp;
let previous: string;
let head: string;
beforeAll(async () => {
  ({ app } = await createAwsFixture());
  await app.write('mod.config.yml', AWS_CONFIG.replace('  stage:\n', '  stage:\n    canary: { weight: 10, durationSeconds: 1, minSamples: 50, onMarginal: fail }\n'));
  previous = await app.commit('Canary on stage');
});
afterAll(async () => {
  await app?.dispose({ stop: false });
});

/** Per minute of the window CloudWatch is asked about: requests and decisions per side. */
function cloudwatchAnswers(rejectPerMinute: { baseline: number; canary: number }) {
  cloudwatch.on(GetMetricDataCommand).callsFake((input: { StartTime: Date; EndTime: Date }) => {
    const minutes: Date[] = [];
    for (let t = input.StartTime.getTime(); t < input.EndTime.getTime(); t += 60_000) minutes.push(new Date(t));
    const results: MetricDataResult[] = [];
    for (const group of ['baseline', 'canary'] as const) {
      const series = (id: string, value: number) => results.push({ Id: `${group}_${id}`, StatusCode: 'Complete', Timestamps: minutes, Values: minutes.map(() => value) });
      series('requests', 200);
      series('e5xx', 0);
      series('e4xx', 0);
      series('p50', 0.05);
      series('p90', 0.1);
      series('avg', 0.06);
      series('decision_reject', rejectPerMinute[group]);
      series('decision_review', 4);
      series('decision_approve', 196 - rejectPerMinute[group]);
    }
    return { MetricDataResults: results };
  });
}

/** The pipeline: the canary deploys, the gate waits, and after the answer the fleet deploys (approved) or the execution fails (rejected). */
function scriptPipeline(options: { approvedAfterPause?: boolean } = {}) {
  let polls = 0;
  let pollsSincePause = 0;
  // mod's own answer, or (approvedAfterPause) a user's mod approve a few polls after the canary paused.
  const answer = () => {
    if (options.approvedAfterPause && cloudwatch.commandCalls(GetMetricDataCommand).length > 0 && ++pollsSincePause > 6) return 'Approved';
    return pipeline.commandCalls(PutApprovalResultCommand)[0]?.args[0].input.result?.status;
  };
  pipeline.on(GetPipelineCommand).resolves(PIPELINE);
  pipeline.on(ListPipelineExecutionsCommand).resolves({
    pipelineExecutionSummaries: [
      { pipelineExecutionId: 'exec-2', status: 'InProgress', startTime: new Date(), sourceRevisions: [{ actionName: 'Source', revisionId: head }] },
      { pipelineExecutionId: 'exec-1', status: 'Succeeded', startTime: new Date(Date.now() - 3600_000), sourceRevisions: [{ actionName: 'Source', revisionId: previous }] },
    ],
  });
  pipeline.on(ListActionExecutionsCommand).resolves({
    actionExecutionDetails: [{ input: { actionTypeId: CODEDEPLOY, configuration: { DeploymentGroupName: 'fixture-stage' } }, output: { executionResult: { externalExecutionId: 'd-PREV' } } }],
  });
  pipeline.on(GetPipelineExecutionCommand).callsFake(() => ({ pipelineExecution: { status: answer() === 'Approved' ? 'Succeeded' : answer() === 'Rejected' ? 'Failed' : 'InProgress' } }));
  pipeline.on(GetPipelineStateCommand).callsFake(() => {
    polls++;
    const done = (status: string | undefined, externalExecutionId?: string, token?: string) => (status ? { status, externalExecutionId, token } : undefined);
    const canaryStatus = polls === 1 ? 'InProgress' : 'Succeeded';
    const gateStatus = polls === 1 ? undefined : answer() === 'Approved' ? 'Succeeded' : answer() === 'Rejected' ? 'Failed' : 'InProgress';
    return {
      stageStates: [
        { stageName: 'Source', latestExecution: { pipelineExecutionId: 'exec-2', status: 'Succeeded' }, actionStates: [{ actionName: 'Source', latestExecution: done('Succeeded') }] },
        {
          stageName: 'Canary',
          latestExecution: { pipelineExecutionId: 'exec-2', status: 'InProgress' },
          actionStates: [
            { actionName: 'CanaryDeploy', latestExecution: done(canaryStatus, 'd-CANARY') },
            { actionName: 'CanaryGate', latestExecution: { ...done(gateStatus, undefined, 'tok-1'), summary: gateStatus === 'Succeeded' ? 'looked at it: fine' : undefined } },
          ],
        },
        { stageName: 'Deploy', latestExecution: { pipelineExecutionId: 'exec-2', status: 'InProgress' }, actionStates: [{ actionName: 'Deploy', latestExecution: answer() === 'Approved' ? done('Succeeded', 'd-FLEET') : undefined }] },
      ],
    };
  });
}

beforeEach(async () => {
  for (const mock of [pipeline, codebuild, codedeploy, elbv2, cloudwatch, logs]) mock.reset();
  await app.write('VERSION', `v-${Date.now()}\n`);
  head = await app.commit('A change');
  scriptPipeline();
  codebuild.on(BatchGetBuildsCommand).resolves({ builds: [] });
  codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'Succeeded' } });
  codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-PREV' }).resolves({ deploymentInfo: { deploymentId: 'd-PREV', status: 'Succeeded', revision: { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'prev.zip', bundleType: 'zip' } } } });
  codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-BASELINE' });
  codedeploy.on(ListDeploymentTargetsCommand).callsFake((input: { deploymentId: string }) => ({ targetIds: [{ 'd-CANARY': 'i-canary', 'd-BASELINE': 'i-baseline' }[input.deploymentId] ?? 'i-fleet'] }));
  codedeploy.on(BatchGetDeploymentTargetsCommand).resolves({ deploymentTargets: [] });
  elbv2.on(DescribeTargetGroupsCommand).resolves({
    TargetGroups: [
      { TargetGroupName: 'fixture-stage', TargetGroupArn: ARN.fleet, LoadBalancerArns: [ARN.lb] },
      { TargetGroupName: 'fixture-stage-canary', TargetGroupArn: ARN.canary, LoadBalancerArns: [ARN.lb] },
      { TargetGroupName: 'fixture-stage-baseline', TargetGroupArn: ARN.baseline, LoadBalancerArns: [ARN.lb] },
    ],
  });
  elbv2.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: ARN.listener, DefaultActions: [{ Type: 'forward', TargetGroupArn: ARN.fleet }] }] });
  pipeline.on(PutApprovalResultCommand).resolves({});
});

describe('issue 12.5: mod deploy with a canary on AWS (mocked SDK)', () => {
  it('a harmless change passes: the gate is approved and the fleet deploys', async () => {
    cloudwatchAnswers({ baseline: 6, canary: 6 });
    const run = await runCli(['deploy', '--env', 'stage', '--json'], { cwd: app.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ status: 'Succeeded', deploymentId: 'exec-2', canary: { verdict: 'Pass' } });
    expect(codedeploy.commandCalls(CreateDeploymentCommand).map((c) => c.args[0].input.deploymentGroupName)).toEqual(['fixture-stage-baseline']);
    expect(elbv2.commandCalls(ModifyListenerCommand)).toHaveLength(2);
    expect(pipeline.commandCalls(PutApprovalResultCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ pipelineName: 'fixture-stage', stageName: 'Canary', actionName: 'CanaryGate', token: 'tok-1', result: expect.objectContaining({ status: 'Approved' }) }),
    ]);
    expect(run.stderr).toContain('Canary/CanaryGate: the canary gate; mod judges the canary, then answers it');
  });

  it('a release whose service rejects far more posts fails by decision.reject: the gate is rejected, CANARY_FAILED, exit 1', async () => {
    cloudwatchAnswers({ baseline: 6, canary: 30 });
    const run = await runCli(['deploy', '--env', 'stage', '--json'], { cwd: app.dir });
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.json()).toMatchObject({ status: 'Failed', error: { code: 'CANARY_FAILED' } });
    expect((run.json() as { error: { message: string } }).error.message).toContain('decision.reject');
    expect(pipeline.commandCalls(PutApprovalResultCommand).map((c) => c.args[0].input.result?.status)).toEqual(['Rejected']);
    // The fleet got its traffic back after the window.
    expect(elbv2.commandCalls(ModifyListenerCommand).map((c) => c.args[0].input.DefaultActions)[1]).toEqual([{ Type: 'forward', TargetGroupArn: ARN.fleet }]);
  });

  it('a Marginal verdict with onMarginal: pause leaves the gate to mod approve; the deploy goes on once it is approved', async () => {
    await app.write('mod.config.yml', AWS_CONFIG.replace('  stage:\n', '  stage:\n    canary: { weight: 10, durationSeconds: 1, minSamples: 50, onMarginal: pause }\n'));
    head = await app.commit('Pause on Marginal');
    pipeline.reset();
    scriptPipeline({ approvedAfterPause: true });
    // No mod/Decisions from the service: the decision metrics have no data, so the verdict is at most Marginal.
    cloudwatch.on(GetMetricDataCommand).callsFake((input: { StartTime: Date; EndTime: Date }) => {
      const minutes: Date[] = [];
      for (let t = input.StartTime.getTime(); t < input.EndTime.getTime(); t += 60_000) minutes.push(new Date(t));
      const series = (id: string, value: number): MetricDataResult => ({ Id: id, StatusCode: 'Complete', Timestamps: minutes, Values: minutes.map(() => value) });
      return { MetricDataResults: ['baseline', 'canary'].flatMap((g) => [series(`${g}_requests`, 200), series(`${g}_p50`, 0.05), series(`${g}_p90`, 0.1)]) };
    });
    const run = await runCli(['deploy', '--env', 'stage', '--json'], { cwd: app.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(pipeline.commandCalls(PutApprovalResultCommand)).toHaveLength(0);
    expect(run.json()).toMatchObject({ status: 'Succeeded', canary: { verdict: 'Marginal', status: 'Judged', outcome: 'approved' } });
    expect(run.stderr).toContain('Marginal');
    await app.write('mod.config.yml', AWS_CONFIG.replace('  stage:\n', '  stage:\n    canary: { weight: 10, durationSeconds: 1, minSamples: 50, onMarginal: fail }\n'));
    await app.commit('Back to onMarginal: fail');
  });
});
