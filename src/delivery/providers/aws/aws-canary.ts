// The canary on AWS (issue 12.5). The pipeline deploys the new revision to a
// one-instance deployment group of its own (`<app>-<env>-canary`, in its own
// target group) and then waits at a manual approval (the canary gate) before
// the fleet's deploy. While the pipeline deploys the canary, mod deploys the
// current revision to a one-instance baseline group (a fresh baseline, never
// the long-running fleet). At the gate mod shifts the ALB with weighted target
// groups (canary weight%, baseline weight%, the fleet the rest), waits
// durationSeconds, gives the fleet its traffic back, reads both sides'
// metrics from CloudWatch and judges them with the same judge as locally;
// then it answers the gate: Pass approves (the fleet deploys), Fail rejects
// (the pipeline stops, the fleet keeps its revision), Marginal does what
// onMarginal says (pause leaves the gate to `mod approve`).
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { CreateDeploymentCommand, GetDeploymentCommand, GetDeploymentGroupCommand, ListDeploymentTargetsCommand, type RevisionLocation } from '@aws-sdk/client-codedeploy';
import { GetPipelineCommand } from '@aws-sdk/client-codepipeline';
import { judgeCanary } from '../../canary/judge.js';
import type { CanaryRecord, CanarySettings, CanaryVerdict } from '../../canary/canary-types.js';
import type { Environment } from '../../config.js';
import type { DeploymentError, DeploymentRecord } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { DoctorCheck, PendingApproval } from '../../provider.js';
import { answerPendingApproval } from './aws-approve.js';
import { annotateVerdict, CANARY_GROUPS, canaryMetricQueries, canarySamplesFromMetrics, dimensionOf, fetchCanaryMetrics } from './aws-canary-metrics.js';
import { findCanaryForwarding, restoreFleetTraffic, shiftToCanary } from './aws-canary-traffic.js';
import type { AwsContext } from './aws-context.js';

/** What the pipeline watch tells the canary. */
export interface CanaryHooks {
  /** The pipeline's canary deploy action started (its CodeDeploy deployment). */
  canaryDeployStarted(deploymentId: string): Promise<void>;
  /** The canary is deployed and the pipeline waits at the canary gate. */
  gateReached(gate: PendingApproval, canaryDeploymentId: string | undefined): Promise<void>;
  /** The gate was answered (by mod, or by `mod approve` on a paused canary). */
  gateClosed(status: string, summary: string | undefined): void;
}

