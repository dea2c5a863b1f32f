// The revert a fast rollback still owes its environment's branch, kept beside
// the environment's lock (.mod/envs/<env>/pending-revert.json) whatever the
// provider: while it is pending the branch still holds the rolled-back
// change, so rollback and deploy refuse to ship it again until
// `mod rollback --env E --finish-revert` makes the revert.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModError } from '../errors.js';
import type { Environment } from './config.js';
import type { PendingRevert } from './deployment.js';
import type { Workspace } from './workspace.js';

export function pendingRevertFile(ws: Workspace, env: Environment): string {
  return path.join(ws.paths.env(env.name), 'pending-revert.json');
}

/** The revert the environment's last rollback still owes its branch, if any. */
export async function readPendingRevert(ws: Workspace, env: Environment): Promise<PendingRevert | undefined> {
  try {
    const pending = JSON.parse(await readFile(pendingRevertFile(ws, env), 'utf8')) as PendingRevert;
    return pending.environment === env.name && Array.isArray(pending.commits) ? pending : undefined;
  } catch {
    return undefined;
  }
}

export async function writePendingRevert(ws: Workspace, env: Environment, pending: PendingRevert): Promise<void> {
  const file = pendingRevertFile(ws, env);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(pending, null, 2));
  await rename(`${file}.tmp`, file);
}

/** Refuses to go on while a revert is pending and `commit` still holds the reverted change (deploy, rollback). */
export async function refuseWhileRevertPending(ws: Workspace, env: Environment, commit?: string): Promise<void> {
  const pending = await readPendingRevert(ws, env);
  if (!pending) return;
  if (commit && !(await ws.git.isAncestor(pending.revertedCommit, commit))) return;
  throw new ModError(
    'REVERT_PENDING',
    `the rollback ${pending.deploymentId} redeployed ${pending.target.slice(0, 8)}, but its revert of ${pending.commits.map((c) => c.slice(0, 8)).join(', ')} on ${pending.branch} is still pending (${pending.reason}), so ${commit ? `${commit.slice(0, 8)} would ship the rolled-back change again` : 'the branch still holds the rolled-back change'}`,
    { hint: `fix that, then finish it: mod rollback --env ${env.name} --finish-revert` },
  );
}

export async function clearPendingRevert(ws: Workspace, env: Environment): Promise<void> {
  await rm(pendingRevertFile(ws, env), { force: true });
}
