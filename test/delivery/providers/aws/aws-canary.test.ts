// The canary on AWS (issue 12.5) with the SDK mocked at its boundary
// (aws-sdk-client-mock): the CloudWatch queries and the adapter from their
// aggregates to the judge's samples, the ALB weighted target groups, and the
// run at the pipeline's canary gate (baseline deploy, shift, sample, judge,
// restore, answer).
import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, GetDeploymentGroupCommand, ListDeploymentTargetsCommand } from '@aws-sdk/client-codedeploy';
import { CodePipelineClient, GetPipelineCommand, PutApprovalResultCommand } from '@aws-sdk/client-codepipeline';
import { DescribeListenersCommand, DescribeRulesCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand, ModifyRuleCommand, type Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../../../src/delivery/canary/canary-types.js';
import { judgeCanary } from '../../../../src/delivery/canary/judge.js';
import { ConfigSchema, resolveEnvironment, type Environment } from '../../../../src/delivery/config.js';
import type { DeploymentRecord } from '../../../../src/delivery/deployment.js';
import type { DeliveryEvent } from '../../../../src/delivery/events.js';
import { AwsCanaryRun, canarySetupCheck } from '../../../../src/delivery/providers/aws/aws-canary.js';
import { annotateVerdict, canaryMetricQueries, canarySamplesFromMetrics, fetchCanaryMetrics, type MetricSeries } from '../../../../src/delivery/providers/aws/aws-canary-metrics.js';
import { findCanaryForwarding, restoreFleetTraffic, shiftToCanary } from '../../../../src/delivery/providers/aws/aws-canary-traffic.js';
import { AwsClients } from '../../../../src/delivery/providers/aws/aws-clients.js';
import { runIndependent, type AwsContext } from '../../../../src/delivery/providers/aws/aws-context.js';
import { awsNames } from '../../../../src/delivery/providers/aws/aws-names.js';

const cloudwatch = mockClient(CloudWatchClient);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const codedeploy = mockClient(CodeDeployClient);
const pipeline = mockClient(CodePipelineClient);

const CANARY = { weight: 10, durationSeconds: 1, minSamples: 50, thresholds: { pass: 90, marginal: 75 }, onMarginal: 'pause' } as const;

function environment(canary: Record<string, unknown> = {}): Environment {
  const config = ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage', provider: 'aws', canary: { ...CANARY, ...canary }, aws: { region: 'us-east-1', pollSeconds: 0.01 } } } });
  return resolveEnvironment(config, 'stage');
}

function context(env: Environment): AwsContext {
  return { clients: new AwsClients({ region: 'us-east-1' }), names: awsNames(env), all: runIndependent(false) };
}

interface Side {
  minutes: number;
  perMinute: number;
  e5?: number;
  e4?: number;
  /** Seconds, as CloudWatch reports TargetResponseTime. */
  p50: number;
  p90: number;
  /** Per minute. */
  decisions?: Partial<Record<Decision, number>>;
}

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);

/** GetMetricData results as CloudWatch returns them for the queries of canaryMetricQueries. */
function metricResults(sides: Record<'baseline' | 'canary', Side>): MetricDataResult[] {
  const results: MetricDataResult[] = [];
  for (const [group, side] of Object.entries(sides)) {
    const series = (id: string, value: number | undefined) => {
      if (value === undefined) return;
      results.push({ Id: `${group}_${id}`, StatusCode: 'Complete', Timestamps: Array.from({ length: side.minutes }, (_, i) => new Date(T0 + i * 60_000)), Values: Array.from({ length: side.minutes }, () => value) });
    };
    series('requests', side.perMinute);
    series('e5xx', side.e5 ?? 0);
    series('e4xx', side.e4 ?? 0);
    series('p50', side.p50);
    series('p90', side.p90);
    series('avg', (side.p50 + side.p90) / 2);
    for (const [decision, n] of Object.entries(side.decisions ?? {})) series(`decision_${decision}`, n);
  }
  return results;
}

function seriesOf(results: MetricDataResult[]): MetricSeries {
  const series: MetricSeries = new Map();
  for (const r of results) series.set(r.Id!, new Map(r.Timestamps!.map((t, i) => [t.getTime(), r.Values![i]!])));
  return series;
}

const healthy: Side = { minutes: 3, perMinute: 200, e5: 0, e4: 2, p50: 0.05, p90: 0.12, decisions: { approve: 188, review: 4, reject: 6 } };

