// `mod status` on the AWS provider for two environments, with every AWS call
// answered by a fake that takes 100 ms (as a slow network round trip would),
// against the same status with the calls made one after another, in the same
// run. Goal: the parallel status costs at most 3 round trips of wall time.
import { CodeDeployClient, GetDeploymentGroupCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { CodePipelineClient, GetPipelineStateCommand, ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { performance } from 'node:perf_hooks';
import { status } from '../src/delivery/status.js';
import { openWorkspace } from '../src/delivery/workspace.js';
import { createAwsFixture } from '../test/support/aws-fixture.js';

const ROUND_TRIP_MS = 100;
const slow =
  <T>(value: T) =>
  async () => {
    await new Promise((resolve) => setTimeout(resolve, ROUND_TRIP_MS));
    return value;
  };

const now = new Date();
mockClient(CodePipelineClient)
  .on(ListPipelineExecutionsCommand)
  .callsFake(slow({ pipelineExecutionSummaries: [{ pipelineExecutionId: 'exec-1', status: 'Succeeded', startTime: now, lastUpdateTime: now, sourceRevisions: [{ actionName: 'Source', revisionId: 'unknown' }] }] }))
  .on(GetPipelineStateCommand)
  .callsFake(slow({ stageStates: [{ stageName: 'Source', latestExecution: { pipelineExecutionId: 'exec-1', status: 'Succeeded' } }] }));
mockClient(CodeDeployClient)
  .on(GetDeploymentGroupCommand)
  .callsFake(
    slow({
      deploymentGroupInfo: {
        autoScalingGroups: [{ name: 'asg' }],
        loadBalancerInfo: { targetGroupInfoList: [{ name: 'tg' }] },
        autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
      },
    }),
  )
  .on(ListDeploymentsCommand)
  .callsFake(slow({ deployments: [] }));
mockClient(EC2Client)
  .on(DescribeInstancesCommand)
  .callsFake(slow({ Reservations: [{ Instances: [1, 2].map((n) => ({ InstanceId: `i-${n}`, ImageId: 'ami-1', LaunchTime: now, State: { Name: 'running' } })) }] }));
mockClient(ElasticLoadBalancingV2Client)
  .on(DescribeTargetGroupsCommand)
  .callsFake(slow({ TargetGroups: [{ TargetGroupName: 'tg', TargetGroupArn: 'arn:tg', LoadBalancerArns: ['arn:lb'] }] }))
  .on(DescribeTargetHealthCommand)
  .callsFake(slow({ TargetHealthDescriptions: [1, 2].map((n) => ({ Target: { Id: `i-${n}` }, TargetHealth: { State: 'healthy' } })) }))
  .on(DescribeLoadBalancersCommand)
  .callsFake(slow({ LoadBalancers: [{ DNSName: 'lb.example' }] }));

const { app } = await createAwsFixture();
try {
  const parallelWs = await openWorkspace(app.dir);
  const parallelProvider = (await parallelWs.provider(parallelWs.environment('stage'))) as unknown as { calls: number };
  // Warm-up: loads the SDK modules once, as a long-running process would have them.
  await status(parallelWs, ['stage', 'production']);
  const before = parallelProvider.calls;
  const start = performance.now();
  const result = await status(parallelWs, ['stage', 'production']);
  const parallelMs = performance.now() - start;
  const parallelCalls = parallelProvider.calls - before;
  if (result.length !== 2 || result.some((e) => e.instances.length !== 2)) throw new Error('status did not read both environments');

  const sequentialWs = await openWorkspace(app.dir, process.env, { aws: { sequential: true } });
  const provider = await sequentialWs.provider(sequentialWs.environment('stage'));
  const seqStart = performance.now();
  for (const name of ['stage', 'production']) {
    const env = sequentialWs.environment(name);
    await provider.deployments(env, 50);
    await provider.environmentStatus(env);
  }
  const sequentialMs = performance.now() - seqStart;
  const sequentialCalls = (provider as unknown as { calls: number }).calls;

  console.log(`mod status, 2 environments, every AWS call ${ROUND_TRIP_MS} ms`);
  console.log(`  parallel (mod status):   ${parallelMs.toFixed(0)} ms for ${parallelCalls} calls = ${(parallelMs / ROUND_TRIP_MS).toFixed(2)} round trips (goal <= 3)`);
  console.log(`  sequential (baseline):   ${sequentialMs.toFixed(0)} ms for ${sequentialCalls} calls = ${(sequentialMs / ROUND_TRIP_MS).toFixed(2)} round trips`);
  console.log(`  speed-up: ${(sequentialMs / parallelMs).toFixed(1)}x`);
} finally {
  await app.dispose({ stop: false });
}
