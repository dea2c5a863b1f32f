// Runs an environment's release gates on the change between what it runs and
// the target commit. Each gate says pass / fail / skipped and why; a failing
// gate passes only with an explicit override (recorded, with who and why).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { CommitInfo } from '../../git/git.js';
import { GATE_NAMES, gatesOf, type Environment, type GateName } from '../config.js';
import type { Provider } from '../provider.js';
import type { Workspace } from '../workspace.js';
import { fileChatApprovals } from '../chat-approvals.js';
import { approvalGate } from './approval-gate.js';
import type { ChangeUnderJudgement, GateContext, GateResult } from './gate.js';
import { migrationsGate } from './migrations-gate.js';
import { peerReviewGate } from './peer-review-gate.js';
import { pullRequestsOfChange, readOnce, type PullRequest, type PullRequests } from './pull-requests.js';
import { ticketGate } from './ticket-gate.js';
import { windowGate } from './window-gate.js';

export interface GateOverride {
  gate: GateName;
  reason: string;
}

export interface GateReport {
  schemaVersion: 1;
  environment: string;
  commit: string;
  deployed: string | null;
  passed: boolean;
  gates: GateResult[];
  overrides: { gate: GateName; reason: string; by: string }[];
}

export interface GateDependencies {
  /** Opens GitHub on first use (so environments without PR gates never need a token). */
  openGitHub: () => Promise<PullRequests>;
  now?: () => Date;
  /** Reads version -> checksum of the applied migrations from a database URL. */
  readAppliedMigrations: (databaseUrl: string) => Promise<Map<string, string>>;
}

const MAX_FIRST_DEPLOY_COMMITS = 20;

export function checkOverrides(overrides: GateOverride[]): void {
  for (const o of overrides) {
    if (!GATE_NAMES.includes(o.gate)) throw new UsageError(`--override ${o.gate}: no such gate`, `gates are ${GATE_NAMES.join(', ')}`);
    if (!o.reason.trim()) throw new UsageError(`--override ${o.gate} needs --reason "why"`, 'an override is recorded with who and why');
  }
}

export async function describeChange(ws: Workspace, env: Environment, target: CommitInfo, deployed: string | null): Promise<ChangeUnderJudgement> {
  const git = ws.git;
  const usable = deployed && (await git.resolve(deployed)) && (await git.isAncestor(deployed, target.commit)) ? deployed : null;
  const shas = usable ? await git.firstParentCommits(usable, target.commit) : await git.recentFirstParentCommits(target.commit, MAX_FIRST_DEPLOY_COMMITS);
  const commits = await Promise.all(shas.map((sha) => git.commitInfo(sha)));
  const changedFiles = await git.changedFiles(usable, target.commit);
  return { environment: env, target, deployed: usable, commits, changedFiles };
}

export async function runGates(ws: Workspace, env: Environment, provider: Provider, target: CommitInfo, options: { overrides?: GateOverride[]; initiator: string; only?: GateName[] }, deps: GateDependencies): Promise<GateReport> {
  const overrides = options.overrides ?? [];
  checkOverrides(overrides);
  const context = await gateContext(ws, env, provider, target, deps);
  const change = context.change;

  const enabled = gatesOf(env);
  const gates: GateResult[] = [];
  for (const name of GATE_NAMES) {
    const settings = enabled[name];
    if (!settings || (options.only && !options.only.includes(name))) {
      gates.push({ name, status: 'skipped', reason: settings ? 'not evaluated here' : `not enabled for ${env.name}` });
      continue;
    }
    let result: Omit<GateResult, 'name'>;
    try {
      result = await evaluateGate(name, settings, context);
    } catch (error) {
      // A gate that cannot be judged (no token, no network) fails; only an override lets it through.
      const e = error as Error & { hint?: string };
      result = { status: 'fail', reason: `cannot be judged: ${e.message}`, fix: e.hint ?? 'fix the cause, or override with --override <gate> --reason "..."' };
    }
    const override = overrides.find((o) => o.gate === name);
    gates.push(result.status === 'fail' && override ? { name, ...result, status: 'pass', overridden: { reason: override.reason, by: options.initiator } } : { name, ...result });
  }
  return {
    schemaVersion: 1,
    environment: env.name,
    commit: target.commit,
    deployed: change.deployed,
    passed: gates.every((g) => g.status !== 'fail'),
    gates,
    overrides: gates.filter((g) => g.overridden).map((g) => ({ gate: g.name, reason: g.overridden!.reason, by: g.overridden!.by })),
  };
}

/** What the gates see of a change: shared by runGates and the Slack bot's approver check (issue 16). */
export async function gateContext(ws: Workspace, env: Environment, provider: Provider, target: CommitInfo, deps: GateDependencies): Promise<GateContext> {
  const history = await provider.deployments(env, 50);
  const deployed = history.find((d) => d.status === 'Succeeded')?.revision.commit ?? null;
  const change = await describeChange(ws, env, target, deployed);

  let github: Promise<PullRequests> | undefined;
  let pulls: Promise<{ pulls: PullRequest[]; commitsWithoutPull: CommitInfo[] }> | undefined;
  const context: GateContext = {
    change,
    now: deps.now?.() ?? new Date(),
    github: () => (github ??= deps.openGitHub().then(readOnce)),
    pullRequests: () => (pulls ??= context.github().then((gh) => pullRequestsOfChange(gh, env.branch, change.commits))),
    readFileAt: (commit, file) => ws.git.readFileAt(commit, file),
    appliedMigrations: async () => {
      const url = await provider.databaseUrl(env);
      if (!url) throw new Error(`no database is known for ${env.name} (set databaseUrl, or start it with a deploy)`);
      return deps.readAppliedMigrations(url);
    },
    pipelineHasManualApproval: () => provider.pipelineHasManualApproval(env),
    chatApprovals: () => fileChatApprovals(ws.paths).list(env.name, target.commit),
    chatopsUsers: ws.config.chatops?.users ?? {},
    approvalTtlHours: ws.config.chatops?.approvalTtlHours,
    readText: async (location) => {
      if (/^https?:\/\//.test(location)) {
        const response = await fetch(location, { signal: AbortSignal.timeout(10_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.text();
      }
      return readFile(path.resolve(ws.git.dir, location), 'utf8');
    },
  };
  return context;
}

/** Runs one gate with its settings: the single dispatch for deploys, `mod gates` and `mod review-pr`. */
export function evaluateGate(name: GateName, settings: unknown, context: GateContext): Promise<Omit<GateResult, 'name'>> {
  switch (name) {
    case 'ticket':
      return ticketGate(settings as Parameters<typeof ticketGate>[0], context);
    case 'peer-review':
      return peerReviewGate(settings as Parameters<typeof peerReviewGate>[0], context);
    case 'migrations':
      return migrationsGate(settings as Parameters<typeof migrationsGate>[0], context);
    case 'approval':
      return approvalGate(settings as Parameters<typeof approvalGate>[0], context);
    case 'window':
      return windowGate(settings as Parameters<typeof windowGate>[0], context);
  }
}