describe('issue 12.5: canary metrics from CloudWatch GetMetricData', () => {
  beforeEach(() => cloudwatch.reset());

  it('asks per target group for RequestCount, target 5XX/4XX, TargetResponseTime p50/p90/avg, and the service’s mod/Decisions per decision', () => {
    const queries = canaryMetricQueries({ environment: 'stage', loadBalancer: 'app/fixture/abc', targetGroups: { baseline: 'targetgroup/fixture-stage-baseline/111', canary: 'targetgroup/fixture-stage-canary/222' } });
    const shape = (q: MetricDataQuery) => `${q.Id} ${q.MetricStat!.Metric!.Namespace}/${q.MetricStat!.Metric!.MetricName} ${q.MetricStat!.Stat} ${q.MetricStat!.Metric!.Dimensions!.map((d) => `${d.Name}=${d.Value}`).join(',')}`;
    expect(queries.filter((q) => q.Id!.startsWith('canary_')).map(shape)).toEqual([
      'canary_requests AWS/ApplicationELB/RequestCount Sum TargetGroup=targetgroup/fixture-stage-canary/222,LoadBalancer=app/fixture/abc',
      'canary_e5xx AWS/ApplicationELB/HTTPCode_Target_5XX_Count Sum TargetGroup=targetgroup/fixture-stage-canary/222,LoadBalancer=app/fixture/abc',
      'canary_e4xx AWS/ApplicationELB/HTTPCode_Target_4XX_Count Sum TargetGroup=targetgroup/fixture-stage-canary/222,LoadBalancer=app/fixture/abc',
      'canary_p50 AWS/ApplicationELB/TargetResponseTime p50 TargetGroup=targetgroup/fixture-stage-canary/222,LoadBalancer=app/fixture/abc',
      'canary_p90 AWS/ApplicationELB/TargetResponseTime p90 TargetGroup=targetgroup/fixture-stage-canary/222,LoadBalancer=app/fixture/abc',
      'canary_avg AWS/ApplicationELB/TargetResponseTime Average TargetGroup=targetgroup/fixture-stage-canary/222,LoadBalancer=app/fixture/abc',
      'canary_decision_approve mod/Decisions Sum Environment=stage,Group=canary,Decision=approve',
      'canary_decision_review mod/Decisions Sum Environment=stage,Group=canary,Decision=review',
      'canary_decision_reject mod/Decisions Sum Environment=stage,Group=canary,Decision=reject',
    ]);
    expect(queries.every((q) => q.MetricStat!.Period === 60)).toBe(true);
    expect(queries).toHaveLength(18);
  });

  it('follows NextToken pages', async () => {
    const env = environment();
    const results = metricResults({ baseline: healthy, canary: healthy });
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: results.slice(0, 5), NextToken: 'page-2' })
      .resolvesOnce({ MetricDataResults: results.slice(5) });
    const series = await fetchCanaryMetrics(context(env), [], new Date(T0), new Date(T0 + 180_000));
    expect(cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
    expect(series.size).toBe(results.length);
    expect([...series.get('canary_requests')!.values()]).toEqual([200, 200, 200]);
  });

  it('turns counts into samples with those statuses and decisions, and latencies through the minute’s p50 and p90', () => {
    const { samples, totals } = canarySamplesFromMetrics(seriesOf(metricResults({ baseline: healthy, canary: { ...healthy, e5: 3, e4: 0, decisions: { approve: 185, review: 6, reject: 6 } } })));
    const canary = samples.filter((s) => s.group === 'canary');
    expect(canary).toHaveLength(600);
    expect(canary.filter((s) => s.status >= 500)).toHaveLength(9);
    expect(canary.filter((s) => s.status >= 400 && s.status < 500)).toHaveLength(0);
    expect(canary.filter((s) => s.decision === 'reject')).toHaveLength(18);
    const sorted = canary.map((s) => s.latencyMs).sort((a, b) => a - b);
    expect(sorted[300]).toBeCloseTo(50, 0);
    expect(sorted[540]).toBeCloseTo(120, -1);
    expect(totals.canary).toEqual({ requests: 600, errors5xx: 9, errors4xx: 0, decisions: { approve: 555, review: 18, reject: 18 } });
  });

  it('the same judge passes a harmless change and fails one whose reject share goes from 3% to 9%, by decision.reject', () => {
    const harmless = canarySamplesFromMetrics(seriesOf(metricResults({ baseline: healthy, canary: { ...healthy, p50: 0.051 } })));
    expect(judgeCanary(harmless.samples, CANARY).verdict).toBe('Pass');

    const rejecting = canarySamplesFromMetrics(seriesOf(metricResults({ baseline: healthy, canary: { ...healthy, decisions: { approve: 176, review: 4, reject: 18 } } })));
    const verdict = annotateVerdict(judgeCanary(rejecting.samples, CANARY), rejecting);
    expect(verdict.verdict).toBe('Fail');
    expect(verdict.metrics.find((m) => m.name === 'decision.reject')).toMatchObject({ verdict: 'fail', baseline: { count: 18, samples: 594 }, canary: { count: 54, samples: 594 } });
    expect(verdict.metrics.find((m) => m.name === 'latency')!.reason).toContain('(CloudWatch aggregates: latencies rebuilt from per-minute TargetResponseTime p50/p90 of 600/600 requests over 3/3 min, not per-request samples)');
  });

  it('a 20% latency increase in CloudWatch’s percentiles fails latency', () => {
    const slower = canarySamplesFromMetrics(seriesOf(metricResults({ baseline: healthy, canary: { ...healthy, p50: 0.06, p90: 0.144 } })));
    const verdict = judgeCanary(slower.samples, CANARY);
    expect(verdict.metrics.find((m) => m.name === 'latency')!.verdict).toBe('fail');
    expect(verdict.verdict).toBe('Fail');
  });

  it('without the service’s mod/Decisions metrics the decision metrics have no data: Marginal, never Pass, and the reason says so', () => {
    const { decisions: _ignored, ...noDecisions } = healthy;
    const data = canarySamplesFromMetrics(seriesOf(metricResults({ baseline: noDecisions, canary: noDecisions })));
    const verdict = annotateVerdict(judgeCanary(data.samples, CANARY), data);
    expect(verdict.verdict).toBe('Marginal');
    expect(verdict.metrics.filter((m) => m.group === 'decisions').map((m) => m.verdict)).toEqual(['nodata', 'nodata', 'nodata']);
    expect(verdict.reason).toContain('no mod/Decisions datapoints for baseline: its decision metrics have no data');
  });
});

