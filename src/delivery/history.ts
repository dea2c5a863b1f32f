// `mod history`: the audit trail of deployments, newest first, across the
// requested environments. A rollback whose revert is still pending says so
// (the pending revert is kept beside the lock, not by the provider).
import type { DeploymentRecord } from './deployment.js';
import { readPendingRevert } from './pending-revert.js';
import type { Workspace } from './workspace.js';

export async function history(ws: Workspace, environments: string[], limit: number): Promise<DeploymentRecord[]> {
  const lists = await Promise.all(
    environments.map(async (name) => {
      const env = ws.environment(name);
      const [records, pending] = await Promise.all([(await ws.provider(env)).deployments(env, limit), readPendingRevert(ws, env)]);
      return pending ? records.map((r) => (r.deploymentId === pending.deploymentId ? { ...r, pendingRevert: pending } : r)) : records;
    }),
  );
  return lists
    .flat()
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, limit);
}
