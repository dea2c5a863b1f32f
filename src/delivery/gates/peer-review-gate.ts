// peer-review: every pull request has an approval on its last commit by
// someone other than its author, or an LGTM label whose last `labeled` event
// was by someone other than the author. Self-approval never counts, nor do
// bots' reviews, mod's own included (the token's login, whatever it is).
import type { PullRequest, PullRequestReview, PullRequests } from './pull-requests.js';
import type { Gate } from './gate.js';
import { fail, pass } from './gate.js';

/** Bots (including mod's own review-pr) never count as reviewers. */
export function isBot(login: string): boolean {
  return login.endsWith('[bot]');
}

/** Whether a login is a bot or the token mod itself posts with (PullRequests.viewerLogin). */
export function isBotOrSelf(login: string, self: string | undefined): boolean {
  return isBot(login) || (self !== undefined && login.toLowerCase() === self.toLowerCase());
}

/** Each human reviewer's latest decisive review (a later comment does not undo an approval); `self` is mod's own login. */
export function latestReviews(reviews: PullRequestReview[], self?: string): Map<string, PullRequestReview> {
  const latest = new Map<string, PullRequestReview>();
  const ordered = [...reviews].sort((a, b) => (a.submittedAt ?? '').localeCompare(b.submittedAt ?? ''));
  for (const review of ordered) {
    if (review.state === 'COMMENTED' || review.state === 'PENDING' || isBotOrSelf(review.user, self)) continue;
    latest.set(review.user, review);
  }
  return latest;
}

export async function peerReviewOf(pr: PullRequest, github: PullRequests, label: string): Promise<{ ok: boolean; why: string }> {
  const self = await github.viewerLogin();
  const reviews = latestReviews(await github.reviews(pr.number), self);
  // GitHub logins are case-insensitive.
  const isAuthor = (login: string) => login.toLowerCase() === pr.author.toLowerCase();
  const approvals = [...reviews.values()].filter((r) => r.state === 'APPROVED' && !isAuthor(r.user));
  const current = approvals.filter((r) => r.commitId === pr.headSha);
  if (current.length) return { ok: true, why: `#${pr.number} approved by ${current.map((r) => r.user).join(', ')}` };
  if (pr.labels.includes(label)) {
    const events = (await github.labelEvents(pr.number)).filter((e) => e.label === label && e.event === 'labeled');
    const last = events.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
    if (last && !isAuthor(last.actor) && !isBotOrSelf(last.actor, self)) return { ok: true, why: `#${pr.number} labelled ${label} by ${last.actor}` };
    if (last) return { ok: false, why: `#${pr.number}: the ${label} label was added by its author ${pr.author}` };
  }
  if (approvals.length) return { ok: false, why: `#${pr.number}: approved by ${approvals.map((r) => r.user).join(', ')} before later commits` };
  const selfApproved = [...reviews.values()].some((r) => r.state === 'APPROVED' && isAuthor(r.user));
  return { ok: false, why: `#${pr.number}: no approval by someone other than ${pr.author}${selfApproved ? ' (self-approval does not count)' : ''}` };
}

export const peerReviewGate: Gate<{ label: string }> = async (settings, context) => {
  const { pulls, commitsWithoutPull } = await context.pullRequests();
  if (pulls.length === 0 && commitsWithoutPull.length === 0) return pass('no new commits');
  const github = await context.github();
  const verdicts = await Promise.all(pulls.map((pr) => peerReviewOf(pr, github, settings.label)));
  const problems = [...verdicts.filter((v) => !v.ok).map((v) => v.why), ...commitsWithoutPull.map((c) => `${c.commit.slice(0, 8)} "${c.subject}" was pushed without a pull request`)];
  if (problems.length) {
    return fail(problems.join('; '), `ask a teammate (not the author) to approve the latest commit, or to add the ${settings.label} label`);
  }
  return pass(verdicts.map((v) => v.why).join('; '));
};
