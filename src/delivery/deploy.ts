// `mod deploy`: pick the commit (the environment's branch head, or --ref),
// take the environment's lock, and have the provider build and roll it out.
import { ExitCode, ModError, UsageError } from '../errors.js';
import type { CommitInfo } from '../git/git.js';
import { withCommittedGates } from './committed-config.js';
import { gatesOf, type Environment, type GateName } from './config.js';
import type { GateOverride, GateReport } from './gates/run-gates.js';
import { acquireLock } from './deploy-lock.js';
import type { DeploymentRecord } from './deployment.js';
import { refuseWhileRevertPending } from './pending-revert.js';
import type { DeliveryEvents } from './events.js';
import { canaryNotice } from './notifier.js';
import { preflightChecks, refuseOnFailure } from './preflight.js';
import type { Provider } from './provider.js';
import type { Workspace } from './workspace.js';

export interface DeployOptions {
  environment: string;
  /** Nobody can answer a question here (CI, no terminal): a paused canary fails instead of waiting. */
  unattended?: boolean;
  ref?: string;
  reason?: string;
  /** Failing gates to let through, each with a reason (recorded and notified). */
  overrides?: GateOverride[];
  /** Give up waiting after this long (exit 4); the deployment goes on where it runs remotely. */
  timeoutMs?: number;
  signal: AbortSignal;
  events: DeliveryEvents;
  /** The clock the window gate judges by; the system clock when unset. */
  now?: () => Date;
  /**
   * Asked once the gates have passed and before anything is built or locked
   * (production's "are you sure?"); rejects to cancel. It is told what would ship.
   */
  confirm?: (summary: DeploySummary) => Promise<void>;
  /** Who the history records as having started it (the Slack bot: `slack:<user> (<login>)`); default ws.initiator(). */
  initiator?: string;
}

/** What a deploy would ship, for the confirmation prompt. */
export interface DeploySummary {
  environment: string;
  commit: CommitInfo;
  /** The commit the environment runs now (null: its first deploy, or not an ancestor). */
  deployed: string | null;
  /** First-parent commits in deployed..commit, newest first (at most 20 on a first deploy). */
  commits: CommitInfo[];
  gates?: GateReport;
}

export interface DeployOutcome {
  record: DeploymentRecord;
  environment: Environment;
  endpoint: string | null;
  gates?: GateReport;
}

