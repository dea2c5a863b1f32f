// The canary's share of traffic on AWS (issue 12.5): ALB weighted target
// groups. The listener (or listener rule) that forwards to the fleet's target
// group is changed to forward to three: canary weight%, baseline weight%, the
// fleet the rest; afterwards it gets its original actions back.
import { DescribeListenersCommand, DescribeRulesCommand, DescribeTargetGroupsCommand, ModifyListenerCommand, ModifyRuleCommand, type Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ModError } from '../../../errors.js';
import type { AwsContext } from './aws-context.js';

export interface CanaryForwarding {
  kind: 'listener' | 'rule';
  /** The listener's or the rule's ARN. */
  arn: string;
  /** Its actions before the canary, restored afterwards. */
  original: Action[];
  loadBalancerArn: string;
  fleetArn: string;
  canaryArn: string;
  baselineArn: string;
}

function forwardsTo(actions: Action[] | undefined, arn: string): boolean {
  return (actions ?? []).some((a) => a.Type === 'forward' && (a.TargetGroupArn === arn || a.ForwardConfig?.TargetGroups?.some((t) => t.TargetGroupArn === arn)));
}

/** Finds the listener or rule that sends traffic to the fleet, and the canary's and baseline's target groups. */
export async function findCanaryForwarding({ clients, names }: AwsContext): Promise<CanaryForwarding> {
  const fleetName = names.targetGroups[0]!;
  const wanted = [fleetName, names.canaryTargetGroup, names.baselineTargetGroup];
  const groups = (await clients.call(clients.elbv2, new DescribeTargetGroupsCommand({ Names: wanted }), `target groups ${wanted.join(', ')}`)).TargetGroups ?? [];
  const arnOf = (name: string) => {
    const arn = groups.find((g) => g.TargetGroupName === name)?.TargetGroupArn;
    if (!arn) throw new ModError('AWS_NOT_FOUND', `target group ${name} does not exist`, { hint: 'create it, or set environments.<env>.aws.targetGroups / canaryTargetGroup / baselineTargetGroup' });
    return arn;
  };
  const fleetArn = arnOf(fleetName);
  const loadBalancerArn = groups.find((g) => g.TargetGroupArn === fleetArn)?.LoadBalancerArns?.[0];
  if (!loadBalancerArn) throw new ModError('AWS_NOT_FOUND', `target group ${fleetName} is not attached to a load balancer`, { hint: 'the canary shifts traffic with the ALB listener that forwards to the fleet' });
  const base = { loadBalancerArn, fleetArn, canaryArn: arnOf(names.canaryTargetGroup), baselineArn: arnOf(names.baselineTargetGroup) };
  const listeners = (await clients.call(clients.elbv2, new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }), `load balancer ${loadBalancerArn}`)).Listeners ?? [];
  for (const listener of listeners) {
    if (forwardsTo(listener.DefaultActions, fleetArn)) return { ...base, kind: 'listener', arn: listener.ListenerArn!, original: listener.DefaultActions ?? [] };
  }
  for (const listener of listeners) {
    const rules = (await clients.call(clients.elbv2, new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }), `listener ${listener.ListenerArn}`)).Rules ?? [];
    const rule = rules.find((r) => !r.IsDefault && forwardsTo(r.Actions, fleetArn));
    if (rule) return { ...base, kind: 'rule', arn: rule.RuleArn!, original: rule.Actions ?? [] };
  }
  throw new ModError('AWS_NOT_FOUND', `no listener or rule of ${loadBalancerArn} forwards to ${fleetName}`, { hint: 'the canary shifts traffic with the ALB listener that forwards to the fleet' });
}

/** The actions with the fleet's forward replaced by weighted target groups. */
export function weightedActions(f: CanaryForwarding, weight: number): Action[] {
  return f.original.map((a) =>
    a.Type === 'forward' && forwardsTo([a], f.fleetArn)
      ? {
          Type: 'forward',
          ...(a.Order !== undefined ? { Order: a.Order } : {}),
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: f.fleetArn, Weight: 100 - 2 * weight },
              { TargetGroupArn: f.canaryArn, Weight: weight },
              { TargetGroupArn: f.baselineArn, Weight: weight },
            ],
            // Sticky sessions would keep a client on one side and skew the comparison.
            TargetGroupStickinessConfig: { Enabled: false },
          },
        }
      : a,
  );
}

async function setActions({ clients }: AwsContext, f: CanaryForwarding, actions: Action[]): Promise<void> {
  if (f.kind === 'listener') await clients.call(clients.elbv2, new ModifyListenerCommand({ ListenerArn: f.arn, DefaultActions: actions }), `listener ${f.arn}`);
  else await clients.call(clients.elbv2, new ModifyRuleCommand({ RuleArn: f.arn, Actions: actions }), `listener rule ${f.arn}`);
}

export async function shiftToCanary(ctx: AwsContext, f: CanaryForwarding, weight: number): Promise<void> {
  await setActions(ctx, f, weightedActions(f, weight));
}

export async function restoreFleetTraffic(ctx: AwsContext, f: CanaryForwarding): Promise<void> {
  await setActions(ctx, f, f.original);
}
