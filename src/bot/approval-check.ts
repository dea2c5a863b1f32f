// What the approval request and its buttons ask of the domain, in one place:
// the gate context of the environment and commit (as the gates see it) and
// the approval gate's settings committed with that commit.
import type { Environment } from '../delivery/config.js';
import { gatesOf } from '../delivery/config.js';
import { withCommittedGates } from '../delivery/committed-config.js';
import { ignoreEvents } from '../delivery/events.js';
import type { GateContext } from '../delivery/gates/gate.js';
import { gateContext, type GateDependencies } from '../delivery/gates/run-gates.js';
import type { Workspace } from '../delivery/workspace.js';

export function dependencies(ws: Workspace): GateDependencies {
  return { openGitHub: () => ws.openGitHub(), readAppliedMigrations: (url) => ws.appliedMigrations(url) };
}

export async function approvalCheck(ws: Workspace, env: Environment, sha: string): Promise<{ context: GateContext; settings: { approvers: string[]; team?: string } }> {
  const commit = await ws.git.commitInfo(sha);
  const settings = gatesOf(await withCommittedGates(ws.git, env, commit, ignoreEvents)).approval ?? { approvers: [] };
  return { context: await gateContext(ws, env, await ws.provider(env), commit, dependencies(ws)), settings };
}
