// What a built revision bundle held when its build finished: the sha256 of
// every file (and the target of every symbolic link), written next to the
// bundle, never inside it (the bundle is what instances install). A cached
// bundle is verified against it before it is reused: a file missing, changed
// or added means the bundle is rebuilt, not deployed. As git's index does, a
// file whose inode, size and modification time are those recorded is taken
// to hold the recorded content; any other file is hashed again.
import { createHash } from 'node:crypto';
import { createReadStream, type Dirent } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { readJson, writeJsonAtomic } from '../../json-file.js';

export const BUNDLE_MANIFEST = 'bundle-manifest.json';

interface Entry {
  sha256?: string;
  size?: number;
  mode?: number;
  symlink?: string;
  /** Stat fields that let verification skip rehashing an untouched file. */
  ino?: number;
  mtimeMs?: number;
}

export interface BundleManifest {
  algorithm: 'sha256';
  createdAt: string;
  files: Record<string, Entry>;
}

const CONCURRENCY = 16;

export async function writeBundleManifest(bundleDir: string, manifestFile: string): Promise<BundleManifest> {
  const files: Record<string, Entry> = {};
  await forEachEntry(bundleDir, async (rel, full, dirent) => {
    if (dirent.isSymbolicLink()) files[rel] = { symlink: await readlink(full) };
    else if (dirent.isFile()) {
      const info = await lstat(full);
      files[rel] = { sha256: await hashFile(full), size: info.size, mode: info.mode & 0o777, ino: info.ino, mtimeMs: info.mtimeMs };
    }
  });
  const manifest: BundleManifest = { algorithm: 'sha256', createdAt: new Date().toISOString(), files: sortKeys(files) };
  await writeJsonAtomic(manifestFile, manifest);
  return manifest;
}

/** Problems found (at most `maxProblems`); empty when the bundle is exactly what was built. */
export async function verifyBundle(bundleDir: string, manifestFile: string, maxProblems = 5): Promise<string[]> {
  const manifest = await readJson<BundleManifest>(manifestFile).catch(() => undefined);
  if (!manifest?.files) return ['it has no manifest of its files (built before bundles were verified, or the manifest is damaged)'];
  const problems: string[] = [];
  const seen = new Set<string>();
  try {
    await forEachEntry(bundleDir, async (rel, full, dirent) => {
      if (dirent.isDirectory()) return;
      seen.add(rel);
      const want = manifest.files[rel];
      if (!want) return void problems.push(`${rel} was added after the build`);
      if (dirent.isSymbolicLink()) {
        if (want.symlink !== (await readlink(full))) problems.push(`${rel} is not the symbolic link it was built as`);
        return;
      }
      if (want.symlink !== undefined || !dirent.isFile()) return void problems.push(`${rel} is not the symbolic link it was built as`);
      const info = await lstat(full);
      if (info.size !== want.size) return void problems.push(`${rel} changed since the build`);
      if ((info.mode & 0o777) !== want.mode) return void problems.push(`${rel} changed mode since the build`);
      if (info.ino === want.ino && info.mtimeMs === want.mtimeMs) return;
      if ((await hashFile(full)) !== want.sha256) problems.push(`${rel} changed since the build`);
    });
  } catch {
    return ['its directory is gone'];
  }
  for (const file of Object.keys(manifest.files)) if (!seen.has(file)) problems.push(`${file} is missing`);
  return problems.sort(byKind).slice(0, maxProblems);
}

// Missing first (the usual damage), then changed, then added.
function byKind(a: string, b: string): number {
  const rank = (p: string) => (p.endsWith('is missing') ? 0 : p.endsWith('added after the build') ? 2 : 1);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

async function forEachEntry(root: string, visit: (rel: string, full: string, dirent: Dirent) => Promise<void>): Promise<void> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const dirent = entries[next++]!;
      const full = path.join(dirent.parentPath, dirent.name);
      await visit(path.relative(root, full).split(path.sep).join('/'), full, dirent);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
