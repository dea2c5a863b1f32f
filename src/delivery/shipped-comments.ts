// Release bookkeeping on GitHub (issue 16): after a successful deploy to a
// production-like environment, a comment "deployed to <env> in <deploymentId>"
// on each pull request the deploy shipped, found as the release gates find
// them (the first-parent commits between what the environment ran before and
// the deployed commit, and the merged PRs that brought them to its branch). It is
// bookkeeping, never a reason to fail a deploy: no GitHub (no repository, no
// token) or an API error is a warning. A pull request that already carries
// the comment for this deployment is not commented again (a re-run).
import { needsConfirmation, type Environment } from './config.js';
import type { DeploymentRecord } from './deployment.js';
import type { DeliveryEvents } from './events.js';
import { pullRequestsOfChange, type PullRequests } from './gates/pull-requests.js';
import type { Provider } from './provider.js';
import type { Workspace } from './workspace.js';

export interface ShippedComments {
  /** Pull requests commented on now. */
  commented: number[];
  /** Pull requests that already had this deployment's comment. */
  alreadyCommented: number[];
}

/** The comment's text: its first line is what a reader (or a re-run) looks for. */
export function shippedComment(environment: string, deploymentId: string): string {
  return `deployed to ${environment} in ${deploymentId}`;
}

/**
 * Comments on the pull requests a succeeded production-like deploy shipped.
 * Returns undefined when there is nothing to do (not production-like, not
 * succeeded) or when GitHub could not be used (a warning event says why).
 */
export async function commentShippedPullRequests(ws: Workspace, env: Environment, provider: Provider, record: DeploymentRecord, events: DeliveryEvents): Promise<ShippedComments | undefined> {
  if (record.status !== 'Succeeded' || !needsConfirmation(env)) return undefined;
  const warn = (message: string) => events({ type: 'notice', level: 'warn', message });
  try {
    let github: PullRequests;
    try {
      github = await ws.openGitHub();
    } catch (error) {
      const e = error as Error & { hint?: string };
      warn(`no "deployed" comments on the pull requests: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
      return undefined;
    }
    const { describeChange } = await import('./gates/run-gates.js');
    // What the environment ran before this deployment: the change is what lies between.
    const before = (await provider.deployments(env, 50)).find((d) => d.status === 'Succeeded' && d.deploymentId !== record.deploymentId)?.revision.commit ?? null;
    const change = await describeChange(ws, env, await ws.git.commitInfo(record.revision.commit), before);
    const { pulls } = await pullRequestsOfChange(github, env.branch, change.commits);
    const body = shippedComment(env.name, record.deploymentId);
    const result: ShippedComments = { commented: [], alreadyCommented: [] };
    // Only what was merged shipped: an open or closed-unmerged PR that contains a shipped commit did not.
    for (const pr of pulls.filter((p) => p.mergedAt !== null)) {
      const existing = await github.comments(pr.number);
      if (existing.some((c) => c.body.split('\n')[0]!.trim() === body)) {
        result.alreadyCommented.push(pr.number);
        continue;
      }
      await github.comment(pr.number, body);
      result.commented.push(pr.number);
    }
    if (result.commented.length) events({ type: 'notice', level: 'info', message: `commented "${body}" on ${result.commented.map((n) => `#${n}`).join(', ')}` });
    return result;
  } catch (error) {
    const e = error as Error & { hint?: string };
    warn(`the "deployed" comments on the pull requests failed: ${e.message}${e.hint ? ` (${e.hint})` : ''}; the deploy itself succeeded`);
    return undefined;
  }
}
