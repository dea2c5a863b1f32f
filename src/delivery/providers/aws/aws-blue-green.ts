// Blue/green on AWS (issue 12): CodeDeploy's own BLUE_GREEN deployment style
// with traffic control through the ALB. CodeDeploy provisions the replacement
// (green) fleet, installs the revision there, reroutes the ALB to it and keeps
// the original (blue) fleet for the termination wait; mod checks that the
// deployment group is set up that way (doctor), reads the phases while it
// watches, and during the wait a fast rollback is CodeDeploy's instant
// rollback (StopDeployment with auto-rollback re-routes to the kept fleet).
import { GetDeploymentCommand, StopDeploymentCommand, type DeploymentGroupInfo, type DeploymentInfo, type DeploymentTarget } from '@aws-sdk/client-codedeploy';
import { ListActionExecutionsCommand } from '@aws-sdk/client-codepipeline';
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { DoctorCheck } from '../../provider.js';
import type { AwsContext } from './aws-context.js';
import type { AwsNames } from './aws-names.js';

/** What CodeDeploy is doing in a blue/green deployment, in the console's words. */
export type BlueGreenPhase = 'provisioning replacement instances' | 'installing on replacement instances' | 'rerouting traffic' | 'waiting for original instances termination' | 'original instances terminated' | 'ended';

export interface BlueGreenState {
  phase: BlueGreenPhase;
  originalInstances: string[];
  replacementInstances: string[];
  /** When CodeDeploy terminates the original fleet (reroute end + the group's wait), when known. */
  keepOriginalUntil?: string;
  originalTerminated: boolean;
}

export function isBlueGreen(info: DeploymentInfo | undefined): boolean {
  return info?.deploymentStyle?.deploymentType === 'BLUE_GREEN';
}

const instanceId = (t: DeploymentTarget) => t.instanceTarget?.targetId?.split('/').pop() ?? '?';
const TRAFFIC_EVENTS = new Set(['BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic', 'BeforeBlockTraffic', 'BlockTraffic', 'AfterBlockTraffic']);

/** Reads the phase and the fleets from a deployment and its targets (labels Blue = original, Green = replacement). */
export function blueGreenState(info: DeploymentInfo, targets: DeploymentTarget[]): BlueGreenState {
  const blue = targets.filter((t) => t.instanceTarget?.instanceLabel === 'Blue');
  const green = targets.filter((t) => t.instanceTarget?.instanceLabel === 'Green');
  const events = (ts: DeploymentTarget[]) => ts.flatMap((t) => t.instanceTarget?.lifecycleEvents ?? []);
  const trafficEvents = [...events(green), ...events(blue)].filter((e) => TRAFFIC_EVENTS.has(e.lifecycleEventName ?? ''));
  const rerouting = trafficEvents.some((e) => e.status === 'InProgress' || e.status === 'Succeeded');
  const rerouteEnd = Math.max(0, ...trafficEvents.map((e) => e.endTime?.getTime() ?? 0));
  const waitMinutes = info.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess?.terminationWaitTimeInMinutes;
  const terminates = info.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess?.action !== 'KEEP_ALIVE';
  let phase: BlueGreenPhase;
  if (info.status === 'Succeeded') phase = terminates ? 'original instances terminated' : 'ended';
  else if (info.status === 'Failed' || info.status === 'Stopped') phase = 'ended';
  else if (info.instanceTerminationWaitTimeStarted) phase = 'waiting for original instances termination';
  else if (green.length === 0) phase = 'provisioning replacement instances';
  else if (rerouting) phase = 'rerouting traffic';
  else phase = 'installing on replacement instances';
  return {
    phase,
    originalInstances: blue.map(instanceId),
    replacementInstances: green.map(instanceId),
    keepOriginalUntil: rerouteEnd && waitMinutes !== undefined && terminates ? new Date(rerouteEnd + waitMinutes * 60_000).toISOString() : undefined,
    originalTerminated: phase === 'original instances terminated',
  };
}

