// Blue/green and canary calls of the AWS provider (issue 12.5) over real HTTP
// against the moto emulator, for what moto serves: a deployment group's
// deploymentStyle and blueGreenDeploymentConfiguration (the doctor check),
// ELBv2 weighted forwarding (ModifyListener with ForwardConfig), and
// CloudWatch PutMetricData/GetMetricData for the canary's queries. moto has no
// blue/green deployment progress nor StopDeployment, and computes no
// percentiles: those are in aws-blue-green.test.ts / aws-canary.test.ts with
// the SDK mocked.
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient, CreateApplicationCommand, CreateDeploymentGroupCommand, GetDeploymentGroupCommand } from '@aws-sdk/client-codedeploy';
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, DescribeListenersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, resolveEnvironment, type Environment } from '../../../../src/delivery/config.js';
import { blueGreenGroupCheck } from '../../../../src/delivery/providers/aws/aws-blue-green.js';
import { canaryMetricQueries, canarySamplesFromMetrics, dimensionOf, fetchCanaryMetrics } from '../../../../src/delivery/providers/aws/aws-canary-metrics.js';
import { findCanaryForwarding, restoreFleetTraffic, shiftToCanary } from '../../../../src/delivery/providers/aws/aws-canary-traffic.js';
import { AwsClients } from '../../../../src/delivery/providers/aws/aws-clients.js';
import { runIndependent, type AwsContext } from '../../../../src/delivery/providers/aws/aws-context.js';
import { awsNames } from '../../../../src/delivery/providers/aws/aws-names.js';
import { startMoto, type Moto } from '../../../support/moto.js';

// An emulator of its own: aws-emulator.test.ts resets the shared one (MOTO_ENDPOINT) while this file may run beside it.
delete process.env.MOTO_ENDPOINT;
const moto = await startMoto();
if (!moto.available) console.warn(`\n*** AWS blue/green and canary emulator suite NOT RUN: ${moto.reason} ***\n`);

