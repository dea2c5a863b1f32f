// The AWS provider over real HTTP against the moto emulator, for the
// resource calls it serves (EC2, ELBv2 target health, CodeDeploy deployment
// groups, CodeBuild projects, CloudWatch alarms and log groups, STS). moto
// has no pipeline executions or deployment progress: those flows are in
// aws-flows.test.ts with the SDK mocked. The SDK finds the emulator through
// AWS_ENDPOINT_URL, as it would any endpoint.
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient, CreateProjectCommand } from '@aws-sdk/client-codebuild';
import { CodeDeployClient, CreateApplicationCommand, CreateDeploymentGroupCommand } from '@aws-sdk/client-codedeploy';
import { CodePipelineClient, CreatePipelineCommand } from '@aws-sdk/client-codepipeline';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DescribeSubnetsCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsFixture } from '../../../support/aws-fixture.js';
import type { FixtureApp } from '../../../support/fixture-app.js';
import { startMoto, type Moto } from '../../../support/moto.js';
import { MotoTimestampHandler } from '../../../support/moto-timestamps.js';
import { openWorkspace } from '../../../../src/delivery/workspace.js';
import { runCli } from '../../../support/run-cli.js';

const moto = await startMoto();
if (!moto.available) {
  // Loud on purpose: CI installs moto on this machine kind; a machine without it runs only the mocked suite.
  console.warn(`\n*** AWS emulator suite NOT RUN: ${moto.reason} ***\n`);
}