/** Fills the record's blue/green fields; says when the phase changed. */
export function recordBlueGreen(record: DeploymentRecord, state: BlueGreenState, events: DeliveryEvents, previous: BlueGreenPhase | undefined): void {
  record.deploymentType = 'blue-green';
  record.blueGreen = { originalInstances: state.originalInstances, replacementInstances: state.replacementInstances, keepOriginalUntil: state.keepOriginalUntil, originalTerminated: state.originalTerminated };
  if (state.phase === previous) return;
  const fleets =
    state.phase === 'waiting for original instances termination'
      ? ` (traffic on ${state.replacementInstances.join(', ') || 'the replacement fleet'}; original ${state.originalInstances.join(', ') || 'fleet'} kept${state.keepOriginalUntil ? ` until ${state.keepOriginalUntil}` : ''})`
      : '';
  events({ type: 'notice', level: 'info', message: `blue/green: ${state.phase}${fleets}` });
}

/** The deployment group settings a blue/green (or in-place) environment needs, and how to fix a mismatch. */
export function blueGreenGroupCheck(group: DeploymentGroupInfo | undefined, env: Environment, names: AwsNames): Omit<DoctorCheck, 'name'> {
  const where = `${names.codedeployApplication}/${names.deploymentGroup}`;
  const style = group?.deploymentStyle;
  const isBg = style?.deploymentType === 'BLUE_GREEN';
  const waitMinutes = Math.ceil(env.blueGreen.terminationWaitSeconds / 60);
  const fix = `aws deploy update-deployment-group --application-name ${names.codedeployApplication} --current-deployment-group-name ${names.deploymentGroup}`;
  if (env.deploymentType !== 'blue-green') {
    return isBg
      ? { status: 'fail', detail: `${where} is BLUE_GREEN but mod.config.yml says deploymentType in-place: set deploymentType: blue-green, or ${fix} --deployment-style deploymentType=IN_PLACE,deploymentOption=WITH_TRAFFIC_CONTROL` }
      : { status: 'pass', detail: `${where} deploys in place` };
  }
  const problems: string[] = [];
  if (!isBg || style?.deploymentOption !== 'WITH_TRAFFIC_CONTROL') problems.push(`deployment style is ${style?.deploymentType ?? 'IN_PLACE'}/${style?.deploymentOption ?? 'WITHOUT_TRAFFIC_CONTROL'}, not BLUE_GREEN/WITH_TRAFFIC_CONTROL`);
  if (!group?.loadBalancerInfo?.targetGroupInfoList?.length && !group?.loadBalancerInfo?.elbInfoList?.length) problems.push('no load balancer target group to reroute');
  const terminate = group?.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess;
  if (terminate?.action !== 'TERMINATE') problems.push(`original instances are ${terminate?.action === 'KEEP_ALIVE' ? 'kept alive' : 'not terminated on success'}`);
  else if (terminate.terminationWaitTimeInMinutes !== waitMinutes) problems.push(`termination wait is ${terminate.terminationWaitTimeInMinutes ?? 0} min, mod.config.yml says ${env.blueGreen.terminationWaitSeconds}s (${waitMinutes} min)`);
  if (group?.blueGreenDeploymentConfiguration?.deploymentReadyOption?.actionOnTimeout === 'STOP_DEPLOYMENT') problems.push('traffic waits for a manual reroute (deploymentReadyOption STOP_DEPLOYMENT)');
  if (problems.length) {
    return {
      status: 'fail',
      detail: `${where}: ${problems.join('; ')}. Fix: ${fix} --deployment-style deploymentType=BLUE_GREEN,deploymentOption=WITH_TRAFFIC_CONTROL --blue-green-deployment-configuration 'terminateBlueInstancesOnDeploymentSuccess={action=TERMINATE,terminationWaitTimeInMinutes=${waitMinutes}},deploymentReadyOption={actionOnTimeout=CONTINUE_DEPLOYMENT},greenFleetProvisioningOption={action=COPY_AUTO_SCALING_GROUP}' (and --load-balancer-info with the target group)`,
    };
  }
  const rounded = env.blueGreen.terminationWaitSeconds % 60 ? ` (CodeDeploy counts whole minutes: ${env.blueGreen.terminationWaitSeconds}s is ${waitMinutes} min)` : '';
  return { status: 'pass', detail: `${where} is BLUE_GREEN with traffic control, original fleet kept ${waitMinutes} min${rounded}` };
}