describe.skipIf(!moto.available)('issue 12.5: blue/green and canary calls against the moto emulator (real HTTP)', () => {
  const config = { region: 'us-east-1' };
  let env: Environment;
  let ctx: AwsContext;
  let previousEndpoint: string | undefined;

  beforeAll(async () => {
    const m = moto as Moto;
    await m.reset();
    previousEndpoint = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = m.endpoint;
    env = resolveEnvironment(ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage', provider: 'aws', deploymentType: 'blue-green', aws: { region: 'us-east-1' } } } }), 'stage');
    ctx = { clients: new AwsClients(config), names: awsNames(env), all: runIndependent(false) };
  });
  afterAll(async () => {
    ctx?.clients.destroy();
    if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = previousEndpoint;
    await (moto as Moto).stop();
  });

  it('mod doctor reads a BLUE_GREEN deployment group and its termination wait', async () => {
    const cd = new CodeDeployClient(config);
    await cd.send(new CreateApplicationCommand({ applicationName: 'fixture-stage', computePlatform: 'Server' }));
    await cd.send(
      new CreateDeploymentGroupCommand({
        applicationName: 'fixture-stage',
        deploymentGroupName: 'fixture-stage',
        serviceRoleArn: 'arn:aws:iam::123456789012:role/codedeploy',
        deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
        blueGreenDeploymentConfiguration: {
          terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 5 },
          deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' },
          greenFleetProvisioningOption: { action: 'COPY_AUTO_SCALING_GROUP' },
        },
        loadBalancerInfo: { targetGroupInfoList: [{ name: 'fixture-stage' }] },
      }),
    );
    const group = (await ctx.clients.call(ctx.clients.codedeploy, new GetDeploymentGroupCommand({ applicationName: 'fixture-stage', deploymentGroupName: 'fixture-stage' }), 'group')).deploymentGroupInfo;
    // mod.config.yml keeps the original fleet 600 s (10 min); the group 5 min: the mismatch is named with its fix.
    const check = blueGreenGroupCheck(group, env, ctx.names);
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('termination wait is 5 min, mod.config.yml says 600s (10 min)');
    expect(check.detail).not.toContain('deployment style is');
    expect(blueGreenGroupCheck(group, { ...env, blueGreen: { terminationWaitSeconds: 300 } }, ctx.names)).toMatchObject({ status: 'pass' });
  });

  it('shifts the listener to weighted target groups and restores it', async () => {
    const ec2 = new EC2Client(config);
    const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!.slice(0, 2);
    const elb = new ElasticLoadBalancingV2Client(config);
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'fixture-stage', Subnets: subnets.map((s) => s.SubnetId!) }))).LoadBalancers![0]!;
    const arns: Record<string, string> = {};
    for (const name of ['fixture-stage', 'fixture-stage-canary', 'fixture-stage-baseline']) {
      arns[name] = (await elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 8080, VpcId: subnets[0]!.VpcId }))).TargetGroups![0]!.TargetGroupArn!;
    }
    const listener = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: arns['fixture-stage'] }] }))).Listeners![0]!;
    const weights = async () => {
      const read = (await elb.send(new DescribeListenersCommand({ ListenerArns: [listener.ListenerArn!] }))).Listeners![0]!.DefaultActions![0]!;
      return Object.fromEntries((read.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: read.TargetGroupArn, Weight: 1 }]).map((t) => [Object.keys(arns).find((n) => arns[n] === t.TargetGroupArn), t.Weight]));
    };

    const forwarding = await findCanaryForwarding(ctx);
    expect(forwarding).toMatchObject({ kind: 'listener', arn: listener.ListenerArn, loadBalancerArn: lb.LoadBalancerArn, fleetArn: arns['fixture-stage'] });
    await shiftToCanary(ctx, forwarding, 20);
    expect(await weights()).toEqual({ 'fixture-stage': 60, 'fixture-stage-canary': 20, 'fixture-stage-baseline': 20 });
    await restoreFleetTraffic(ctx, forwarding);
    expect((await weights())['fixture-stage-canary']).toBeUndefined();
  });

  it('reads the target groups’ counts and the service’s mod/Decisions with the canary’s queries', async () => {
    const cw = new CloudWatchClient(config);
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    const targets = { environment: 'stage', loadBalancer: 'app/fixture-stage/abc', targetGroups: { baseline: 'targetgroup/fixture-stage-baseline/111', canary: 'targetgroup/fixture-stage-canary/222' } };
    for (const group of ['baseline', 'canary'] as const) {
      const alb = [
        { Name: 'TargetGroup', Value: targets.targetGroups[group] },
        { Name: 'LoadBalancer', Value: targets.loadBalancer },
      ];
      const decisions = (decision: string) => [
        { Name: 'Environment', Value: 'stage' },
        { Name: 'Group', Value: group },
        { Name: 'Decision', Value: decision },
      ];
      for (const offset of [0, 60_000]) {
        const Timestamp = new Date(minute + offset + 5_000);
        await cw.send(new PutMetricDataCommand({ Namespace: 'AWS/ApplicationELB', MetricData: [{ MetricName: 'RequestCount', Dimensions: alb, Value: 100, Timestamp }] }));
        await cw.send(new PutMetricDataCommand({ Namespace: 'AWS/ApplicationELB', MetricData: [{ MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: alb, Value: group === 'canary' ? 2 : 0, Timestamp }] }));
        await cw.send(
          new PutMetricDataCommand({
            Namespace: 'mod',
            MetricData: [
              { MetricName: 'Decisions', Dimensions: decisions('approve'), Value: group === 'canary' ? 80 : 95, Timestamp },
              { MetricName: 'Decisions', Dimensions: decisions('reject'), Value: group === 'canary' ? 18 : 5, Timestamp },
            ],
          }),
        );
      }
    }
    // moto computes no percentiles: read the counts and averages (the percentile queries are covered with the SDK mocked).
    const queries = canaryMetricQueries(targets).filter((q) => !/_p\d+$/.test(q.Id!));
    const series = await fetchCanaryMetrics(ctx, queries, new Date(minute), new Date(minute + 120_000));
    expect([...series.get('canary_requests')!.entries()]).toEqual([
      [minute, 100],
      [minute + 60_000, 100],
    ]);
    const { totals } = canarySamplesFromMetrics(series);
    expect(totals).toEqual({
      baseline: { requests: 200, errors5xx: 0, errors4xx: 0, decisions: { approve: 190, review: 0, reject: 10 } },
      canary: { requests: 200, errors5xx: 4, errors4xx: 0, decisions: { approve: 160, review: 0, reject: 36 } },
    });
    expect(dimensionOf('arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/fixture-stage/abc')).toBe('app/fixture-stage/abc');
  });
});
