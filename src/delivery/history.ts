// `mod history`: the audit trail of deployments, newest first, across the
// requested environments. A rollback whose revert is still pending says so
// (the pending revert is kept beside the lock, not by the provider). Model
// releases (issue 13, `kind: 'model'`, kept by the env's ModelStore) are
// merged with the code deployments by time.
import type { Environment } from './config.js';
import type { DeploymentRecord } from './deployment.js';
import type { Provider } from './provider.js';
import { readPendingRevert } from './pending-revert.js';
import type { Workspace } from './workspace.js';

/**
 * `warn`: where an env's code deployments cannot be read (an AWS env without
 * its pipeline) but its model releases can, they are listed and this is told
 * why the deployments are missing; without it (or with no model release
 * either) the error is thrown.
 */
export async function history(ws: Workspace, environments: string[], limit: number, warn?: (message: string) => void): Promise<DeploymentRecord[]> {
  const lists = await Promise.all(
    environments.map(async (name) => {
      const env = ws.environment(name);
      const provider = await ws.provider(env);
      const [code, pending, models] = await Promise.all([
        provider.deployments(env, limit).then(
          (records) => ({ records }),
          (error: unknown) => ({ error }),
        ),
        readPendingRevert(ws, env),
        modelReleases(provider, env, limit),
      ]);
      if ('error' in code && (!warn || models.length === 0)) throw code.error;
      if ('error' in code) {
        const error = code.error as { message?: string; hint?: string };
        warn!(`the code deployments of ${env.name} cannot be read (${error.message ?? String(code.error)}${error.hint ? `; ${error.hint}` : ''}): only its model releases are listed`);
      }
      const records = 'records' in code ? code.records : [];
      return [...(pending ? records.map((r) => (r.deploymentId === pending.deploymentId ? { ...r, pendingRevert: pending } : r)) : records), ...models];
    }),
  );
  return lists
    .flat()
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, limit);
}

/** The env's model releases; none where its provider's model store cannot be read (not set up, or not built yet). */
async function modelReleases(provider: Provider, env: Environment, limit: number): Promise<DeploymentRecord[]> {
  try {
    return await provider.models(env).releases(env, limit);
  } catch {
    return [];
  }
}

/** How many of each environment's newest deployments findDeployment looks through. */
export const FIND_DEPLOYMENT_DEPTH = 200;

/**
 * The deployment with this id among the environments' newest
 * FIND_DEPLOYMENT_DEPTH, or undefined. An environment whose history cannot be
 * read does not hide the others; its error is thrown only when no other
 * environment has the deployment.
 */
export async function findDeployment(ws: Workspace, environments: string[], deploymentId: string): Promise<DeploymentRecord | undefined> {
  const lists = await Promise.allSettled(
    environments.map(async (name) => {
      const env = ws.environment(name);
      const provider = await ws.provider(env);
      // A model release id (`m-...`) is looked up among the env's model releases.
      if (deploymentId.startsWith('m-')) return modelReleases(provider, env, FIND_DEPLOYMENT_DEPTH);
      return provider.deployments(env, FIND_DEPLOYMENT_DEPTH);
    }),
  );
  for (const list of lists) {
    const found = list.status === 'fulfilled' ? list.value.find((r) => r.deploymentId === deploymentId) : undefined;
    if (found) return found;
  }
  const failed = lists.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failed) throw failed.reason;
  return undefined;
}
