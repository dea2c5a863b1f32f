// approval: a configured approver (a GitHub user or a member of a team) has
// approved each pull request in the change. On a provider whose pipeline has
// its own manual approval step, `mod approve` there satisfies it. An approval
// recorded in Slack (issue 16: chat-approvals.ts) for exactly this environment
// and target commit, by a qualifying approver who authored nothing in the
// change, satisfies it too, for chatops.approvalTtlHours (default 24) after
// it was given; an older one is ignored and the reason says so. Neither
// path counts a review by a bot or by mod's own token (viewerLogin).
import { approverRefusal, DEFAULT_APPROVAL_TTL_HOURS, withinTtl, type ChatApproval } from '../chat-approvals.js';
import type { Gate, GateContext } from './gate.js';
import { fail, pass } from './gate.js';
import { latestReviews } from './peer-review-gate.js';

type Settings = { approvers: string[]; team?: string };

export const approvalGate: Gate<Settings> = async (settings, context) => {
  const stale: ChatApproval[] = [];
  const result = await judge(settings, context, stale);
  if (result.status !== 'fail' || stale.length === 0) return result;
  const ttl = context.approvalTtlHours ?? DEFAULT_APPROVAL_TTL_HOURS;
  const old = stale.map((a) => `${a.github} at ${a.approvedAt}`).join(', ');
  return { ...result, reason: `${result.reason}; the Slack approval by ${old} is older than ${ttl} h (chatops.approvalTtlHours) and no longer counts: ask again with /mod deploy ${context.change.environment.name}` };
};

async function judge(settings: Settings, context: GateContext, stale: ChatApproval[]): ReturnType<Gate<Settings>> {
  if (await context.pipelineHasManualApproval()) {
    return pass("the pipeline's manual approval step decides (answer it with mod approve)");
  }
  // Nothing new ships: there is nothing to approve, whoever the approvers are.
  if (context.change.deployed && context.change.commits.length === 0) return pass('no new commits: nothing to approve');
  for (const approval of await context.chatApprovals()) {
    if (!withinTtl(approval.approvedAt, context.now, context.approvalTtlHours)) {
      stale.push(approval);
      continue;
    }
    const user = context.chatopsUsers[approval.slackUser];
    // The record names the login it was given under; a user remapped since then no longer counts.
    if (!user || user.github.toLowerCase() !== approval.github.toLowerCase()) continue;
    if ((await approverRefusal(context, settings, approval.slackUser)) === undefined) return pass(`approved in Slack by ${approval.github} (${approval.slackUser})`);
  }
  if (settings.approvers.length === 0 && !settings.team) {
    return fail('no approvers are configured', `list GitHub users under gates.approval.approvers (or a team) for ${context.change.environment.name} in mod.config.yml`);
  }
  const { pulls, commitsWithoutPull } = await context.pullRequests();
  if (pulls.length === 0 && commitsWithoutPull.length === 0) return pass('no new commits');
  const github = await context.github();
  const approvers = new Set(settings.approvers);
  if (settings.team) for (const member of await github.teamMembers(settings.team)) approvers.add(member);
  const self = await github.viewerLogin();
  const approverSet = new Set([...approvers].map((a) => a.toLowerCase()));
  const missing: string[] = [];
  const granted: string[] = [];
  for (const pr of pulls) {
    // GitHub logins are case-insensitive: `Maria` in the config is the reviewer `maria`.
    const by = [...latestReviews(await github.reviews(pr.number), self).values()].filter((r) => r.state === 'APPROVED' && approverSet.has(r.user.toLowerCase()) && r.user.toLowerCase() !== pr.author.toLowerCase()).map((r) => r.user);
    if (by.length) granted.push(`#${pr.number} by ${by.join(', ')}`);
    else missing.push(`#${pr.number}`);
  }
  for (const c of commitsWithoutPull) missing.push(`${c.commit.slice(0, 8)} (no pull request)`);
  if (missing.length) {
    const who = [...approvers].join(', ') || settings.team;
    return fail(`no approver's approval on ${missing.join(', ')}`, `ask one of ${who} to approve`);
  }
  return pass(`approved: ${granted.join('; ')}`);
}
