// approval: a configured approver (a GitHub user or a member of a team) has
// approved each pull request in the change. On a provider whose pipeline has
// its own manual approval step, `mod approve` there satisfies it. An approval
// recorded in Slack (issue 16: chat-approvals.ts) for exactly this environment
// and target commit, by a qualifying approver who authored nothing in the
// change, satisfies it too.
import { approverRefusal } from '../chat-approvals.js';
import type { Gate } from './gate.js';
import { fail, pass } from './gate.js';
import { latestReviews } from './peer-review-gate.js';

export const approvalGate: Gate<{ approvers: string[]; team?: string }> = async (settings, context) => {
  if (await context.pipelineHasManualApproval()) {
    return pass("the pipeline's manual approval step decides (answer it with mod approve)");
  }
  // Nothing new ships: there is nothing to approve, whoever the approvers are.
  if (context.change.deployed && context.change.commits.length === 0) return pass('no new commits: nothing to approve');
  for (const approval of await context.chatApprovals()) {
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
  const missing: string[] = [];
  const granted: string[] = [];
  for (const pr of pulls) {
    const by = [...latestReviews(await github.reviews(pr.number), self).values()].filter((r) => r.state === 'APPROVED' && approvers.has(r.user) && r.user !== pr.author).map((r) => r.user);
    if (by.length) granted.push(`#${pr.number} by ${by.join(', ')}`);
    else missing.push(`#${pr.number}`);
  }
  for (const c of commitsWithoutPull) missing.push(`${c.commit.slice(0, 8)} (no pull request)`);
  if (missing.length) {
    const who = [...approvers].join(', ') || settings.team;
    return fail(`no approver's approval on ${missing.join(', ')}`, `ask one of ${who} to approve`);
  }
  return pass(`approved: ${granted.join('; ')}`);
};
