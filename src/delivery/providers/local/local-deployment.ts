// One deployment on the local provider, from its record's first save to its
// last: the revision (an earlier bundle reused, or the commit built), a check
// of the bundle before any instance is touched, the rollout, and every way
// it can end written to the audit trail and announced as `deploy.done`.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, ExitCode, ModError } from '../../../errors.js';
import type { Git } from '../../../git/git.js';
import { newDeploymentId, newDeploymentRecord, type DeploymentError, type DeploymentRecord, type RevisionRef } from '../../deployment.js';
import type { DeployRequest } from '../../provider.js';
import type { StatePaths } from '../../state-paths.js';
import { readHolder, readStopRequest } from '../../deploy-lock.js';
import { readAppspec, revisionAppspecFile } from './appspec.js';
import { BuildFailedError } from './buildspec-runner.js';
import type { DeploymentHistory } from './deployment-history.js';
import { ensureHost } from './host-client.js';
import { ensureInstances } from './local-instances.js';
import { listInstances } from './local-instances.js';
import { judgeCanary } from '../../canary/judge.js';
import { removeLeftoverCanary, runLocalCanary } from './local-canary.js';
import { rerouteToKeptFleet, runBlueGreenRollout, terminateSupersededStandby } from './local-blue-green.js';
import { rollOutWithAutoRollback } from './local-rollout.js';
import { closeAbandonedDeployments } from './orphaned-hooks.js';
import { buildRevision, bundleDirOf, usableBundle } from './revision-builder.js';
import { writeServiceEnv } from './service-env.js';

export interface LocalDeploymentContext {
  git: Git;
  paths: StatePaths;
  history: DeploymentHistory;
  providerName: string;
}

