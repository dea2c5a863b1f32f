// The filesystem side of a local deployment: the revision's archive on the
// instance (hard links to the immutable bundle: the agent's own files, which
// hooks read and never need to rewrite), CodeDeploy's Install of the appspec
// `files` (copies, see install-instructions.ts), and the pruning of old
// archives under deployment-root.
import { cp, link, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Appspec } from './appspec.js';
import { runInstall, type InstallOptions } from './install-instructions.js';
import type { LocalInstance } from './local-instances.js';

export type { InstallOptions } from './install-instructions.js';

/** Hard-links a read-only bundle into place (falls back to copying across devices). */
export async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const source = path.join(from, entry.name);
      const target = path.join(to, entry.name);
      if (entry.isDirectory()) await linkTree(source, target);
      else if (entry.isSymbolicLink()) await cp(source, target, { verbatimSymlinks: true });
      else await linkFile(source, target);
    }),
  );
}

async function linkFile(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch {
    await cp(source, target, { preserveTimestamps: true });
  }
}

/**
 * CodeDeploy's Install event: the agent's installer (install-instructions.ts):
 * the previous install's cleanup file removes only what it installed, then
 * each `files` entry is copied file by file under the instance's root, with
 * file_exists_behavior (the appspec's, else `options.fileExistsBehavior`,
 * else DISALLOW), and `permissions` are applied to what was installed.
 */
export async function installFiles(instance: LocalInstance, appspec: Appspec, archiveDir: string, options: InstallOptions = {}): Promise<void> {
  await runInstall(instance, appspec, archiveDir, options);
}

export async function pruneOldArchives(deploymentRoot: string, keep: (string | undefined)[]): Promise<void> {
  const entries = await readdir(deploymentRoot, { withFileTypes: true }).catch(() => []);
  const dirs = entries
    .filter((e) => e.isDirectory() && !keep.includes(e.name))
    .map((e) => e.name)
    .sort();
  // CodeDeploy keeps a handful of past revisions; keep the 3 newest besides the current ones.
  for (const dir of dirs.slice(0, Math.max(0, dirs.length - 3))) {
    await rm(path.join(deploymentRoot, dir), { recursive: true, force: true });
  }
}
