// Builds a commit into a revision bundle the way CodeBuild would: from a clean
// export of the commit (never the dirty working tree), following its
// buildspec.yml. Bundles are keyed by the commit's tree, so a commit already
// built (or a revert back to a built tree) is reused instead of rebuilt, but
// only after the bundle is verified against the manifest of hashes written
// when it was built (bundle-manifest.ts): a damaged bundle is rebuilt.
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { revisionAppspecFile } from './appspec.js';
import { ConfigError, ModError } from '../../../errors.js';
import type { Git } from '../../../git/git.js';
import type { Environment } from '../../config.js';
import type { DeliveryEvents } from '../../events.js';
import type { StatePaths } from '../../state-paths.js';
import { readBuildspec } from './buildspec.js';
import { BuildFailedError, runBuildspec } from './buildspec-runner.js';
import { BUNDLE_MANIFEST, verifyBundle, writeBundleManifest } from './bundle-manifest.js';
import { readJson, writeJsonAtomic } from '../../json-file.js';

export interface BuiltRevision {
  commit: string;
  bundleKey: string;
  bundleDir: string;
  reused: boolean;
  durationMs: number;
  logFile?: string;
  /** env.exported-variables at the end of the build. */
  exportedVariables?: Record<string, string>;
}

interface RevisionManifest {
  bundleKey: string;
  builtFrom: string;
  builtAt: string;
  durationMs: number;
  buildId?: string;
  exportedVariables?: Record<string, string>;
  secondaryArtifacts?: string[];
}

export function bundleDirOf(paths: StatePaths, bundleKey: string): string {
  return path.join(paths.revision(bundleKey), 'bundle');
}

/** Whether the bundle was built and is still exactly what its build produced. */
export async function bundleExists(paths: StatePaths, bundleKey: string): Promise<boolean> {
  return (await bundleProblems(paths, bundleKey)).length === 0;
}

/** Why the bundle cannot be used (not built, or files missing / changed / added since its build); empty when it can. */
export async function bundleProblems(paths: StatePaths, bundleKey: string): Promise<string[]> {
  const revisionDir = paths.revision(bundleKey);
  const record = await readJson<RevisionManifest>(path.join(revisionDir, 'revision.json')).catch(() => undefined);
  if (!record) return ['it was never built (or its build did not finish)'];
  return verifyBundle(bundleDirOf(paths, bundleKey), path.join(revisionDir, BUNDLE_MANIFEST));
}

/**
 * The bundle of an earlier revision, ready to redeploy: itself when it still
 * verifies, else rebuilt from its commit (a notice says why), so a damaged
 * cache never breaks a rollback. Undefined when it can be neither (the commit
 * is not in this clone).
 */
export async function usableBundle(options: { git: Git; paths: StatePaths; bundleKey: string | null | undefined; commit: string; environment: Environment; events: DeliveryEvents; signal?: AbortSignal }): Promise<string | undefined> {
  const { git, paths, bundleKey, commit, events } = options;
  if (bundleKey && (await bundleExists(paths, bundleKey))) return bundleKey;
  if (!(await git.resolve(commit))) return undefined;
  const why = bundleKey ? (await bundleProblems(paths, bundleKey)).join('; ') : 'no bundle was recorded';
  events({ type: 'notice', level: 'warn', message: `the bundle of ${commit.slice(0, 8)} cannot be reused (${why}): rebuilding it from git` });
  return (await buildRevision({ git, paths, commit, environment: options.environment, events, signal: options.signal })).bundleKey;
}