export async function runLocalDeployment(request: DeployRequest, context: LocalDeploymentContext): Promise<DeploymentRecord> {
  const { environment: env, commit, events } = request;
  const { git, paths, history } = context;
  // We hold the environment's lock: a record still InProgress belongs to a deployer that died.
  const lockFile = paths.lock(env.name);
  const holder = await readHolder(lockFile);
  const takenOverBy = holder ? `pid ${holder.pid} (${holder.user}@${holder.host}, ${holder.command})` : `pid ${process.pid}`;
  for (const closed of await closeAbandonedDeployments(history, await listInstances(paths.instances(env.name)), takenOverBy)) {
    events({ type: 'notice', level: 'warn', message: `closed abandoned deployment ${closed.deploymentId}: ${closed.stopReason}` });
  }

  const record: DeploymentRecord = { ...newDeploymentRecord(request, context.providerName, newDeploymentId()), pid: process.pid };
  await history.save(record);
  // One signal for every way the deployment is stopped: Ctrl-C, mod stop, --timeout.
  const stopWatch = watchForStop({ lockFile, since: holder?.since ?? record.startedAt, timeoutMs: request.timeoutMs, outer: request.signal, running: () => runningSteps(record) });
  const signal = stopWatch.signal;
  const finish = async (status: DeploymentRecord['status'], error?: DeploymentRecord['error']): Promise<DeploymentRecord> => {
    stopWatch.dispose();
    const stopped = stopWatch.why();
    if (status === 'Stopped' && stopped) {
      record.stopReason = stopped.reason;
      error = { ...error, code: stopped.code, message: stopped.message, hint: stopped.hint };
    }
    record.status = status;
    record.endedAt = new Date().toISOString();
    if (error) record.error = error;
    delete record.pid;
    await history.save(record);
    events({ type: 'deploy.done', record });
    return record;
  };

  // The endpoint and database start (first time: seconds) while the build runs.
  const hostReady = ensureHost(paths, env, events);
  hostReady.catch(() => {});
  try {
    // Blue/green, a fast rollback within the window: traffic back to the kept fleet, no reinstall (issue 12).
    if (request.reuseRevisionOf && env.deploymentType === 'blue-green') {
      const rerouted = await rerouteToKeptFleet({ env, paths, host: await hostReady, history, record, events }, request.reuseRevisionOf);
      if (rerouted) return await finish(rerouted.status, rerouted.error);
    }
    // The revision: reuse an earlier bundle (fast rollback) or build the commit.
    let bundleKey: string;
    if (request.reuseRevisionOf) {
      const recorded = request.reuseRevisionOf.revision.bundle;
      const started = Date.now();
      // A bundle that no longer verifies is rebuilt from its commit rather than redeployed damaged.
      const usable = await usableBundle({ git, paths, bundleKey: recorded, commit: commit.commit, environment: env, events, signal });
      if (!usable) {
        throw new ModError('BUNDLE_MISSING', `the bundle of deployment ${request.reuseRevisionOf.deploymentId} is no longer usable, and its commit ${commit.commit.slice(0, 8)} is not in this clone to rebuild it`, {
          hint: 'fetch the commit (git fetch), then roll back again',
        });
      }
      bundleKey = usable;
      if (usable === recorded) {
        events({ type: 'build.reused', commit: commit.commit, bundle: bundleKey });
        record.build = { reused: true, durationMs: 0 };
      } else record.build = { reused: false, durationMs: Date.now() - started };
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
    const blueGreen = env.deploymentType === 'blue-green';
    // In place after blue/green: a kept fleet is superseded (terminated) before the rollout picks its instances.
    if (!blueGreen) await terminateSupersededStandby(env, paths, host, events);
    const instances = blueGreen ? [] : await ensureInstances(paths.instances(env.name), env.instances);
    await writeServiceEnv(env, host, paths, instances);
    // Read before this deployment can succeed: the revision an auto-rollback returns to.
    const previousGood = (await history.list()).find((d) => d.status === 'Succeeded' && d.deploymentId !== record.deploymentId);

    // Blue/green announces its replacement fleet once it is launched.
    if (!blueGreen) events({ type: 'deploy.start', deploymentId: record.deploymentId, environment: env.name, commit: commit.commit, instanceIds: instances.map((i) => i.id), rollout: env.rollout });
    const repairBundle = (revision: RevisionRef) => usableBundle({ git, paths, bundleKey: revision.bundle, commit: revision.commit, environment: env, events, signal });
    // Issue 12: a canary and a fresh baseline, judged before the rollout touches the fleet.
    await removeLeftoverCanary(paths, env, host, events);
    const canary = await runLocalCanary({ env, paths, host, history, record, events, signal, judge: judgeCanary, repairBundle }, { bundleKey, previousGood, fastRollback: request.reuseRevisionOf !== undefined, unattended: request.unattended });
    if (!canary.proceed) return await finish(canary.status, canary.error);
    const result = blueGreen
      ? await runBlueGreenRollout({ env, paths, host, history, record, events, signal, repairBundle }, bundleKey, previousGood)
      : await rollOutWithAutoRollback({ env, paths, host, history, record, events, signal, repairBundle }, instances, bundleKey, previousGood);
    return await finish(result.status, result.error);
  } catch (error) {
    if (signal.aborted) return await finish('Stopped', { code: 'INTERRUPTED', message: `interrupted: ${(error as Error).message}` });
    stopWatch.dispose();
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
  const file = await revisionAppspecFile(bundleDir);
  const display = `${path.basename(file)} (commit ${commit.slice(0, 8)})`;
  const appspec = await readAppspec(file, display);
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

interface StopCause {
  code: 'INTERRUPTED' | 'DEPLOYMENT_STOPPED' | 'TIMEOUT';
  /** For the record's error. */
  message: string;
  /** For the record's stopReason. */
  reason: string;
  hint?: string;
}

interface StopWatch {
  signal: AbortSignal;
  /** Why the deployment was stopped, once it was. */
  why(): StopCause | undefined;
  dispose(): void;
}

/**
 * Aborts the deployment on the caller's signal (Ctrl-C), on a stop request
 * for this process (`mod stop`, polled) or past `timeoutMs` (`--timeout`),
 * remembering which came first.
 */
function watchForStop(options: { lockFile: string; since: string; timeoutMs?: number; outer: AbortSignal; running: () => string; pollMs?: number }): StopWatch {
  const controller = new AbortController();
  let cause: StopCause | undefined;
  const stopWith = (make: () => StopCause) => {
    if (controller.signal.aborted) return;
    cause = make();
    controller.abort(new Error(cause.message));
  };
  const onOuter = () =>
    stopWith(() => {
      const what = options.outer.reason instanceof Error ? options.outer.reason.message : 'signal';
      return { code: 'INTERRUPTED', message: `interrupted (${what}): the deployment was stopped${options.running()}; instances not reached keep their revision`, reason: `interrupted (${what})` };
    });
  if (options.outer.aborted) onOuter();
  options.outer.addEventListener('abort', onOuter, { once: true });
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            stopWith(() => {
              const seconds = Math.round(options.timeoutMs! / 1000);
              return {
                code: 'TIMEOUT',
                message: `the deployment ran past --timeout ${seconds}s and was stopped${options.running()}; instances not reached keep their revision`,
                reason: `timed out after ${seconds}s (--timeout)`,
                hint: 'find what hangs in the hook log (mod history -v), or give it longer: --timeout <seconds>',
              };
            }),
          options.timeoutMs,
        );
  let polling = false;
  const poll = setInterval(() => {
    if (polling) return;
    polling = true;
    readStopRequest(options.lockFile, process.pid)
      .then((request) => {
        if (!request || request.at < options.since) return;
        const by = `${request.by.command} (${request.by.user}@${request.by.host}, pid ${request.by.pid})`;
        stopWith(() => ({ code: 'DEPLOYMENT_STOPPED', message: `stopped by ${by}${options.running()}; instances not reached keep their revision`, reason: `stopped by ${by} at ${request.at}` }));
      })
      .catch(() => {})
      .finally(() => (polling = false));
  }, options.pollMs ?? 200);
  return {
    signal: controller.signal,
    why: () => cause,
    dispose() {
      clearTimeout(timer);
      clearInterval(poll);
      options.outer.removeEventListener('abort', onOuter);
    },
  };
}

/** ", while i-local-1 ran BeforeInstall", naming what was running when the deployment was stopped. */
function runningSteps(record: DeploymentRecord): string {
  const running = [...record.instances, ...(record.autoRollback?.instances ?? [])].flatMap((i) => i.events.filter((e) => e.status === 'InProgress').map((e) => `${i.instanceId} ran ${e.name}`));
  return running.length ? ` while ${running.join(', ')} (its hook killed)` : '';
}
