// `mod stop`: stops a deploy or rollback in flight, then what runs in the
// environment. A running deployment holds the environment's lock, so it is
// asked to stop first: a stop request it polls (the local rollout kills its
// hook and records `Stopped`, saying who stopped it), then, if it has not let
// go of the lock after a grace, SIGTERM to its process (a `mod` CLI treats it
// as Ctrl-C). Then, under the lock, the provider stops what runs there:
// locally the instances (ApplicationStop), endpoint and database; on AWS the
// execution and deployment in flight.
import os from 'node:os';
import { LockHeldError } from '../errors.js';
import type { Environment } from './config.js';
import { withEnvironmentLock } from './deploy.js';
import { clearStopRequest, isAlive, liveHolder, requestStop, waitForRelease, type LockHolder } from './deploy-lock.js';
import type { DeliveryEvents } from './events.js';
import type { Workspace } from './workspace.js';

export interface StopOptions {
  environment: string;
  events: DeliveryEvents;
  /** How long a running deployment gets to honour the stop request before it is sent SIGTERM. */
  requestGraceMs?: number;
  /** How long, in all, to wait for it to let go of the lock before giving up (LOCK_HELD). */
  waitMs?: number;
}

export interface StopOutcome {
  environment: Environment;
  /** What was stopped, in the provider's words; empty when nothing was running. */
  stopped: string[];
  /** The deploy or rollback that was running and was stopped. */
  stoppedDeployment?: { pid: number; user: string; command: string; since: string };
}

export async function stop(ws: Workspace, options: StopOptions): Promise<StopOutcome> {
  const env = ws.environment(options.environment);
  const provider = await ws.provider(env);
  const lockFile = ws.paths.lock(env.name);
  const command = `mod stop --env ${env.name}`;
  const holder = await liveHolder(lockFile);
  let stoppedDeployment: StopOutcome['stoppedDeployment'];
  if (holder) {
    await stopHolder(lockFile, holder, command, options);
    stoppedDeployment = { pid: holder.pid, user: holder.user, command: holder.command, since: holder.since };
  }
  try {
    const { stopped } = await withEnvironmentLock(ws, env, command, options.events, () => provider.stop(env, options.events));
    const what = stoppedDeployment ? [`${stoppedDeployment.command} (pid ${stoppedDeployment.pid})`, ...stopped] : stopped;
    return { environment: env, stopped: what, stoppedDeployment };
  } finally {
    if (holder) await clearStopRequest(lockFile, holder.pid);
  }
}

async function stopHolder(lockFile: string, holder: LockHolder, command: string, options: StopOptions): Promise<void> {
  const { events } = options;
  if (holder.host !== os.hostname()) {
    throw new LockHeldError(`${holder.command} runs on ${holder.host} (pid ${holder.pid}, ${holder.user}, since ${holder.since}): it can only be stopped there`, `run mod stop on ${holder.host}, or press Ctrl-C in its terminal`);
  }
  const waitMs = options.waitMs ?? 60_000;
  const graceMs = Math.min(options.requestGraceMs ?? 10_000, waitMs);
  events({ type: 'notice', level: 'info', message: `asking the running ${holder.command} (pid ${holder.pid}, ${holder.user}, since ${holder.since}) to stop` });
  await requestStop(lockFile, holder, command);
  if (await waitForRelease(lockFile, holder, graceMs)) return;
  // Not honoured (an AWS watch, an older mod): a mod CLI takes SIGTERM as Ctrl-C. Never signal ourselves.
  if (holder.pid !== process.pid && isAlive(holder.pid)) {
    events({ type: 'notice', level: 'warn', message: `${holder.command} (pid ${holder.pid}) did not stop within ${Math.round(graceMs / 1000)}s: sending it SIGTERM` });
    try {
      process.kill(holder.pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
  if (await waitForRelease(lockFile, holder, Math.max(waitMs - graceMs, 0))) return;
  await clearStopRequest(lockFile, holder.pid);
  throw new LockHeldError(
    `${holder.command} (pid ${holder.pid}, ${holder.user}, since ${holder.since}) did not stop within ${Math.round(waitMs / 1000)}s`,
    `it may be finishing a hook; run mod stop again, or end it with kill ${holder.pid} (a second SIGTERM quits at once)`,
  );
}
