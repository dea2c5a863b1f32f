// Blue/green on AWS (issue 12.5) with the SDK mocked at its boundary
// (aws-sdk-client-mock): the deployment group check, the watch through
// CodeDeploy's blue/green phases, and the fast rollback that stops the
// deployment with auto-rollback while the original fleet is kept (or falls
// back to a redeploy when it is gone).
import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentTargetsCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentGroupInfo,
  type DeploymentInfo,
  type DeploymentTarget,
} from '@aws-sdk/client-codedeploy';
import { CodePipelineClient, GetPipelineCommand, GetPipelineExecutionCommand, GetPipelineStateCommand, ListActionExecutionsCommand, ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Git } from '../../../../src/git/git.js';
import { ConfigSchema, resolveEnvironment, type Environment } from '../../../../src/delivery/config.js';
import { newDeploymentRecord, type DeploymentRecord } from '../../../../src/delivery/deployment.js';
import type { DeliveryEvent } from '../../../../src/delivery/events.js';
import { blueGreenGroupCheck } from '../../../../src/delivery/providers/aws/aws-blue-green.js';
import { AwsClients } from '../../../../src/delivery/providers/aws/aws-clients.js';
import { runIndependent, type AwsContext } from '../../../../src/delivery/providers/aws/aws-context.js';
import { deployOnAws } from '../../../../src/delivery/providers/aws/aws-deploy.js';
import { awsNames } from '../../../../src/delivery/providers/aws/aws-names.js';
import { deploymentHistory } from '../../../../src/delivery/providers/aws/aws-history.js';
import { watchDeployment, watchPipelineExecution } from '../../../../src/delivery/providers/aws/pipeline-watch.js';

const codedeploy = mockClient(CodeDeployClient);
const pipeline = mockClient(CodePipelineClient);

function environment(extra: Record<string, unknown> = {}): Environment {
  const config = ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage', provider: 'aws', deploymentType: 'blue-green', aws: { region: 'us-east-1', pollSeconds: 0.01 }, ...extra } } });
  return resolveEnvironment(config, 'stage');
}

function context(env: Environment): AwsContext {
  return { clients: new AwsClients({ region: 'us-east-1' }), names: awsNames(env), all: runIndependent(false) };
}

