// What a built revision bundle held when its build finished: the sha256 of
// every file (and the target of every symbolic link), written next to the
// bundle, never inside it (the bundle is what instances install). A cached
// bundle is verified against it before it is reused: a file missing, changed
// or added means the bundle is rebuilt, not deployed.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { readJson, writeJsonAtomic } from './json-file.js';

export const BUNDLE_MANIFEST = 'bundle-manifest.json';

interface Entry {
  sha256?: string;
  size?: number;
  mode?: number;
  symlink?: string;
}

export interface BundleManifest {
  algorithm: 'sha256';
  createdAt: string;
  files: Record<string, Entry>;
}

export async function writeBundleManifest(bundleDir: string, manifestFile: string): Promise<BundleManifest> {
  const manifest: BundleManifest = { algorithm: 'sha256', createdAt: new Date().toISOString(), files: await describe(bundleDir) };
  await writeJsonAtomic(manifestFile, manifest);
  return manifest;
}

/** Problems found, worst first; empty when the bundle is exactly what was built. */
export async function verifyBundle(bundleDir: string, manifestFile: string, maxProblems = 5): Promise<string[]> {
  const manifest = await readJson<BundleManifest>(manifestFile).catch(() => undefined);
  if (!manifest?.files) return ['it has no manifest of its files (built before bundles were verified, or the manifest is damaged)'];
  const actual = await describe(bundleDir).catch(() => undefined);
  if (!actual) return ['its directory is gone'];
  const problems: string[] = [];
  for (const [file, want] of Object.entries(manifest.files)) {
    const have = actual[file];
    if (!have) problems.push(`${file} is missing`);
    else if (want.symlink !== have.symlink) problems.push(`${file} is not the symbolic link it was built as`);
    else if (want.sha256 !== have.sha256 || want.size !== have.size) problems.push(`${file} changed since the build`);
    else if (want.mode !== have.mode) problems.push(`${file} changed mode since the build`);
  }
  for (const file of Object.keys(actual)) if (!manifest.files[file]) problems.push(`${file} was added after the build`);
  return problems.slice(0, maxProblems);
}

async function describe(root: string): Promise<Record<string, Entry>> {
  const files: Record<string, Entry> = {};
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full).split(path.sep).join('/');
      if (entry.isDirectory()) await walk(full);
      else if (entry.isSymbolicLink()) files[rel] = { symlink: await readlink(full) };
      else if (entry.isFile()) {
        const info = await lstat(full);
        files[rel] = { sha256: await hashFile(full), size: info.size, mode: info.mode & 0o777 };
      }
    }
  };
  await walk(root);
  return files;
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
