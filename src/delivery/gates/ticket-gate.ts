// ticket: every pull request in the change links a ticket in its description
// (a JIRA key, a Redmine or JIRA URL, or the configured patterns).
import type { Gate } from './gate.js';
import { fail, pass } from './gate.js';

export const ticketGate: Gate<{ patterns: string[] }> = async (settings, context) => {
  const patterns = settings.patterns.map((p) => new RegExp(p));
  const { pulls, commitsWithoutPull } = await context.pullRequests();
  if (pulls.length === 0 && commitsWithoutPull.length === 0) return pass('no new commits');
  const missing = pulls.filter((pr) => !patterns.some((re) => re.test(pr.body) || re.test(pr.title)));
  const problems = [...missing.map((pr) => `#${pr.number} "${pr.title}" links no ticket`), ...commitsWithoutPull.map((c) => `${c.commit.slice(0, 8)} "${c.subject}" has no pull request`)];
  if (problems.length) {
    return fail(problems.join('; '), `add a ticket link (e.g. ABC-123 or the ticket URL) to the PR description; ship commits through pull requests`);
  }
  return pass(`${pulls.length} PR(s) link a ticket: ${pulls.map((pr) => `#${pr.number}`).join(', ')}`);
};
