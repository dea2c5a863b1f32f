// approval: a configured approver (a GitHub user or a member of a team) has
// approved each pull request in the change. On a provider whose pipeline has
// its own manual approval step, `mod approve` there satisfies it.
import type { Gate } from './gate.js';
import { fail, pass } from './gate.js';
import { latestReviews } from './peer-review-gate.js';

export const approvalGate: Gate<{ approvers: string[]; team?: string }> = async (settings, context) => {
  if (await context.pipelineHasManualApproval()) {
    return pass("the pipeline's manual approval step decides (answer it with mod approve)");
  }
  // Nothing new ships: there is nothing to approve, whoever the approvers are.
  if (context.change.deployed && context.change.commits.length === 0) return pass('no new commits: nothing to approve');
  if (settings.approvers.length === 0 && !settings.team) {
    return fail('no approvers are configured', `list GitHub users under gates.approval.approvers (or a team) for ${context.change.environment.name} in mod.config.yml`);
  }
  const { pulls, commitsWithoutPull } = await context.pullRequests();
  if (pulls.length === 0 && commitsWithoutPull.length === 0) return pass('no new commits');
  const github = await context.github();
  const approvers = new Set(settings.approvers);
  if (settings.team) for (const member of await github.teamMembers(settings.team)) approvers.add(member);
  const missing: string[] = [];
  const granted: string[] = [];
  for (const pr of pulls) {
    const by = [...latestReviews(await github.reviews(pr.number)).values()].filter((r) => r.state === 'APPROVED' && approvers.has(r.user) && r.user !== pr.author).map((r) => r.user);
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