export async function buildRevision(options: { git: Git; paths: StatePaths; commit: string; environment: Environment; events: DeliveryEvents; signal?: AbortSignal }): Promise<BuiltRevision> {
  const { git, paths, commit, events, environment } = options;
  const bundleKey = await git.tree(commit);
  const revisionDir = paths.revision(bundleKey);
  const record = await readJson<RevisionManifest>(path.join(revisionDir, 'revision.json')).catch(() => undefined);
  if (record) {
    const problems = await verifyBundle(bundleDirOf(paths, bundleKey), path.join(revisionDir, BUNDLE_MANIFEST));
    if (problems.length === 0) {
      events({ type: 'build.reused', commit, bundle: bundleKey });
      return { commit, bundleKey, bundleDir: bundleDirOf(paths, bundleKey), reused: true, durationMs: 0, logFile: path.join(revisionDir, 'build.log'), exportedVariables: record.exportedVariables };
    }
    events({ type: 'notice', level: 'warn', message: `the cached bundle ${bundleKey.slice(0, 8)} of ${commit.slice(0, 8)} failed verification (${problems.join('; ')}); rebuilding it` });
    // The record first: nothing may take the bundle for a good one while it is replaced.
    await rm(path.join(revisionDir, 'revision.json'), { force: true });
    await rm(revisionDir, { recursive: true, force: true });
  }

  const started = Date.now();
  const buildId = `b-${new Date().toISOString().replace(/[-:.]/g, '')}-${commit.slice(0, 8)}`;
  const workDir = path.join(paths.builds(), buildId);
  const srcDir = path.join(workDir, 'src');
  const logFile = path.join(workDir, 'build.log');
  await mkdir(srcDir, { recursive: true });
  const projectName = environment.aws?.codebuildProject ?? `${environment.app}-${environment.name}`;
  const buildNumber = await nextBuildNumber(paths, projectName);
  events({ type: 'build.start', commit, logFile });
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
      timeoutMs: environment.buildTimeoutSeconds * 1000,
      env: { ...process.env },
      signal: options.signal,
      events,
      buildNumber,
      projectName,
      region: environment.aws?.region,
      specName: display,
    }).catch((error: unknown) => {
      if (error instanceof BuildFailedError && error.artifactsDir) {
        events({ type: 'notice', level: 'info', message: `the artifacts of the failed build are in ${error.artifactsDir} (CodeBuild uploads them after a failed build too); they are not deployed` });
      }
      throw error;
    });
    // The agent reads appspec.yml, else appspec.yaml (command_executor.rb app_spec_real_path).
    if (!(await stat(await revisionAppspecFile(outDir)).catch(() => undefined))) {
      throw new ModError('BUNDLE_INVALID', `the revision bundle of ${commit.slice(0, 8)} has no appspec.yml (or appspec.yaml) at its root`, {
        hint: 'add appspec.yml to artifacts.files in buildspec.yml (CodeDeploy reads it from the bundle root)',
      });
    }
    await mkdir(revisionDir, { recursive: true });
    const bundleDir = bundleDirOf(paths, bundleKey);
    try {
      await rename(outDir, bundleDir);
    } catch (error) {
      // Another build of the same tree finished first: use it.
      if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
    for (const extra of ['secondary', 'reports']) {
      if (await stat(path.join(workDir, extra)).catch(() => undefined)) {
        await rm(path.join(revisionDir, extra), { recursive: true, force: true });
        await rename(path.join(workDir, extra), path.join(revisionDir, extra));
      }
    }
    await cp(result.logFile, path.join(revisionDir, 'build.log'));
    // The manifest describes the bundle where it stays; revision.json, written last, says the build is complete.
    await writeBundleManifest(bundleDir, path.join(revisionDir, BUNDLE_MANIFEST));
    const durationMs = Date.now() - started;
    await writeJsonAtomic(path.join(revisionDir, 'revision.json'), {
      bundleKey,
      builtFrom: commit,
      builtAt: new Date().toISOString(),
      durationMs,
      buildId,
      exportedVariables: result.exportedVariables,
      secondaryArtifacts: Object.keys(result.secondaryArtifacts),
    } satisfies RevisionManifest);
    events({ type: 'build.done', commit, durationMs });
    await rm(workDir, { recursive: true, force: true });
    return { commit, bundleKey, bundleDir, reused: false, durationMs, logFile: path.join(revisionDir, 'build.log'), exportedVariables: result.exportedVariables };
  } finally {
    // The source copy is large and rebuilt every time; the log (and a failed build's artifacts) stay.
    await rm(srcDir, { recursive: true, force: true });
  }
}

/** CODEBUILD_BUILD_NUMBER: one counter per project, as CodeBuild keeps. */
async function nextBuildNumber(paths: StatePaths, projectName: string): Promise<number> {
  const file = path.join(paths.builds(), `${projectName}.build-number`);
  const last = Number((await readFile(file, 'utf8').catch(() => '0')).trim()) || 0;
  await mkdir(paths.builds(), { recursive: true });
  await writeFile(file, `${last + 1}\n`);
  return last + 1;
}
