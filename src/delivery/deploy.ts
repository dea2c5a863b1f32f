// `mod deploy`: pick the commit (the environment's branch head, or --ref),
// take the environment's lock, and have the provider build and roll it out.
import { UsageError } from '../errors.js';
import type { CommitInfo } from '../git/git.js';
import type { Environment } from './config.js';
import { acquireLock } from './deploy-lock.js';
import type { DeploymentRecord } from './deployment.js';
import type { DeliveryEvents } from './events.js';
import type { Provider } from './provider.js';
import type { Workspace } from './workspace.js';

export interface DeployOptions {
  environment: string;
  ref?: string;
  reason?: string;
  /** Give up waiting after this long (exit 4); the deployment goes on where it runs remotely. */
  timeoutMs?: number;
  signal: AbortSignal;
  events: DeliveryEvents;
}

export interface DeployOutcome {
  record: DeploymentRecord;
  environment: Environment;
  endpoint: string | null;
}

/** The commit an environment deploys: --ref, else its branch head, else HEAD (said so). */
export async function targetCommit(ws: Workspace, env: Environment, ref: string | undefined, events: DeliveryEvents): Promise<CommitInfo> {
  if (ref) {
    const commit = await ws.git.resolve(ref);
    if (!commit) throw new UsageError(`--ref ${ref} is not a commit in this repository`, 'give a branch, tag or commit sha');
    return ws.git.commitInfo(commit);
  }
  if (await ws.git.branchExists(env.branch)) return ws.git.commitInfo(`refs/heads/${env.branch}`);
  const head = await ws.git.resolve('HEAD');
  if (!head) throw new UsageError('the repository has no commits yet', 'commit your application first');
  events({ type: 'notice', level: 'warn', message: `branch ${env.branch} does not exist: deploying the current HEAD (${head.slice(0, 8)}) to ${env.name}` });
  return ws.git.commitInfo(head);
}

export async function withEnvironmentLock<T>(ws: Workspace, env: Environment, command: string, events: DeliveryEvents, work: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(ws.paths.lock(env.name), command);
  if (lock.takenOverFrom) {
    const h = lock.takenOverFrom;
    events({ type: 'notice', level: 'warn', message: `took over a stale deployment lock of pid ${h.pid} (${h.user}, since ${h.since}): that process is gone` });
  }
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

export async function deploy(ws: Workspace, options: DeployOptions): Promise<DeployOutcome> {
  const env = ws.environment(options.environment);
  const provider = await ws.provider(env);
  const commit = await targetCommit(ws, env, options.ref, options.events);
  const initiator = await ws.initiator();
  const record = await withEnvironmentLock(ws, env, `mod deploy --env ${env.name}`, options.events, () =>
    provider.deploy({ environment: env, commit, initiator, reason: options.reason, timeoutMs: options.timeoutMs, signal: options.signal, events: options.events }),
  );
  return { record, environment: env, endpoint: await endpointOf(provider, env) };
}

export async function endpointOf(provider: Provider, env: Environment): Promise<string | null> {
  return (await provider.environmentStatus(env).catch(() => undefined))?.endpoint ?? null;
}
