// The release-gate model: what a gate sees (the change under judgement) and
// what it answers (pass / fail / skipped, why, and how to fix it).
import type { ChatApproval } from '../chat-approvals.js';
import type { ChatopsConfig, GateName, Environment } from '../config.js';
import type { CommitInfo } from '../../git/git.js';
import type { PullRequest, PullRequests } from './pull-requests.js';

export type GateStatus = 'pass' | 'fail' | 'skipped';

export interface GateResult {
  name: GateName;
  status: GateStatus;
  reason: string;
  fix?: string;
  /** Set when the gate failed and an explicit override let it through. */
  overridden?: { reason: string; by: string };
}

export interface ChangeUnderJudgement {
  environment: Environment;
  target: CommitInfo;
  /** The commit the environment runs now (null: first deploy). */
  deployed: string | null;
  /** First-parent commits in deployed..target, newest first. */
  commits: CommitInfo[];
  /** Files added (A) or modified (M) in deployed..target. */
  changedFiles: { status: string; path: string }[];
}

export interface GateContext {
  change: ChangeUnderJudgement;
  now: Date;
  /** The pull requests that brought the change, with the commits that have none. */
  pullRequests(): Promise<{ pulls: PullRequest[]; commitsWithoutPull: CommitInfo[] }>;
  github(): Promise<PullRequests>;
  readFileAt(commit: string, file: string): Promise<string>;
  /** version -> checksum of the migrations applied to the environment's database. */
  appliedMigrations(): Promise<Map<string, string>>;
  /** Whether the environment's pipeline has its own manual approval step (AWS). */
  pipelineHasManualApproval(): Promise<boolean>;
  readText(location: string): Promise<string>;
  /** Issue 16: the approvals recorded in Slack for this environment and target commit. */
  chatApprovals(): Promise<ChatApproval[]>;
  /** Issue 16: chatops.users (Slack user id -> GitHub login and roles). */
  chatopsUsers: ChatopsConfig['users'];
  /** Issue 16: how long a Slack approval counts (chatops.approvalTtlHours, default 24). */
  approvalTtlHours?: number;
}

export type Gate<Settings> = (settings: Settings, context: GateContext) => Promise<Omit<GateResult, 'name'>>;

export function pass(reason: string): Omit<GateResult, 'name'> {
  return { status: 'pass', reason };
}

export function fail(reason: string, fix: string): Omit<GateResult, 'name'> {
  return { status: 'fail', reason, fix };
}
