// `mod stop`: under the environment's lock (a stop must not race a deploy),
// the provider stops what runs there: locally the instances (ApplicationStop),
// endpoint and database; on AWS the execution and deployment in flight.
import type { Environment } from './config.js';
import { withEnvironmentLock } from './deploy.js';
import type { DeliveryEvents } from './events.js';
import type { Workspace } from './workspace.js';

export interface StopOptions {
  environment: string;
  events: DeliveryEvents;
}

export interface StopOutcome {
  environment: Environment;
  /** What was stopped, in the provider's words; empty when nothing was running. */
  stopped: string[];
}

export async function stop(ws: Workspace, options: StopOptions): Promise<StopOutcome> {
  const env = ws.environment(options.environment);
  const provider = await ws.provider(env);
  const { stopped } = await withEnvironmentLock(ws, env, `mod stop --env ${env.name}`, options.events, () => provider.stop(env, options.events));
  return { environment: env, stopped };
}
