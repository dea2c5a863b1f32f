// `mod review-pr`: the pull-request-level gates (ticket, peer-review,
// approval) of the environment a PR targets, posted as a GitHub review:
// APPROVE when all pass, REQUEST_CHANGES otherwise, with the checklist.
import { UsageError } from '../../errors.js';
import { gatesOf, type Environment, type GateName } from '../config.js';
import type { Workspace } from '../workspace.js';
import type { GateContext, GateResult } from './gate.js';
import { readOnce, type PullRequest } from './pull-requests.js';
import { evaluateGate } from './run-gates.js';

export const PR_LEVEL_GATES: GateName[] = ['ticket', 'peer-review', 'approval'];

export interface PullRequestReviewResult {
  schemaVersion: 1;
  pullRequest: number;
  baseRef: string;
  environment: string | null;
  skipped: boolean;
  reason?: string;
  event: 'APPROVE' | 'REQUEST_CHANGES' | null;
  gates: GateResult[];
  body: string | null;
  reviewUrl: string | null;
}

export function checklist(pr: PullRequest, env: Environment, gates: GateResult[]): string {
  const lines = [`### mod release gates for \`${env.name}\` (#${pr.number} → \`${pr.baseRef}\`)`, ''];
  for (const g of gates) {
    lines.push(`- [${g.status === 'pass' ? 'x' : ' '}] **${g.name}**: ${g.reason}${g.status === 'fail' && g.fix ? `\n  - how to fix: ${g.fix}` : ''}`);
  }
  lines.push('', gates.every((g) => g.status === 'pass') ? 'All release gates pass.' : 'Some release gates fail: see above.');
  return lines.join('\n');
}

export async function reviewPullRequest(ws: Workspace, number: number, options: { post: boolean; now?: Date }): Promise<PullRequestReviewResult> {
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`"${number}" is not a pull request number`);
  const github = readOnce(await ws.openGitHub());
  const pr = await github.get(number);
  const envName = Object.entries(ws.config.environments).find(([, e]) => e.branch === pr.baseRef)?.[0];
  const base: PullRequestReviewResult = { schemaVersion: 1, pullRequest: number, baseRef: pr.baseRef, environment: envName ?? null, skipped: true, event: null, gates: [], body: null, reviewUrl: null };
  if (!envName) return { ...base, reason: `#${number} targets ${pr.baseRef}, which no environment deploys` };
  const env = ws.environment(envName);
  const enabled = gatesOf(env);
  const names = PR_LEVEL_GATES.filter((n) => enabled[n]);
  if (names.length === 0) return { ...base, reason: `${env.name} has no pull-request gates (ticket, peer-review, approval) enabled` };

  const provider = await ws.provider(env);
  const context: GateContext = {
    change: { environment: env, target: await ws.git.commitInfo('HEAD').catch(() => ({ commit: pr.headSha, subject: pr.title, author: pr.author, authorEmail: '', date: '', parents: [] })), deployed: null, commits: [], changedFiles: [] },
    now: options.now ?? new Date(),
    github: async () => github,
    pullRequests: async () => ({ pulls: [pr], commitsWithoutPull: [] }),
    readFileAt: (commit, file) => ws.git.readFileAt(commit, file),
    appliedMigrations: async () => new Map(),
    pipelineHasManualApproval: () => provider.pipelineHasManualApproval(env),
    readText: async () => '',
    // A Slack approval is of a deploy (env + target commit), not of a pull request.
    chatApprovals: async () => [],
    chatopsUsers: ws.config.chatops?.users ?? {},
  };
  const gates: GateResult[] = [];
  for (const name of names) {
    try {
      gates.push({ name, ...(await evaluateGate(name, enabled[name], context)) });
    } catch (error) {
      gates.push({ name, status: 'fail', reason: `cannot be judged: ${(error as Error).message}` });
    }
  }
  const event = gates.every((g) => g.status === 'pass') ? 'APPROVE' : 'REQUEST_CHANGES';
  const body = checklist(pr, env, gates);
  const posted = options.post ? await github.postReview(number, { event, body }) : undefined;
  return { ...base, skipped: false, event, gates, body, reviewUrl: posted?.url ?? null };
}