/** The CodeDeploy deployment behind a deployment id of mod's history (a pipeline execution, or a CodeDeploy id). */
export async function codeDeployIdOf({ clients, names }: AwsContext, deployment: Pick<DeploymentRecord, 'deploymentId' | 'revision' | 'aws'>): Promise<string | undefined> {
  const bundle = deployment.revision.bundle ?? `pipeline:${deployment.deploymentId}`;
  if (bundle.startsWith('codedeploy:')) return bundle.slice('codedeploy:'.length);
  if (deployment.aws?.codeDeployDeploymentId) return deployment.aws.codeDeployDeploymentId;
  if (!bundle.startsWith('pipeline:')) return undefined;
  const executionId = bundle.slice('pipeline:'.length);
  const actions = await clients.call(clients.codepipeline, new ListActionExecutionsCommand({ pipelineName: names.pipeline, filter: { pipelineExecutionId: executionId } }), `pipeline ${names.pipeline}`);
  // The fleet's deploy action, not the canary's.
  const deploys = (actions.actionExecutionDetails ?? []).filter((a) => a.input?.actionTypeId?.provider === 'CodeDeploy' && a.input.configuration?.DeploymentGroupName !== names.canaryDeploymentGroup);
  const fleet = deploys.find((a) => a.input?.configuration?.DeploymentGroupName === names.deploymentGroup) ?? deploys[0];
  return fleet?.output?.executionResult?.externalExecutionId;
}

export type InstantRollback = { rerouted: true; stoppedDeploymentId: string; rollbackDeploymentId?: string } | { rerouted: false; why: string };

/**
 * A fast rollback of a blue/green deployment whose original fleet is still kept:
 * StopDeployment with auto-rollback, which re-routes the ALB to the original
 * fleet (CodeDeploy's instant rollback, no reinstall). Anything else (the
 * deployment finished and the original fleet is gone) says why, and the caller
 * redeploys as a normal fast rollback.
 */
export async function rerouteToOriginalFleet(ctx: AwsContext, rolledBack: Pick<DeploymentRecord, 'deploymentId' | 'revision' | 'aws'>): Promise<InstantRollback> {
  const { clients } = ctx;
  const id = await codeDeployIdOf(ctx, rolledBack);
  if (!id) return { rerouted: false, why: `no CodeDeploy deployment found for ${rolledBack.deploymentId}` };
  const info = (await clients.call(clients.codedeploy, new GetDeploymentCommand({ deploymentId: id }), `deployment ${id}`)).deploymentInfo;
  if (!isBlueGreen(info)) return { rerouted: false, why: `${id} was not a blue/green deployment` };
  if (info?.status !== 'InProgress' && info?.status !== 'Ready') return { rerouted: false, why: `${id} already ended (${info?.status ?? '?'}${info?.completeTime ? ` at ${info.completeTime.toISOString()}` : ''}): its original fleet is terminated` };
  if (!info.instanceTerminationWaitTimeStarted) return { rerouted: false, why: `${id} has not rerouted traffic yet (still installing on the replacement fleet)` };
  await clients.call(clients.codedeploy, new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }), `deployment ${id}`);
  const after = (await clients.call(clients.codedeploy, new GetDeploymentCommand({ deploymentId: id }), `deployment ${id}`)).deploymentInfo;
  return { rerouted: true, stoppedDeploymentId: id, rollbackDeploymentId: after?.rollbackInfo?.rollbackDeploymentId };
}
