// One deployment on the local provider, from its record's first save to its
// last: the revision (an earlier bundle reused, or the commit built), a check
// of the bundle before any instance is touched, the rollout, and every way
// it can end written to the audit trail and announced as `deploy.done`.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, ExitCode, ModError } from '../../../errors.js';
import type { Git } from '../../../git/git.js';
import { newDeploymentId, newDeploymentRecord, type DeploymentError, type DeploymentRecord } from '../../deployment.js';
import type { DeployRequest } from '../../provider.js';
import type { StatePaths } from '../../state-paths.js';
import { readAppspec } from './appspec.js';
import { BuildFailedError } from './buildspec-runner.js';
import type { DeploymentHistory } from './deployment-history.js';
import { ensureHost } from './host-client.js';
import { ensureInstances } from './local-instances.js';
import { rollOutWithAutoRollback } from './local-rollout.js';
import { buildRevision, bundleDirOf, bundleExists } from './revision-builder.js';
import { writeServiceEnv } from './service-env.js';

export interface LocalDeploymentContext {
  git: Git;
  paths: StatePaths;
  history: DeploymentHistory;
  providerName: string;
}

export async function runLocalDeployment(request: DeployRequest, context: LocalDeploymentContext): Promise<DeploymentRecord> {
  const { environment: env, commit, events, signal } = request;
  const { git, paths, history } = context;
  const record: DeploymentRecord = { ...newDeploymentRecord(request, context.providerName, newDeploymentId()), pid: process.pid };
  await history.save(record);
  const finish = async (status: DeploymentRecord['status'], error?: DeploymentRecord['error']): Promise<DeploymentRecord> => {
    record.status = status;
    record.endedAt = new Date().toISOString();
    if (error) record.error = error;
    delete record.pid;
    await history.save(record);
    events({ type: 'deploy.done', record });
    return record;
  };

  // The endpoint and database start (first time: seconds) while the build runs.
  const hostReady = ensureHost(paths, env);
  hostReady.catch(() => {});
  try {
    // The revision: reuse an earlier bundle (fast rollback) or build the commit.
    let bundleKey: string;
    if (request.reuseRevisionOf) {
      bundleKey = request.reuseRevisionOf.revision.bundle ?? '';
      if (!bundleKey || !(await bundleExists(paths, bundleKey))) {
        throw new ModError('BUNDLE_MISSING', `the bundle of deployment ${request.reuseRevisionOf.deploymentId} is no longer on disk`, {
          hint: 'run the rollback without --fast to rebuild it from git',
        });
      }
      events({ type: 'build.reused', commit: commit.commit, bundle: bundleKey });
      record.build = { reused: true, durationMs: 0 };
    } else {
      const built = await buildRevision({ git, paths, commit: commit.commit, environment: env, events, signal });
      bundleKey = built.bundleKey;
      record.build = { reused: built.reused, durationMs: built.durationMs, logFile: built.logFile };
    }
    record.revision.bundle = bundleKey;
    await history.save(record);
    await checkBundle(bundleDirOf(paths, bundleKey), commit.commit);
    if (signal.aborted) return await finish('Stopped', { code: 'INTERRUPTED', message: 'interrupted before the rollout started' });

    const host = await hostReady;
    const instances = await ensureInstances(paths.instances(env.name), env.instances);
    await writeServiceEnv(env, host, instances);
    // Read before this deployment can succeed: the revision an auto-rollback returns to.
    const previousGood = (await history.list()).find((d) => d.status === 'Succeeded' && d.deploymentId !== record.deploymentId);

    events({ type: 'deploy.start', deploymentId: record.deploymentId, environment: env.name, commit: commit.commit, instanceIds: instances.map((i) => i.id), rollout: env.rollout });
    const result = await rollOutWithAutoRollback({ env, paths, host, history, record, events, signal }, instances, bundleKey, previousGood);
    return await finish(result.status, result.error);
  } catch (error) {
    if (signal.aborted) return await finish('Stopped', { code: 'INTERRUPTED', message: `interrupted: ${(error as Error).message}` });
    const modError = error instanceof ModError ? error : undefined;
    const detail: DeploymentError = { code: modError?.code ?? 'UNEXPECTED', message: (error as Error).message, hint: modError?.hint };
    if (error instanceof BuildFailedError) Object.assign(detail, { exitCode: error.commandExitCode, logTail: error.logTail, logFile: error.logFile });
    // A bad buildspec/appspec/config is the user's to fix (exit 2); the record still says Failed.
    if (!modError || modError.exitCode === ExitCode.Usage) {
      await finish('Failed', detail);
      throw error;
    }
    return await finish('Failed', detail);
  }
}

/** Fails fast, before any instance is touched, on an appspec the agent would reject. */
async function checkBundle(bundleDir: string, commit: string): Promise<void> {
  const display = `appspec.yml (commit ${commit.slice(0, 8)})`;
  const appspec = await readAppspec(path.join(bundleDir, 'appspec.yml'), display);
  for (const [event, hooks] of Object.entries(appspec.hooks)) {
    for (const [index, hook] of (hooks ?? []).entries()) {
      const file = path.join(bundleDir, hook.location);
      const exists = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!exists) throw new ConfigError(display, `hooks.${event}.${index}.location`, `script ${hook.location} is not in the revision bundle`, 'check the path and that buildspec.yml artifacts include it');
      // Not executable is no error: the agent runs `chmod +x` and carries on (hook_executor.rb).
    }
  }
}