export interface AwsCanaryOptions {
  settings: CanarySettings;
  /** The current revision (the last successful deployment's), for the baseline; none on a first deploy. */
  baseline?: { revision: RevisionLocation; commit: string };
  /** Why there is no baseline (default: a first deploy). */
  skipReason?: string;
  events: DeliveryEvents;
  signal: AbortSignal;
  pollMs: number;
  /** ALB metrics reach CloudWatch a minute or so late: after the window, read again until the window's last minute is there, for at most this long (default 180 s). */
  metricsSettleMs?: number;
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export class AwsCanaryRun implements CanaryHooks {
  /** Set when the canary failed the release (the deployment's error). */
  failure: DeploymentError | undefined;
  private baselineDeploymentId: string | undefined;
  private gateAnswered = false;

  constructor(
    private readonly ctx: AwsContext,
    private readonly env: Environment,
    private readonly record: DeploymentRecord,
    private readonly options: AwsCanaryOptions,
  ) {}

  async canaryDeployStarted(): Promise<void> {
    const { baseline, events } = this.options;
    if (!baseline || this.baselineDeploymentId) return;
    const { clients, names } = this.ctx;
    const created = await clients.call(
      clients.codedeploy,
      new CreateDeploymentCommand({ applicationName: names.codedeployApplication, deploymentGroupName: names.baselineDeploymentGroup, revision: baseline.revision, description: `mod: canary baseline ${baseline.commit} for ${this.record.deploymentId}` }),
      `deployment group ${names.codedeployApplication}/${names.baselineDeploymentGroup}`,
    );
    this.baselineDeploymentId = created.deploymentId;
    events({ type: 'notice', level: 'info', message: `canary: baseline ${baseline.commit.slice(0, 8)} deploying to ${names.baselineDeploymentGroup} (${created.deploymentId}) beside the canary` });
  }

  async gateReached(gate: PendingApproval, canaryDeploymentId: string | undefined): Promise<void> {
    if (this.gateAnswered) return;
    this.gateAnswered = true;
    const { settings, baseline, events, signal } = this.options;
    if (!baseline) {
      const reason = this.options.skipReason ?? 'first deploy: nothing to compare the canary with';
      this.record.canary = { status: 'Skipped', note: reason, canaryInstances: [], baselineInstances: [] };
      events({ type: 'canary', phase: 'skipped', reason });
      await this.answer(gate, true, `canary skipped: ${reason}`);
      return;
    }
    await this.canaryDeployStarted();
    const baselineEnd = await this.waitForBaseline();
    if (baselineEnd !== 'Succeeded') {
      const reason = `baseline deployment ${this.baselineDeploymentId} ${baselineEnd}: nothing to compare the canary with`;
      this.record.canary = { status: 'Skipped', note: reason, canaryInstances: [], baselineInstances: [] };
      this.failure = { code: 'CANARY_FAILED', message: reason, hint: `see the deployment in CodeDeploy (${this.ctx.names.baselineDeploymentGroup}); the fleet keeps its revision` };
      events({ type: 'canary', phase: 'skipped', reason });
      await this.answer(gate, false, reason);
      return;
    }
    const [canaryInstances, baselineInstances] = await Promise.all([this.instancesOf(canaryDeploymentId), this.instancesOf(this.baselineDeploymentId)]);
    const startedAt = new Date();
    const record: CanaryRecord = { status: 'Running', startedAt: startedAt.toISOString(), canaryInstances, baselineInstances };
    this.record.canary = record;
    events({ type: 'canary', phase: 'start', deploymentId: this.record.deploymentId, canaryInstances, baselineInstances, weight: settings.weight, durationSeconds: settings.durationSeconds, baselineCommit: baseline.commit });

    const forwarding = await findCanaryForwarding(this.ctx);
    await shiftToCanary(this.ctx, forwarding, settings.weight);
    events({ type: 'notice', level: 'info', message: `canary: ALB ${forwarding.kind} now sends ${settings.weight}% to the canary, ${settings.weight}% to the baseline, ${100 - 2 * settings.weight}% to the fleet` });
    try {
      events({ type: 'canary', phase: 'sampling', durationSeconds: settings.durationSeconds });
      await sleep(settings.durationSeconds * 1000, signal);
    } finally {
      await restoreFleetTraffic(this.ctx, forwarding);
      events({ type: 'notice', level: 'info', message: 'canary: the fleet has all the traffic again' });
    }
    if (signal.aborted) return;
    const endedAt = new Date();

    const queries = canaryMetricQueries({
      environment: this.env.name,
      loadBalancer: dimensionOf(forwarding.loadBalancerArn),
      targetGroups: { canary: dimensionOf(forwarding.canaryArn), baseline: dimensionOf(forwarding.baselineArn) },
    });
    const start = new Date(Math.floor(startedAt.getTime() / 60_000) * 60_000);
    const series = await this.settledMetrics(queries, start, endedAt);
    if (signal.aborted) return;
    const samples = canarySamplesFromMetrics(series);
    const verdict = annotateVerdict(judgeCanary(samples.samples, settings), samples);
    const proceed = verdict.verdict === 'Pass' || (verdict.verdict === 'Marginal' && settings.onMarginal === 'continue');
    const pause = verdict.verdict === 'Marginal' && settings.onMarginal === 'pause';
    const outcome = proceed ? 'continued' : pause ? 'paused' : 'rolled-back';
    Object.assign(record, { status: pause ? 'Paused' : 'Judged', endedAt: endedAt.toISOString(), verdict, outcome, live: { at: endedAt.toISOString(), baseline: samples.totals.baseline, canary: samples.totals.canary } } satisfies Partial<CanaryRecord>);
    events({ type: 'canary', phase: 'verdict', verdict, samples: { baseline: samples.totals.baseline.requests, canary: samples.totals.canary.requests }, outcome });
    if (pause) {
      record.note = `Marginal (score ${verdict.score}): waiting for mod approve --env ${this.env.name} (or --reject)`;
      events({ type: 'canary', phase: 'paused', deploymentId: this.record.deploymentId, environment: this.env.name });
      return;
    }
    if (!proceed) this.failure = { code: 'CANARY_FAILED', message: `canary ${verdict.verdict}: ${verdict.reason}`, hint: `mod canary report ${this.record.deploymentId} shows each metric; the fleet keeps its revision` };
    await this.answer(gate, proceed, summaryOf(verdict));
  }

  /** Reads the window's metrics, again until both sides have a datapoint for the minute it ended in (CloudWatch lags), or the settle time is up. */
  private async settledMetrics(queries: MetricDataQuery[], start: Date, endedAt: Date) {
    const lastMinute = Math.floor(endedAt.getTime() / 60_000) * 60_000;
    const end = new Date(lastMinute + 60_000);
    const deadline = Date.now() + (this.options.metricsSettleMs ?? 180_000);
    for (;;) {
      const series = await fetchCanaryMetrics(this.ctx, queries, start, end);
      const settled = CANARY_GROUPS.every((g) => series.get(`${g}_requests`)?.has(lastMinute));
      if (settled || Date.now() >= deadline || this.options.signal.aborted) return series;
      this.options.events({ type: 'notice', level: 'info', message: 'canary: waiting for CloudWatch to publish the last minute of the window' });
      await sleep(Math.min(15_000, Math.max(0, deadline - Date.now())), this.options.signal);
    }
  }

  gateClosed(status: string, summary: string | undefined): void {
    const canary = this.record.canary;
    if (canary?.status !== 'Paused') return;
    const approved = status === 'Succeeded';
    canary.status = 'Judged';
    canary.outcome = approved ? 'approved' : 'rejected';
    canary.answer = { approved, summary: summary ?? '', by: 'mod approve (the pipeline approval)', at: new Date().toISOString() };
    this.options.events({ type: 'canary', phase: 'answered', approved, summary: summary ?? '' });
    if (!approved) this.failure = { code: 'CANARY_FAILED', message: `the paused canary (Marginal, score ${canary.verdict?.score ?? '?'}) was rejected${summary ? `: ${summary}` : ''}`, hint: 'the fleet keeps its revision' };
  }

  private async answer(gate: PendingApproval, approve: boolean, summary: string): Promise<void> {
    // PutApprovalResult takes at most 512 characters.
    await answerPendingApproval(this.ctx, gate, { approve, summary: summary.length > 512 ? `${summary.slice(0, 509)}...` : summary });
  }

  private async waitForBaseline(): Promise<string> {
    const { clients } = this.ctx;
    const id = this.baselineDeploymentId!;
    for (;;) {
      const info = (await clients.call(clients.codedeploy, new GetDeploymentCommand({ deploymentId: id }), `deployment ${id}`)).deploymentInfo;
      const status = info?.status ?? 'Failed';
      if (status === 'Succeeded' || status === 'Failed' || status === 'Stopped') return status;
      if (this.options.signal.aborted) return 'Stopped';
      await sleep(this.options.pollMs, this.options.signal);
    }
  }

  private async instancesOf(deploymentId: string | undefined): Promise<string[]> {
    if (!deploymentId) return [];
    const { clients } = this.ctx;
    const ids = (await clients.call(clients.codedeploy, new ListDeploymentTargetsCommand({ deploymentId }), `deployment ${deploymentId}`)).targetIds ?? [];
    return ids.map((t) => t.split('/').pop()!);
  }
}

/** `mod doctor`: what the canary needs: the pipeline's canary deploy and gate, the two one-instance groups, the three target groups. */
export async function canarySetupCheck(ctx: AwsContext): Promise<Omit<DoctorCheck, 'name'>> {
  const { clients, names } = ctx;
  const problems: string[] = [];
  const pipeline = (await clients.call(clients.codepipeline, new GetPipelineCommand({ name: names.pipeline }), `pipeline ${names.pipeline}`)).pipeline;
  const actions = (pipeline?.stages ?? []).flatMap((stage) => [...(stage.actions ?? [])].sort((a, b) => (a.runOrder ?? 1) - (b.runOrder ?? 1)));
  const canaryAt = actions.findIndex((a) => a.actionTypeId?.provider === 'CodeDeploy' && a.configuration?.DeploymentGroupName === names.canaryDeploymentGroup);
  if (canaryAt < 0) problems.push(`pipeline ${names.pipeline} has no CodeDeploy action for ${names.canaryDeploymentGroup}`);
  else if (!actions.slice(canaryAt + 1).some((a) => a.actionTypeId?.category === 'Approval')) problems.push(`pipeline ${names.pipeline} has no manual approval (the canary gate) after ${names.canaryDeploymentGroup}`);
  for (const group of [names.canaryDeploymentGroup, names.baselineDeploymentGroup]) {
    await clients.call(clients.codedeploy, new GetDeploymentGroupCommand({ applicationName: names.codedeployApplication, deploymentGroupName: group }), `deployment group ${names.codedeployApplication}/${group}`).catch((error: Error) => problems.push(error.message));
  }
  await findCanaryForwarding(ctx).catch((error: Error) => problems.push(error.message));
  if (problems.length) return { status: 'fail', detail: `${problems.join('; ')} (README: "The AWS provider", canary)` };
  return { status: 'pass', detail: `${names.canaryDeploymentGroup} + ${names.baselineDeploymentGroup}, target groups ${names.canaryTargetGroup} and ${names.baselineTargetGroup} beside ${names.targetGroups[0]}, gate after the canary deploy` };
}

function summaryOf(verdict: CanaryVerdict): string {
  const failing = verdict.metrics.filter((m) => m.verdict === 'fail').map((m) => `${m.name}: ${m.reason}`);
  return `canary ${verdict.verdict} (score ${verdict.score}): ${verdict.reason}${failing.length ? `; ${failing.join('; ')}` : ''}`;
}
