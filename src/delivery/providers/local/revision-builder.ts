// Builds a commit into a revision bundle the way CodeBuild would: from a clean
// export of the commit (never the dirty working tree), following its
// buildspec.yml. Bundles are keyed by the commit's tree, so a commit already
// built (or a revert back to a built tree) is reused instead of rebuilt.
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, ModError } from '../../../errors.js';
import type { Git } from '../../../git/git.js';
import type { Environment } from '../../config.js';
import type { DeliveryEvents } from '../../events.js';
import type { StatePaths } from '../../state-paths.js';
import { readBuildspec } from './buildspec.js';
import { runBuildspec } from './buildspec-runner.js';
import { readJson, writeJsonAtomic } from './json-file.js';

export interface BuiltRevision {
  commit: string;
  bundleKey: string;
  bundleDir: string;
  reused: boolean;
  durationMs: number;
  logFile?: string;
}

interface RevisionManifest {
  bundleKey: string;
  builtFrom: string;
  builtAt: string;
  durationMs: number;
}

export function bundleDirOf(paths: StatePaths, bundleKey: string): string {
  return path.join(paths.revision(bundleKey), 'bundle');
}

export async function bundleExists(paths: StatePaths, bundleKey: string): Promise<boolean> {
  return (await readJson<RevisionManifest>(path.join(paths.revision(bundleKey), 'revision.json')).catch(() => undefined)) !== undefined;
}

export async function buildRevision(options: { git: Git; paths: StatePaths; commit: string; environment: Environment; events: DeliveryEvents; signal?: AbortSignal }): Promise<BuiltRevision> {
  const { git, paths, commit, events } = options;
  const bundleKey = await git.tree(commit);
  const revisionDir = paths.revision(bundleKey);
  if (await bundleExists(paths, bundleKey)) {
    events({ type: 'build.reused', commit, bundle: bundleKey });
    return { commit, bundleKey, bundleDir: bundleDirOf(paths, bundleKey), reused: true, durationMs: 0, logFile: path.join(revisionDir, 'build.log') };
  }

  const started = Date.now();
  const buildId = `b-${new Date().toISOString().replace(/[-:.]/g, '')}-${commit.slice(0, 8)}`;
  const workDir = path.join(paths.builds(), buildId);
  const srcDir = path.join(workDir, 'src');
  await mkdir(srcDir, { recursive: true });
  events({ type: 'build.start', commit });
  try {
    await git.exportTree(commit, srcDir);
    const specFile = path.join(srcDir, 'buildspec.yml');
    const display = `buildspec.yml (commit ${commit.slice(0, 8)})`;
    if (!(await stat(specFile).catch(() => undefined))) {
      throw new ConfigError(display, undefined, 'file not found', 'commit a buildspec.yml (version 0.2) at the repository root');
    }
    const spec = await readBuildspec(specFile, display);
    const outDir = path.join(workDir, 'bundle');
    const result = await runBuildspec(spec, {
      srcDir,
      outDir,
      workDir,
      buildId,
      commit,
      timeoutMs: options.environment.buildTimeoutSeconds * 1000,
      env: { ...process.env },
      signal: options.signal,
      events,
    });
    if (!(await stat(path.join(outDir, 'appspec.yml')).catch(() => undefined))) {
      throw new ModError('BUNDLE_INVALID', `the revision bundle of ${commit.slice(0, 8)} has no appspec.yml at its root`, {
        hint: 'add appspec.yml to artifacts.files in buildspec.yml (CodeDeploy reads it from the bundle root)',
      });
    }
    await mkdir(revisionDir, { recursive: true });
    try {
      await rename(outDir, path.join(revisionDir, 'bundle'));
    } catch (error) {
      // Another build of the same tree finished first: use it.
      if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
    await cp(result.logFile, path.join(revisionDir, 'build.log'));
    const durationMs = Date.now() - started;
    await writeJsonAtomic(path.join(revisionDir, 'revision.json'), { bundleKey, builtFrom: commit, builtAt: new Date().toISOString(), durationMs } satisfies RevisionManifest);
    events({ type: 'build.done', commit, durationMs });
    await rm(workDir, { recursive: true, force: true });
    return { commit, bundleKey, bundleDir: bundleDirOf(paths, bundleKey), reused: false, durationMs, logFile: path.join(revisionDir, 'build.log') };
  } finally {
    // The source copy is large and rebuilt every time; the log stays for a failed build.
    await rm(srcDir, { recursive: true, force: true });
  }
}