const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s));
const BG = { deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' }, blueGreenDeploymentConfiguration: { terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 10 } } } as const;

function target(id: string, label: 'Blue' | 'Green', events: [string, string][]): DeploymentTarget {
  return {
    deploymentTargetType: 'InstanceTarget',
    instanceTarget: {
      targetId: id,
      instanceLabel: label,
      status: 'InProgress',
      lifecycleEvents: events.map(([name, status], i) => ({ lifecycleEventName: name, status: status as never, startTime: at(i), endTime: status === 'Succeeded' ? at(i + 1) : undefined })),
    },
  };
}

const INSTALL: [string, string][] = ['BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService'].map((n) => [n, 'Succeeded']);

describe('issue 12.5: mod doctor checks the deployment group is BLUE_GREEN with the ALB', () => {
  const env = environment();
  const names = awsNames(env);
  const good: DeploymentGroupInfo = {
    ...BG,
    loadBalancerInfo: { targetGroupInfoList: [{ name: 'fixture-stage' }] },
    blueGreenDeploymentConfiguration: { ...BG.blueGreenDeploymentConfiguration, deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' } },
  };

  it('passes a BLUE_GREEN group with traffic control whose wait matches terminationWaitSeconds', () => {
    expect(blueGreenGroupCheck(good, env, names)).toEqual({ status: 'pass', detail: 'fixture-stage/fixture-stage is BLUE_GREEN with traffic control, original fleet kept 10 min' });
  });

  it('fails an in-place group and says the update-deployment-group command that fixes it', () => {
    const check = blueGreenGroupCheck({ deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITH_TRAFFIC_CONTROL' }, loadBalancerInfo: good.loadBalancerInfo }, env, names);
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('deployment style is IN_PLACE/WITH_TRAFFIC_CONTROL, not BLUE_GREEN/WITH_TRAFFIC_CONTROL');
    expect(check.detail).toContain('original instances are not terminated on success');
    expect(check.detail).toContain(
      "aws deploy update-deployment-group --application-name fixture-stage --current-deployment-group-name fixture-stage --deployment-style deploymentType=BLUE_GREEN,deploymentOption=WITH_TRAFFIC_CONTROL --blue-green-deployment-configuration 'terminateBlueInstancesOnDeploymentSuccess={action=TERMINATE,terminationWaitTimeInMinutes=10}",
    );
  });

  it('fails a wait that differs from the config, a group without a target group, and a manual reroute', () => {
    const check = blueGreenGroupCheck(
      { ...BG, blueGreenDeploymentConfiguration: { terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 60 }, deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT' } } },
      environment({ blueGreen: { terminationWaitSeconds: 90 } }),
      names,
    );
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('no load balancer target group to reroute');
    expect(check.detail).toContain('termination wait is 60 min, mod.config.yml says 90s (2 min)');
    expect(check.detail).toContain('traffic waits for a manual reroute');
  });

  it('fails a BLUE_GREEN group on an in-place environment', () => {
    const check = blueGreenGroupCheck(good, environment({ deploymentType: 'in-place' }), names);
    expect(check).toMatchObject({ status: 'fail' });
    expect(check.detail).toContain('is BLUE_GREEN but mod.config.yml says deploymentType in-place');
  });
});

describe('issue 12.5: AWS blue/green deployments', () => {
  beforeEach(() => {
    codedeploy.reset();
    pipeline.reset();
  });

  it('the watch reports the blue/green phases, records the fleets and ends once only the termination wait is left', async () => {
    const env = environment();
    const steps: { info: DeploymentInfo; targets: DeploymentTarget[] }[] = [
      { info: { ...BG, deploymentId: 'd-BG', status: 'InProgress' }, targets: [target('i-blue1', 'Blue', [])] },
      { info: { ...BG, deploymentId: 'd-BG', status: 'InProgress' }, targets: [target('i-blue1', 'Blue', []), target('i-green1', 'Green', [['BeforeInstall', 'InProgress']])] },
      { info: { ...BG, deploymentId: 'd-BG', status: 'InProgress' }, targets: [target('i-blue1', 'Blue', [['BlockTraffic', 'InProgress']]), target('i-green1', 'Green', [...INSTALL, ['AllowTraffic', 'InProgress']])] },
      {
        info: { ...BG, deploymentId: 'd-BG', status: 'InProgress', instanceTerminationWaitTimeStarted: true },
        targets: [target('i-blue1', 'Blue', [['BlockTraffic', 'Succeeded']]), target('i-green1', 'Green', [...INSTALL, ['AllowTraffic', 'Succeeded']])],
      },
    ];
    let step = -1;
    codedeploy.on(GetDeploymentCommand).callsFake(() => ({ deploymentInfo: steps[Math.min(++step, steps.length - 1)]!.info }));
    codedeploy.on(ListDeploymentTargetsCommand).callsFake(() => ({ targetIds: steps[Math.min(step, steps.length - 1)]!.targets.map((t) => t.instanceTarget!.targetId!) }));
    codedeploy.on(BatchGetDeploymentTargetsCommand).callsFake(() => ({ deploymentTargets: steps[Math.min(step, steps.length - 1)]!.targets }));
    const events: DeliveryEvent[] = [];
    const record = newDeploymentRecord({ environment: env, commit: { commit: 'b'.repeat(40), subject: 's', author: 'a', authorEmail: 'a@x', date: '' }, initiator: 'me' } as never, 'aws', 'd-BG');
    const done = await watchDeployment({ clients: context(env).clients, names: awsNames(env), environment: 'stage', events: (e) => events.push(e), signal: new AbortController().signal, timeoutMs: 10_000, pollMs: 1 }, 'd-BG', record);

    const notices = events.flatMap((e) => (e.type === 'notice' && e.message.startsWith('blue/green') ? [e.message] : []));
    // i-green1's AllowTraffic ends at second 6 (its sixth event); the group keeps the original fleet 10 min.
    const until = new Date(at(6).getTime() + 10 * 60_000).toISOString();
    expect(notices).toEqual([
      'blue/green: provisioning replacement instances',
      'blue/green: installing on replacement instances',
      'blue/green: rerouting traffic',
      `blue/green: waiting for original instances termination (traffic on i-green1; original i-blue1 kept until ${until})`,
      'blue/green: the release is live; until the original fleet is terminated, mod rollback --env stage --fast re-routes traffic back to it',
    ]);
    expect(done.status).toBe('Succeeded');
    expect(done.deploymentType).toBe('blue-green');
    expect(done.blueGreen).toEqual({ originalInstances: ['i-blue1'], replacementInstances: ['i-green1'], keepOriginalUntil: until, originalTerminated: false });
  });

  it('a pipeline execution whose blue/green deploy is in the termination wait ends the watch Succeeded, and history counts it as deployed', async () => {
    const env = environment();
    const live = { ...BG, deploymentId: 'd-GREEN', status: 'InProgress', instanceTerminationWaitTimeStarted: true } as const;
    const targets = [target('i-blue1', 'Blue', [['BlockTraffic', 'Succeeded']]), target('i-green1', 'Green', [...INSTALL, ['AllowTraffic', 'Succeeded']])];
    pipeline.on(GetPipelineCommand).resolves({ pipeline: { name: 'fixture-stage', roleArn: 'r', stages: [{ name: 'Deploy', actions: [{ name: 'Deploy', actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' } }] }] } });
    pipeline.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { status: 'InProgress' } });
    pipeline.on(GetPipelineStateCommand).resolves({
      stageStates: [{ stageName: 'Deploy', latestExecution: { pipelineExecutionId: 'exec-2', status: 'InProgress' }, actionStates: [{ actionName: 'Deploy', latestExecution: { status: 'InProgress', externalExecutionId: 'd-GREEN' } }] }],
    });
    codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: live });
    codedeploy.on(ListDeploymentTargetsCommand).resolves({ targetIds: ['i-blue1', 'i-green1'] });
    codedeploy.on(BatchGetDeploymentTargetsCommand).resolves({ deploymentTargets: targets });
    const record = newDeploymentRecord({ environment: env, commit: { commit: 'b'.repeat(40), subject: 's', author: 'a', authorEmail: 'a@x', date: '' }, initiator: 'me' } as never, 'aws', 'exec-2');
    const done = await watchPipelineExecution({ clients: context(env).clients, names: awsNames(env), environment: 'stage', events: () => {}, signal: new AbortController().signal, timeoutMs: 10_000, pollMs: 1 }, 'exec-2', record);
    expect(done).toMatchObject({ status: 'Succeeded', deploymentType: 'blue-green', blueGreen: { originalInstances: ['i-blue1'], replacementInstances: ['i-green1'], originalTerminated: false } });

    history('InProgress');
    codedeploy.on(ListDeploymentTargetsCommand).resolves({ targetIds: ['i-blue1', 'i-green1'] });
    const listed = await deploymentHistory(context(env), env, 20);
    expect(listed.map((d) => [d.deploymentId, d.status])).toEqual([
      ['exec-2', 'Succeeded'],
      ['exec-1', 'Succeeded'],
    ]);
    expect(listed[0]).toMatchObject({ deploymentType: 'blue-green', aws: { codeDeployDeploymentId: 'd-GREEN' }, blueGreen: { originalInstances: ['i-blue1'] } });
    // An in-place environment's history makes no such calls and keeps the execution in progress.
    expect((await deploymentHistory(context(env), environment({ deploymentType: 'in-place' }), 20))[0]!.status).toBe('InProgress');
  });

  function history(liveStatus: 'InProgress' | 'Succeeded') {
    pipeline.on(ListPipelineExecutionsCommand).resolves({
      pipelineExecutionSummaries: [
        { pipelineExecutionId: 'exec-2', status: liveStatus, startTime: at(30), sourceRevisions: [{ actionName: 'Source', revisionId: 'b'.repeat(40) }] },
        { pipelineExecutionId: 'exec-1', status: 'Succeeded', startTime: at(0), sourceRevisions: [{ actionName: 'Source', revisionId: 'a'.repeat(40) }] },
      ],
    });
    pipeline.on(ListActionExecutionsCommand).callsFake((input: { filter: { pipelineExecutionId: string } }) => ({
      actionExecutionDetails: [{ input: { actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' } }, output: { executionResult: { externalExecutionId: input.filter.pipelineExecutionId === 'exec-2' ? 'd-GREEN' : 'd-BLUE' } } }],
    }));
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
    codedeploy.on(ListDeploymentTargetsCommand).resolves({ targetIds: [] });
  }

  async function fastRollback(env: Environment, previous: DeploymentRecord, events: DeliveryEvent[]) {
    return deployOnAws(context(env), {} as Git, {
      environment: env,
      commit: { commit: 'a'.repeat(40), subject: 'first', author: 'a', authorEmail: 'a@x', date: '', parents: [] },
      initiator: 'me',
      rollbackOf: 'exec-2',
      reuseRevisionOf: previous,
      signal: new AbortController().signal,
      events: (e) => events.push(e),
    });
  }

  const previous = { deploymentId: 'exec-1', status: 'Succeeded', revision: { commit: 'a'.repeat(40), bundle: 'pipeline:exec-1' } } as DeploymentRecord;

  it('rollback --fast during the termination wait stops the deployment with auto-rollback: CodeDeploy re-routes to the original fleet, no redeploy', async () => {
    const env = environment();
    history('InProgress');
    let stopped = false;
    codedeploy.on(StopDeploymentCommand).callsFake(() => {
      stopped = true;
      return { status: 'Pending' };
    });
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-GREEN' }).callsFake(() => ({
      deploymentInfo: { ...BG, deploymentId: 'd-GREEN', status: stopped ? 'Stopped' : 'InProgress', instanceTerminationWaitTimeStarted: true, rollbackInfo: stopped ? { rollbackDeploymentId: 'd-BACK' } : undefined },
    }));
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-BACK' }).resolves({ deploymentInfo: { ...BG, deploymentId: 'd-BACK', status: 'Succeeded', completeTime: at(50) } });
    const events: DeliveryEvent[] = [];

    const record = await fastRollback(env, previous, events);

    expect(codedeploy.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ deploymentId: 'd-GREEN', autoRollbackEnabled: true }]);
    expect(codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(record).toMatchObject({ deploymentId: 'd-BACK', status: 'Succeeded', deploymentType: 'blue-green', revision: { commit: 'a'.repeat(40), bundle: 'codedeploy:d-BACK' } });
    expect(record.reason).toContain('re-routed to the original fleet kept by d-GREEN');
    expect(events).toContainEqual({
      type: 'notice',
      level: 'info',
      message: 'blue/green: stopped d-GREEN with auto-rollback: CodeDeploy re-routes traffic to the original fleet (instant rollback, no reinstall); watching d-BACK',
    });
  });

  it('rollback --fast after the deployment finished falls back to redeploying the earlier revision, and says so', async () => {
    const env = environment();
    history('Succeeded');
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-GREEN' }).resolves({ deploymentInfo: { ...BG, deploymentId: 'd-GREEN', status: 'Succeeded', completeTime: at(40) } });
    const revision = { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'first.zip', bundleType: 'zip' } } as const;
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-BLUE' }).resolves({ deploymentInfo: { ...BG, deploymentId: 'd-BLUE', status: 'Succeeded', revision } });
    codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-FAST' });
    codedeploy.on(GetDeploymentCommand, { deploymentId: 'd-FAST' }).resolves({ deploymentInfo: { deploymentId: 'd-FAST', status: 'Succeeded', completeTime: at(60) } });
    const events: DeliveryEvent[] = [];

    const record = await fastRollback(env, previous, events);

    expect(codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(codedeploy.commandCalls(CreateDeploymentCommand).map((c) => c.args[0].input.revision)).toEqual([revision]);
    expect(record).toMatchObject({ deploymentId: 'd-FAST', status: 'Succeeded' });
    expect(events).toContainEqual({
      type: 'notice',
      level: 'info',
      message: `blue/green: no kept fleet to re-route to (d-GREEN already ended (Succeeded at ${at(40).toISOString()}): its original fleet is terminated); redeploying the earlier revision (a normal fast rollback)`,
    });
  });
});
