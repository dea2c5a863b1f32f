// The filesystem side of a local deployment: the revision's archive on the
// instance (hard links to the immutable bundle), CodeDeploy's Install of the
// appspec `files`, and the pruning of old archives under deployment-root.
import { cp, link, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Appspec } from './appspec.js';
import { writeJsonAtomic } from './json-file.js';
import type { LocalInstance } from './local-instances.js';

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
 * CodeDeploy's Install event: files installed by the previous deployment are
 * removed, then each `files` entry is placed at its destination (under the
 * instance's root directory locally). Locally the files are hard links to the
 * immutable bundle rather than copies: the same result for a service that
 * does not rewrite its own files, in a fraction of the time (node_modules).
 */
export async function installFiles(instance: LocalInstance, appspec: Appspec, archiveDir: string): Promise<void> {
  const manifest = path.join(instance.dir, 'installed-files.json');
  const previous = JSON.parse((await readFile(manifest, 'utf8').catch(() => '[]')) || '[]') as string[];
  for (const dest of previous) await rm(dest, { recursive: true, force: true });
  const installed: string[] = [];
  for (const entry of appspec.files) {
    const source = path.join(archiveDir, entry.source);
    const destination = path.join(instance.root, entry.destination);
    await mkdir(destination, { recursive: true });
    const sourceStat = await stat(source).catch(() => undefined);
    if (!sourceStat) throw new Error(`files: source ${entry.source} is not in the revision`);
    const children = sourceStat.isDirectory() ? await readdir(source) : [path.basename(source)];
    const from = sourceStat.isDirectory() ? source : path.dirname(source);
    for (const child of children) {
      const target = path.join(destination, child);
      const exists = await stat(target).then(
        () => true,
        () => false,
      );
      if (exists && appspec.file_exists_behavior === 'RETAIN') continue;
      if (exists && appspec.file_exists_behavior === 'DISALLOW') throw new Error(`files: ${target} already exists and file_exists_behavior is DISALLOW`);
      await rm(target, { recursive: true, force: true });
      const childStat = await stat(path.join(from, child));
      if (childStat.isDirectory()) await linkTree(path.join(from, child), target);
      else await linkFile(path.join(from, child), target);
      installed.push(target);
    }
  }
  await writeJsonAtomic(manifest, installed);
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