const ARN = {
  lb: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/fixture/abc',
  listener: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/fixture/abc/l1',
  rule: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/fixture/abc/l1/r1',
  fleet: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fixture-stage/000',
  canary: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fixture-stage-canary/222',
  baseline: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fixture-stage-baseline/111',
};

function targetGroups() {
  elbv2.on(DescribeTargetGroupsCommand).resolves({
    TargetGroups: [
      { TargetGroupName: 'fixture-stage', TargetGroupArn: ARN.fleet, LoadBalancerArns: [ARN.lb] },
      { TargetGroupName: 'fixture-stage-canary', TargetGroupArn: ARN.canary, LoadBalancerArns: [ARN.lb] },
      { TargetGroupName: 'fixture-stage-baseline', TargetGroupArn: ARN.baseline, LoadBalancerArns: [ARN.lb] },
    ],
  });
}

const WEIGHTED = (weight: number) => ({
  TargetGroups: [
    { TargetGroupArn: ARN.fleet, Weight: 100 - 2 * weight },
    { TargetGroupArn: ARN.canary, Weight: weight },
    { TargetGroupArn: ARN.baseline, Weight: weight },
  ],
  TargetGroupStickinessConfig: { Enabled: false },
});

describe('issue 12.5: canary traffic with ALB weighted target groups', () => {
  beforeEach(() => elbv2.reset());

  it('ModifyListener forwards weight% to the canary, weight% to the baseline, the rest to the fleet, then restores the listener', async () => {
    const ctx = context(environment());
    targetGroups();
    const original: Action[] = [{ Type: 'forward', TargetGroupArn: ARN.fleet, ForwardConfig: { TargetGroups: [{ TargetGroupArn: ARN.fleet, Weight: 1 }] } }];
    elbv2.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: ARN.listener, DefaultActions: [...original] }] });
    const forwarding = await findCanaryForwarding(ctx);
    await shiftToCanary(ctx, forwarding, 25);
    await restoreFleetTraffic(ctx, forwarding);
    expect(elbv2.commandCalls(DescribeTargetGroupsCommand)[0]!.args[0].input).toEqual({ Names: ['fixture-stage', 'fixture-stage-canary', 'fixture-stage-baseline'] });
    expect(elbv2.commandCalls(ModifyListenerCommand).map((c) => c.args[0].input)).toEqual([
      { ListenerArn: ARN.listener, DefaultActions: [{ Type: 'forward', ForwardConfig: WEIGHTED(25) }] },
      { ListenerArn: ARN.listener, DefaultActions: [...original] },
    ]);
  });

  it('ModifyRule when a listener rule, not the default action, forwards to the fleet', async () => {
    const ctx = context(environment());
    targetGroups();
    elbv2.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: ARN.listener, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }] });
    elbv2.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: ARN.rule, IsDefault: false, Actions: [{ Type: 'forward', Order: 1, TargetGroupArn: ARN.fleet }] }] });
    const forwarding = await findCanaryForwarding(ctx);
    await shiftToCanary(ctx, forwarding, 10);
    expect(elbv2.commandCalls(ModifyRuleCommand).map((c) => c.args[0].input)).toEqual([{ RuleArn: ARN.rule, Actions: [{ Type: 'forward', Order: 1, ForwardConfig: WEIGHTED(10) }] }]);
  });

  it('names the missing target group', async () => {
    const ctx = context(environment());
    elbv2.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupName: 'fixture-stage', TargetGroupArn: ARN.fleet, LoadBalancerArns: [ARN.lb] }] });
    await expect(findCanaryForwarding(ctx)).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', message: 'target group fixture-stage-canary does not exist' });
  });
});