/** The commit an environment deploys: --ref, else its branch head, else HEAD (said so). */
export async function targetCommit(ws: Workspace, env: Environment, ref: string | undefined, events: DeliveryEvents, verb = 'deploying'): Promise<CommitInfo> {
  if (ref) {
    const commit = await ws.git.resolve(ref);
    if (!commit) throw new UsageError(`--ref ${ref} is not a commit in this repository`, 'give a branch, tag or commit sha');
    return ws.git.commitInfo(commit);
  }
  if (await ws.git.branchExists(env.branch)) return ws.git.commitInfo(`refs/heads/${env.branch}`);
  const head = await ws.git.resolve('HEAD');
  if (!head) throw new UsageError('the repository has no commits yet', 'commit your application first');
  events({ type: 'notice', level: 'warn', message: `branch ${env.branch} does not exist: ${verb} the current HEAD (${head.slice(0, 8)}) for ${env.name}` });
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

export class GateRefusedError extends ModError {
  constructor(readonly report: GateReport) {
    const failed = report.gates.filter((g) => g.status === 'fail').map((g) => g.name);
    super('GATE_REFUSED', `release gates refused the deploy to ${report.environment}: ${failed.join(', ')}`, {
      hint: 'do what each failing gate says, or let one through with --override <gate> --reason "..." (recorded)',
      exitCode: ExitCode.GateRefused,
    });
  }
}

/** Runs the environment's release gates (if it has any), emitting one event per gate. */
export async function judgeGates(ws: Workspace, loaded: Environment, provider: Provider, commit: CommitInfo, options: { overrides?: GateOverride[]; initiator: string; events: DeliveryEvents; only?: GateName[]; now?: () => Date }): Promise<GateReport | undefined> {
  // The gates come from the config committed in the revision, not the working tree (deploy and mod gates alike).
  const env = await withCommittedGates(ws.git, loaded, commit, options.events);
  if (Object.keys(gatesOf(env)).length === 0) {
    if (options.overrides?.length) throw new UsageError(`${env.name} has no release gates to override`);
    return undefined;
  }
  const { runGates } = await import('./gates/run-gates.js');
  const report = await runGates(
    ws,
    env,
    provider,
    commit,
    { overrides: options.overrides, initiator: options.initiator, only: options.only },
    {
      openGitHub: () => ws.openGitHub(),
      readAppliedMigrations: (url) => ws.appliedMigrations(url),
      now: options.now,
    },
  );
  for (const gate of report.gates) options.events({ type: 'gate', ...gate });
  return report;
}

export async function deploy(ws: Workspace, options: DeployOptions): Promise<DeployOutcome> {
  const env = ws.environment(options.environment);
  const provider = await ws.provider(env);
  const commit = await targetCommit(ws, env, options.ref, options.events);
  // A fast rollback's revert still pending: the branch still holds the change it rolled back (issue 17.4).
  await refuseWhileRevertPending(ws, env, commit.commit);
  const initiator = options.initiator ?? (await ws.initiator());
  const notifier = await ws.notifier((message) => options.events({ type: 'notice', level: 'warn', message }));
  const about = { environment: env.name, commit: commit.commit, subject: commit.subject, author: commit.author, initiator };

  // What can fail without building fails now: the specs and hook scripts as committed.
  refuseOnFailure(await preflightChecks(ws.git, commit.commit), (message) => options.events({ type: 'notice', level: 'warn', message }));
  const report = await judgeGates(ws, env, provider, commit, { overrides: options.overrides, initiator, events: options.events, now: options.now });
  if (report && !report.passed) {
    const failed = report.gates.filter((g) => g.status === 'fail');
    await notifier.notify({ ...about, kind: 'gate.refused', detail: failed.map((g) => `${g.name}: ${g.reason}`).join('\n') });
    throw new GateRefusedError(report);
  }
  for (const o of report?.overrides ?? []) {
    await notifier.notify({ ...about, kind: 'gate.overridden', detail: `${o.gate} overridden by ${o.by}: ${o.reason}` });
  }
  if (options.confirm) await options.confirm(await summarise(ws, env, provider, commit, report));

  const record = await withEnvironmentLock(ws, env, `mod deploy --env ${env.name}`, options.events, async () => {
    await notifier.notify({ ...about, kind: 'deploy.started' });
    const result = await provider.deploy({
      environment: env,
      commit,
      initiator,
      reason: options.reason,
      timeoutMs: options.timeoutMs,
      gates: report?.gates.map(({ name, status, reason, overridden }) => ({ name, status, reason, overridden })),
      signal: options.signal,
      events: options.events,
      unattended: options.unattended,
    });
    const durationMs = result.endedAt ? Date.parse(result.endedAt) - Date.parse(result.startedAt) : undefined;
    await notifier.notify({
      ...about,
      kind: result.status === 'Succeeded' ? 'deploy.succeeded' : result.status === 'RolledBack' ? 'rollback' : 'deploy.failed',
      status: result.status,
      durationMs,
      deploymentId: result.deploymentId,
      detail: result.error?.message,
      canary: canaryNotice(result.canary),
    });
    return result;
  });
  // Issue 16: "deployed to <env> in <id>" on each PR a production-like deploy shipped (a warning at worst).
  const { commentShippedPullRequests } = await import('./shipped-comments.js');
  await commentShippedPullRequests(ws, env, provider, record, options.events);
  return { record, environment: env, endpoint: await endpointOf(provider, env), gates: report };
}

async function summarise(ws: Workspace, env: Environment, provider: Provider, commit: CommitInfo, gates: GateReport | undefined): Promise<DeploySummary> {
  const { describeChange } = await import('./gates/run-gates.js');
  const deployed = gates ? gates.deployed : ((await provider.deployments(env, 50)).find((d) => d.status === 'Succeeded')?.revision.commit ?? null);
  const change = await describeChange(ws, env, commit, deployed);
  return { environment: env.name, commit, deployed: change.deployed, commits: change.commits, gates };
}

export async function endpointOf(provider: Provider, env: Environment): Promise<string | null> {
  return (await provider.environmentStatus(env).catch(() => undefined))?.endpoint ?? null;
}
