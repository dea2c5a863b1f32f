// `mod history`: the audit trail of deployments, newest first, across the
// requested environments.
import type { DeploymentRecord } from './deployment.js';
import type { Workspace } from './workspace.js';

export async function history(ws: Workspace, environments: string[], limit: number): Promise<DeploymentRecord[]> {
  const lists = await Promise.all(
    environments.map(async (name) => {
      const env = ws.environment(name);
      return (await ws.provider(env)).deployments(env, limit);
    }),
  );
  return lists
    .flat()
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, limit);
}