describe.skipIf(!moto.available)('AWS provider against the moto emulator (real HTTP)', () => {
  let app: FixtureApp;
  let instanceIds: string[] = [];
  const env = () => ({ AWS_ENDPOINT_URL: (moto as Moto).endpoint });

  beforeAll(async () => {
    const m = moto as Moto;
    await m.reset();
    process.env.AWS_ENDPOINT_URL = m.endpoint;
    const config = { region: 'us-east-1' };
    const ec2 = new EC2Client(config);
    const run = await ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 2, MaxCount: 2, InstanceType: 't3.small', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'app', Value: 'fixture-stage' }] }] }));
    instanceIds = run.Instances!.map((i) => i.InstanceId!);
    const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!.slice(0, 2);
    const elb = new ElasticLoadBalancingV2Client(config);
    const lb = await elb.send(new CreateLoadBalancerCommand({ Name: 'fixture-stage', Subnets: subnets.map((s) => s.SubnetId!) }));
    const tg = await elb.send(new CreateTargetGroupCommand({ Name: 'fixture-stage-tg', Protocol: 'HTTP', Port: 8080, VpcId: subnets[0]!.VpcId }));
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancers![0]!.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroups![0]!.TargetGroupArn }] }));
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroups![0]!.TargetGroupArn, Targets: instanceIds.map((Id) => ({ Id, Port: 8080 })) }));
    const cd = new CodeDeployClient(config);
    await cd.send(new CreateApplicationCommand({ applicationName: 'fixture-stage', computePlatform: 'Server' }));
    await cd.send(
      new CreateDeploymentGroupCommand({
        applicationName: 'fixture-stage',
        deploymentGroupName: 'fixture-stage',
        serviceRoleArn: 'arn:aws:iam::123456789012:role/codedeploy',
        ec2TagFilters: [{ Key: 'app', Value: 'fixture-stage', Type: 'KEY_AND_VALUE' }],
        autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
        alarmConfiguration: { enabled: true, alarms: [{ name: 'fixture-stage-5xx' }] },
        loadBalancerInfo: { targetGroupInfoList: [{ name: 'fixture-stage-tg' }] },
      }),
    );
    await new CloudWatchClient(config).send(
      new PutMetricAlarmCommand({ AlarmName: 'fixture-stage-5xx', MetricName: 'HTTPCode_Target_5XX_Count', Namespace: 'AWS/ApplicationELB', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 5, ComparisonOperator: 'GreaterThanThreshold' }),
    );
    await new CodeBuildClient(config).send(
      new CreateProjectCommand({
        name: 'fixture-stage',
        source: { type: 'S3', location: 'artifacts/source.zip' },
        artifacts: { type: 'NO_ARTIFACTS' },
        environment: { type: 'LINUX_CONTAINER', image: 'aws/codebuild/standard:7.0', computeType: 'BUILD_GENERAL1_SMALL' },
        serviceRole: 'arn:aws:iam::123456789012:role/codebuild',
      }),
    );
    await new CloudWatchLogsClient(config).send(new CreateLogGroupCommand({ logGroupName: '/aws/codebuild/fixture-stage' }));
    const role = await new IAMClient(config).send(
      new CreateRoleCommand({
        RoleName: 'codepipeline',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'codepipeline.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
      }),
    );
    await new CodePipelineClient(config).send(
      new CreatePipelineCommand({
        pipeline: {
          name: 'fixture-stage',
          roleArn: role.Role!.Arn,
          artifactStore: { type: 'S3', location: 'artifacts' },
          stages: [
            { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' }, configuration: { BranchName: 'release' }, outputArtifacts: [{ name: 'src' }] }] },
            { name: 'Deploy', actions: [{ name: 'Deploy', actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' }, inputArtifacts: [{ name: 'src' }] }] },
          ],
        },
      }),
    );
    ({ app } = await createAwsFixture());
    // moto does not keep a deployment group's loadBalancerInfo: name the target group as for an ALB attached to the ASG.
    await app.write('mod.config.yml', (await app.read('mod.config.yml')).replace('      region: us-east-1\n', '      region: us-east-1\n      targetGroups: [fixture-stage-tg]\n'));
  });
  afterAll(async () => {
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
    await app?.dispose({ stop: false });
    await (moto as Moto).stop();
  });

  it('mod status reads instances, target health, the endpoint and the rollback settings', async () => {
    const run = await runCli(['status', '--env', 'stage', '--json'], { cwd: app.dir, env: env() });
    expect(run.exitCode, run.stderr).toBe(0);
    const stage = run.json<{ environments: Record<string, unknown>[] }>().environments[0]!;
    expect(stage).toMatchObject({
      provider: 'aws',
      // the load balancer's DNS name as moto reports it (never contacted)
      endpoint: expect.stringMatching(/^http:\/\/fixture-stage-\S+$/),
      // moto keeps autoRollbackConfiguration but drops alarmConfiguration, so alarms read as off here.
      autoRollback: { onFailure: true, onAlarms: false, alarms: [] },
    });
    const instances = stage.instances as { id: string; healthy: boolean; imageId: string; launchedAt: string }[];
    expect(instances.map((i) => i.id).sort()).toEqual([...instanceIds].sort());
    expect(instances.every((i) => i.healthy && i.imageId === 'ami-12c6146b' && !Number.isNaN(Date.parse(i.launchedAt)))).toBe(true);
    expect((stage.instances as { state: string }[]).map((i) => i.state)).toEqual(['healthy', 'healthy']);
    // moto has no pipeline executions: status says so instead of failing.
    expect((stage.warnings as string[]).join(' ')).toContain('deployment history unavailable');
  });

  it('doctor checks credentials, resources, branch, auto-rollback and alarms', async () => {
    // GetPipeline needs the timestamp shim (see moto-timestamps.ts), so this drives the provider directly.
    const ws = await openWorkspace(app.dir, process.env, { aws: { requestHandler: new MotoTimestampHandler() } });
    const stage = ws.environment('stage');
    const checks = await (await ws.provider(stage)).doctor(stage);
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.credentials).toMatchObject({ status: 'pass', detail: expect.stringContaining('123456789012') });
    expect(byName['codebuild project']).toMatchObject({ status: 'pass' });
    expect(byName['deployment group']).toMatchObject({ status: 'pass', detail: expect.stringContaining('DEPLOYMENT_FAILURE') });
    // moto drops alarmConfiguration: the check warns that no alarm guards the group.
    expect(byName.alarms).toMatchObject({ status: 'warn', detail: expect.stringContaining('watches no CloudWatch alarms') });
    expect(byName['build logs']).toMatchObject({ status: 'pass' });
    // The pipeline builds `release`, the config says `stage`: caught.
    expect(byName.pipeline).toMatchObject({ status: 'fail', detail: expect.stringContaining('builds branch release, but mod.config.yml says stage') });
  });

  it('names the missing resource for an environment that does not exist in the account', async () => {
    const run = await runCli(['doctor', '--env', 'production', '--json'], { cwd: app.dir, env: env() });
    const checks = run.json<{ checks: { name: string; status: string; detail: string }[] }>().checks;
    expect(checks.find((c) => c.name === 'deployment group')).toMatchObject({ status: 'fail', detail: expect.stringContaining('fixture-production') });
    expect(run.exitCode).toBe(1);
  });
});