describe('issue 12.5: the canary run at the pipeline’s canary gate', () => {
  beforeEach(() => {
    for (const m of [cloudwatch, elbv2, codedeploy, pipeline]) m.reset();
    targetGroups();
    elbv2.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: ARN.listener, DefaultActions: [{ Type: 'forward', TargetGroupArn: ARN.fleet }] }] });
    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-BASELINE' });
    codedeploy
      .on(GetDeploymentCommand, { deploymentId: 'd-BASELINE' })
      .resolvesOnce({ deploymentInfo: { status: 'InProgress' } })
      .resolves({ deploymentInfo: { status: 'Succeeded' } });
    codedeploy.on(ListDeploymentTargetsCommand, { deploymentId: 'd-CANARY' }).resolves({ targetIds: ['i-canary'] });
    codedeploy.on(ListDeploymentTargetsCommand, { deploymentId: 'd-BASELINE' }).resolves({ targetIds: ['i-baseline'] });
    pipeline.on(PutApprovalResultCommand).resolves({});
  });

  const gate = { stageName: 'Canary', actionName: 'CanaryGate', pipelineExecutionId: 'exec-2', commit: 'b'.repeat(40), token: 'tok-1' };
  const revision = { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'current.zip', bundleType: 'zip' } } as const;

  async function run(env: Environment, canary: Side, baseline?: typeof revision) {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: metricResults({ baseline: healthy, canary }) });
    const record = { deploymentId: 'exec-2', revision: { commit: 'b'.repeat(40) } } as DeploymentRecord;
    const events: DeliveryEvent[] = [];
    const canaryRun = new AwsCanaryRun(context(env), env, record, {
      // The window itself is not what these tests are about.
      settings: { ...env.canary!, durationSeconds: 0.01 },
      baseline: baseline ? { revision: baseline, commit: 'a'.repeat(40) } : undefined,
      events: (e) => events.push(e),
      signal: new AbortController().signal,
      pollMs: 1,
      metricsSettleMs: 0,
    });
    await canaryRun.canaryDeployStarted();
    await canaryRun.gateReached(gate, 'd-CANARY');
    return { record, events, canaryRun };
  }

  const approvals = () => pipeline.commandCalls(PutApprovalResultCommand).map((c) => ({ ...c.args[0].input.result, token: c.args[0].input.token }));

  it('deploys the baseline beside the canary, shifts, judges, restores the fleet, and approves the gate on Pass', async () => {
    const { record, events, canaryRun } = await run(environment(), healthy, revision);
    expect(codedeploy.commandCalls(CreateDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ applicationName: 'fixture-stage', deploymentGroupName: 'fixture-stage-baseline', revision, description: `mod: canary baseline ${'a'.repeat(40)} for exec-2` }]);
    expect(elbv2.commandCalls(ModifyListenerCommand).map((c) => c.args[0].input.DefaultActions)).toEqual([[{ Type: 'forward', ForwardConfig: WEIGHTED(10) }], [{ Type: 'forward', TargetGroupArn: ARN.fleet }]]);
    expect(record.canary).toMatchObject({ status: 'Judged', outcome: 'continued', canaryInstances: ['i-canary'], baselineInstances: ['i-baseline'], verdict: { verdict: 'Pass' }, live: { canary: { requests: 600 } } });
    expect(approvals()).toEqual([expect.objectContaining({ status: 'Approved', token: 'tok-1' })]);
    expect(canaryRun.failure).toBeUndefined();
    expect(events.filter((e) => e.type === 'canary').map((e) => (e as { phase: string }).phase)).toEqual(['start', 'sampling', 'verdict']);
  });

  it('rejects the gate on Fail (a canary that rejects three times as many posts) and fails the release with CANARY_FAILED', async () => {
    const { record, canaryRun } = await run(environment(), { ...healthy, decisions: { approve: 176, review: 4, reject: 18 } }, revision);
    expect(record.canary).toMatchObject({ status: 'Judged', outcome: 'rolled-back', verdict: { verdict: 'Fail' } });
    expect(approvals()).toEqual([expect.objectContaining({ status: 'Rejected' })]);
    expect(approvals()[0]!.summary).toContain('decision.reject');
    expect(canaryRun.failure).toMatchObject({ code: 'CANARY_FAILED' });
    expect(elbv2.commandCalls(ModifyListenerCommand)).toHaveLength(2);
  });

  it('a Marginal verdict with onMarginal: pause leaves the gate to mod approve', async () => {
    const { decisions: _ignored, ...noDecisions } = healthy;
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: metricResults({ baseline: noDecisions, canary: noDecisions }) });
    const env = environment();
    const record = { deploymentId: 'exec-2', revision: { commit: 'b'.repeat(40) } } as DeploymentRecord;
    const events: DeliveryEvent[] = [];
    const canaryRun = new AwsCanaryRun(context(env), env, record, {
      settings: { ...env.canary!, durationSeconds: 0.01 },
      baseline: { revision, commit: 'a'.repeat(40) },
      events: (e) => events.push(e),
      signal: new AbortController().signal,
      pollMs: 1,
      metricsSettleMs: 0,
    });
    await canaryRun.gateReached(gate, 'd-CANARY');
    expect(record.canary).toMatchObject({ status: 'Paused', outcome: 'paused', verdict: { verdict: 'Marginal' } });
    expect(approvals()).toEqual([]);
    expect(events).toContainEqual({ type: 'canary', phase: 'paused', deploymentId: 'exec-2', environment: 'stage' });
  });

  it('a first deploy skips the canary, says so and approves the gate without shifting traffic', async () => {
    const { record, events } = await run(environment(), healthy);
    expect(record.canary).toMatchObject({ status: 'Skipped', note: 'first deploy: nothing to compare the canary with' });
    expect(events).toContainEqual({ type: 'canary', phase: 'skipped', reason: 'first deploy: nothing to compare the canary with' });
    expect(approvals()).toEqual([expect.objectContaining({ status: 'Approved', summary: 'canary skipped: first deploy: nothing to compare the canary with' })]);
    expect(elbv2.commandCalls(ModifyListenerCommand)).toHaveLength(0);
    expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });
});

describe('issue 12.5: mod doctor checks the canary setup on AWS', () => {
  beforeEach(() => {
    for (const m of [elbv2, codedeploy, pipeline]) m.reset();
    targetGroups();
    elbv2.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: ARN.listener, DefaultActions: [{ Type: 'forward', TargetGroupArn: ARN.fleet }] }] });
  });
  const deploy = (group: string) => ({ name: `Deploy-${group}`, actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' }, configuration: { DeploymentGroupName: group } }) as const;
  const gateAction = { name: 'CanaryGate', runOrder: 2, actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } } as const;

  it('passes with a canary deploy, a gate after it, both one-instance groups and the three target groups', async () => {
    pipeline.on(GetPipelineCommand).resolves({
      pipeline: {
        name: 'fixture-stage',
        roleArn: 'r',
        stages: [
          { name: 'Canary', actions: [deploy('fixture-stage-canary'), gateAction] },
          { name: 'Deploy', actions: [deploy('fixture-stage')] },
        ],
      },
    });
    codedeploy.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: {} });
    expect(await canarySetupCheck(context(environment()))).toMatchObject({ status: 'pass' });
  });

  it('names what is missing: the gate after the canary deploy, the baseline group', async () => {
    pipeline.on(GetPipelineCommand).resolves({
      pipeline: {
        name: 'fixture-stage',
        roleArn: 'r',
        stages: [
          { name: 'Canary', actions: [deploy('fixture-stage-canary')] },
          { name: 'Deploy', actions: [deploy('fixture-stage')] },
        ],
      },
    });
    codedeploy.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: {} });
    codedeploy.on(GetDeploymentGroupCommand, { deploymentGroupName: 'fixture-stage-baseline' }).rejects(Object.assign(new Error('no such group'), { name: 'DeploymentGroupDoesNotExistException' }));
    const check = await canarySetupCheck(context(environment()));
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('pipeline fixture-stage has no manual approval (the canary gate) after fixture-stage-canary');
    expect(check.detail).toContain('deployment group fixture-stage/fixture-stage-baseline does not exist');
  });
});
