// The embedded default provider: builds with buildspec.yml, rolls out with
// the appspec.yml lifecycle to local instances in batches, fronted by the
// environment host's load balancer, with CodeDeploy-style auto-rollback.
import path from 'node:path';
import { access, constants, mkdir, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { ConfigError, ExitCode, ModError, UsageError } from '../../../errors.js';
import type { Git } from '../../../git/git.js';
import type { Environment } from '../../config.js';
import { newDeploymentId, newDeploymentRecord, type DeploymentError, type DeploymentRecord, type InstanceRecord, type RevisionRef } from '../../deployment.js';
import type { DeliveryEvents } from '../../events.js';
import type { DeployRequest, DoctorCheck, InstanceStatus, PendingApproval, Provider, ProviderEnvironmentStatus } from '../../provider.js';
import { planBatches } from '../../rollout-plan.js';
import type { StatePaths } from '../../state-paths.js';
import { deployToInstance, installedArchive, newInstanceRecord, runHook, type AgentDeployment, type LifecycleEventFailedError, type TrafficControl } from './codedeploy-agent.js';
import { DeploymentHistory } from './deployment-history.js';
import { ensureHost, findHost, type HostClient } from './host-client.js';
import { readJson, writeJsonAtomic } from './json-file.js';
import { ensureInstances, listInstances, type LocalInstance } from './local-instances.js';
import { readAppspec } from './appspec.js';
import { BuildFailedError } from './buildspec-runner.js';
import { buildRevision, bundleDirOf, bundleExists } from './revision-builder.js';

export class LocalProvider implements Provider {
  readonly name = 'local';

  constructor(
    private readonly git: Git,
    private readonly paths: StatePaths,
  ) {}

  private history(env: Environment): DeploymentHistory {
    return new DeploymentHistory(this.paths.deployments(env.name));
  }

  async deployments(env: Environment, limit?: number): Promise<DeploymentRecord[]> {
    return this.history(env).list(limit);
  }

  async updateDeployment(env: Environment, deploymentId: string, patch: Partial<Pick<DeploymentRecord, 'revertCommit'>>): Promise<void> {
    const history = this.history(env);
    const record = await history.get(deploymentId);
    if (record) await history.save({ ...record, ...patch });
  }

  async deploy(request: DeployRequest): Promise<DeploymentRecord> {
    const { environment: env, commit, events, signal } = request;
    const history = this.history(env);
    const record: DeploymentRecord = { ...newDeploymentRecord(request, this.name, newDeploymentId()), pid: process.pid };
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
    const hostReady = ensureHost(this.paths, env);
    hostReady.catch(() => {});
    try {
      // The revision: reuse an earlier bundle (fast rollback) or build the commit.
      let bundleKey: string;
      if (request.reuseRevisionOf) {
        bundleKey = request.reuseRevisionOf.revision.bundle ?? '';
        if (!bundleKey || !(await bundleExists(this.paths, bundleKey))) {
          throw new ModError('BUNDLE_MISSING', `the bundle of deployment ${request.reuseRevisionOf.deploymentId} is no longer on disk`, {
            hint: 'run the rollback without --fast to rebuild it from git',
          });
        }
        events({ type: 'build.reused', commit: commit.commit, bundle: bundleKey });
        record.build = { reused: true, durationMs: 0 };
      } else {
        const built = await buildRevision({ git: this.git, paths: this.paths, commit: commit.commit, environment: env, events, signal });
        bundleKey = built.bundleKey;
        record.build = { reused: built.reused, durationMs: built.durationMs, logFile: built.logFile };
      }
      record.revision.bundle = bundleKey;
      await history.save(record);
      await checkBundle(bundleDirOf(this.paths, bundleKey), commit.commit);
      if (signal.aborted) return await finish('Stopped', { code: 'INTERRUPTED', message: 'interrupted before the rollout started' });

      const host = await hostReady;
      const instances = await ensureInstances(this.paths.instances(env.name), env.instances);
      await this.writeServiceEnv(env, host, instances);
      const previousGood = (await history.list()).find((d) => d.status === 'Succeeded' && d.deploymentId !== record.deploymentId);

      events({ type: 'deploy.start', deploymentId: record.deploymentId, environment: env.name, commit: commit.commit, instanceIds: instances.map((i) => i.id), rollout: env.rollout });
      const outcome = await this.rollOut(env, host, instances, bundleKey, record, record.instances, events, signal);
      if (outcome === 'succeeded') return await finish('Succeeded');
      if (outcome === 'stopped') return await finish('Stopped', { code: 'INTERRUPTED', message: 'interrupted: the deployment was stopped; instances not reached keep their revision' });

      const failure = outcome;
      const error: DeploymentError = {
        code: failure.code,
        message: failure.message,
        hint: failure.hint,
        instanceId: failure.instanceId,
        event: failure.event,
        exitCode: failure.record.exitCode,
        logTail: failure.record.logTail,
        logFile: failure.record.logFile,
      };
      record.error = error;
      const touched = record.instances.filter((i) => i.status !== 'Pending').map((i) => i.instanceId);
      if (!env.autoRollback || !previousGood?.revision.bundle || !(await bundleExists(this.paths, previousGood.revision.bundle))) {
        if (env.autoRollback && !previousGood) events({ type: 'notice', level: 'warn', message: 'auto-rollback: there is no earlier successful deployment to return to' });
        return await finish('Failed', error);
      }
      events({ type: 'autorollback.start', deploymentId: record.deploymentId, commit: previousGood.revision.commit, instanceIds: touched });
      record.autoRollback = { revision: previousGood.revision, status: 'InProgress', instances: [] };
      await history.save(record);
      const rollbackInstances = instances.filter((i) => touched.includes(i.id));
      const rollbackOutcome = await this.rollOut(env, host, rollbackInstances, previousGood.revision.bundle, record, record.autoRollback.instances, events, signal);
      record.autoRollback.status = rollbackOutcome === 'succeeded' ? 'Succeeded' : rollbackOutcome === 'stopped' ? 'Stopped' : 'Failed';
      return await finish(rollbackOutcome === 'succeeded' ? 'RolledBack' : 'Failed', error);
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

  /** Rolls `bundleKey` out to `instances` batch by batch; returns how it ended. */
  private async rollOut(
    env: Environment,
    host: HostClient,
    instances: LocalInstance[],
    bundleKey: string,
    record: DeploymentRecord,
    into: InstanceRecord[],
    events: DeliveryEvents,
    signal: AbortSignal,
  ): Promise<'succeeded' | 'stopped' | LifecycleEventFailedError> {
    const history = this.history(env);
    const traffic: TrafficControl = {
      block: (instance) => host.deregister(instance.id),
      allow: async (instance, abort) => {
        await host.register(instance.id, `http://127.0.0.1:${instance.port}`);
        await host.waitHealthy(instance.id, env.healthCheck.timeoutSeconds * 1000, abort);
      },
    };
    let saving = Promise.resolve();
    const deployment: AgentDeployment = {
      deploymentId: record.deploymentId,
      applicationName: env.app,
      deploymentGroupName: `${env.app}-${env.name}`,
      bundleDir: bundleDirOf(this.paths, bundleKey),
      hookTimeoutCapSeconds: env.hookTimeoutSeconds,
      env: this.serviceVariables(env, host),
      traffic,
      signal,
      onEvent: (instanceId, event) => {
        events({ type: 'lifecycle', instanceId, event: event.name, status: event.status, durationMs: event.durationMs, message: event.message });
        // Serialised atomic writes: `mod status` in another terminal sees each step.
        saving = saving.then(() => history.save(record)).catch(() => {});
      },
    };
    const batches = planBatches(instances, env.rollout);
    for (const [index, batch] of batches.entries()) {
      if (signal.aborted) return 'stopped';
      events({ type: 'batch.start', batch: index + 1, of: batches.length, instanceIds: batch.map((i) => i.id) });
      const outcomes = await Promise.all(
        batch.map((instance) => {
          const instanceRecord = newInstanceRecord(instance.id);
          into.push(instanceRecord);
          return deployToInstance(instance, deployment, instanceRecord);
        }),
      );
      await saving;
      await history.save(record);
      const failure = outcomes.find((o) => o.failure)?.failure;
      if (failure) return signal.aborted ? 'stopped' : failure;
      if (signal.aborted || outcomes.some((o) => o.record.status !== 'Succeeded')) return 'stopped';
    }
    return 'succeeded';
  }

  private serviceVariables(env: Environment, host: HostClient): Record<string, string> {
    return {
      ...env.variables,
      MOD_ENVIRONMENT: env.name,
      DATABASE_URL: host.info.databaseUrl,
    };
  }

  /**
   * The service's configuration on each instance, where the hook scripts read
   * it: /etc/mod/service.env under the instance root (on EC2 the same file is
   * provisioned by the launch template).
   */
  private async writeServiceEnv(env: Environment, host: HostClient, instances: LocalInstance[]): Promise<void> {
    for (const instance of instances) {
      const vars = { ...this.serviceVariables(env, host), PORT: String(instance.port), HOST: '127.0.0.1' };
      const text = Object.entries(vars)
        .map(([key, value]) => `${key}=${shellQuote(value)}`)
        .join('\n');
      await mkdir(path.join(instance.root, 'etc', 'mod'), { recursive: true });
      await writeFile(path.join(instance.root, 'etc', 'mod', 'service.env'), `${text}\n`, { mode: 0o600 });
    }
  }

  async environmentStatus(env: Environment): Promise<ProviderEnvironmentStatus> {
    const host = await findHost(this.paths, env.name);
    const instances = await listInstances(this.paths.instances(env.name));
    const targets = host ? await host.targets().catch(() => []) : [];
    const history = this.history(env);
    const statuses: InstanceStatus[] = [];
    for (const instance of instances) {
      const last = await readJson<{ deploymentId: string }>(path.join(instance.dir, 'deployment-root', 'last-successful.json')).catch(() => undefined);
      const deployment = last ? await history.get(last.deploymentId) : undefined;
      const revision: RevisionRef | undefined = deployment
        ? deployment.autoRollback?.instances.some((i) => i.instanceId === instance.id && i.status === 'Succeeded')
          ? deployment.autoRollback.revision
          : deployment.revision
        : undefined;
      const events = deployment?.autoRollback?.instances.find((i) => i.instanceId === instance.id)?.events ?? deployment?.instances.find((i) => i.instanceId === instance.id)?.events;
      const target = targets.find((t) => t.id === instance.id);
      statuses.push({
        id: instance.id,
        healthy: target?.state === 'healthy',
        state: !host ? 'stopped' : (target?.state ?? 'unregistered'),
        commit: revision?.commit ?? null,
        deploymentId: last?.deploymentId ?? null,
        // A stopped environment runs nothing, whatever was deployed last.
        since: host ? (events?.at(-1)?.endedAt ?? null) : null,
        launchedAt: instance.createdAt,
        detail: target?.lastError ?? `port ${instance.port}`,
      });
    }
    return { endpoint: host?.info.endpoint ?? null, database: host ? (host.info.databaseEmbedded ? 'embedded PGlite' : 'DATABASE_URL') : null, instances: statuses };
  }

  async pipelineHasManualApproval(): Promise<boolean> {
    return false;
  }

  async databaseUrl(env: Environment): Promise<string | undefined> {
    return env.databaseUrl ?? (await findHost(this.paths, env.name))?.info.databaseUrl;
  }

  async pendingApproval(): Promise<PendingApproval | undefined> {
    return undefined;
  }

  async answerApproval(env: Environment): Promise<void> {
    throw new UsageError(`${env.name} runs on the local provider, which has no manual approval step`, 'approvals apply to provider: aws (CodePipeline manual approval)');
  }

  async doctor(env: Environment): Promise<DoctorCheck[]> {
    const checks: DoctorCheck[] = [];
    const head = await this.git.resolve(`refs/heads/${env.branch}`);
    checks.push(head ? { name: 'branch', status: 'pass', detail: `${env.branch} at ${head.slice(0, 8)}` } : { name: 'branch', status: 'warn', detail: `${env.branch} does not exist: deploys use HEAD` });
    const ref = head ?? 'HEAD';
    for (const file of ['buildspec.yml', 'appspec.yml']) {
      const text = await this.git.fileAtIfExists(ref, file);
      if (text === undefined) {
        checks.push({ name: file, status: 'fail', detail: `not committed at ${ref}: add ${file} (see README, "How a deployment runs") and commit it` });
        continue;
      }
      try {
        const { parseYamlSpec } = await import('../../yaml-spec.js');
        const schema = file === 'buildspec.yml' ? (await import('./buildspec.js')).BuildspecSchema : (await import('./appspec.js')).AppspecSchema;
        parseYamlSpec(text, schema, file);
        checks.push({ name: file, status: 'pass', detail: `valid at ${ref === 'HEAD' ? 'HEAD' : env.branch}` });
      } catch (error) {
        checks.push({ name: file, status: 'fail', detail: (error as Error).message });
      }
    }
    const host = await findHost(this.paths, env.name);
    checks.push(host ? { name: 'endpoint', status: 'pass', detail: `${host.info.endpoint} (host pid ${host.info.pid})` } : { name: 'endpoint', status: 'warn', detail: 'not running: the next deploy starts it' });
    if (env.databaseUrl) {
      const url = new URL(env.databaseUrl);
      const reachable = await new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: url.hostname, port: Number(url.port || 5432), timeout: 2000 }, () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
        socket.on('timeout', () => {
          socket.destroy();
          resolve(false);
        });
      });
      checks.push({ name: 'database', status: reachable ? 'pass' : 'fail', detail: `${url.hostname}:${url.port || 5432} ${reachable ? 'accepts connections' : 'is not reachable'}` });
    } else {
      checks.push({ name: 'database', status: 'pass', detail: 'embedded PGlite (started with the endpoint)' });
    }
    return checks;
  }

  async stop(env: Environment, events: DeliveryEvents): Promise<{ stopped: string[] }> {
    const host = await findHost(this.paths, env.name);
    const instances = await listInstances(this.paths.instances(env.name));
    const stopped: string[] = [];
    for (const instance of instances) {
      await host?.deregister(instance.id).catch(() => {});
      const installed = await installedArchive(instance);
      const hooks = installed?.appspec.hooks.ApplicationStop ?? [];
      for (const hook of hooks) {
        const failure = await runHook(
          instance,
          { deploymentId: 'stop', applicationName: env.app, deploymentGroupName: `${env.app}-${env.name}`, env: host ? this.serviceVariables(env, host) : {} },
          'ApplicationStop',
          installed!.archiveDir,
          hook.location,
          Math.min(hook.timeout ?? 3600, env.hookTimeoutSeconds),
          path.join(instance.dir, 'stop.log'),
        );
        if (failure) events({ type: 'notice', level: 'warn', message: `${instance.id}: ApplicationStop: ${failure.message}` });
      }
      if (hooks.length) stopped.push(instance.id);
      events({ type: 'lifecycle', instanceId: instance.id, event: 'ApplicationStop', status: 'Succeeded' });
    }
    if (host) {
      await host.shutdown();
      await writeJsonAtomic(path.join(this.paths.env(env.name), 'targets.json'), []);
      events({ type: 'notice', level: 'info', message: `${env.name}: endpoint ${host.info.endpoint} and database stopped` });
    }
    if (host) stopped.push(`endpoint ${host.info.endpoint}`);
    return { stopped };
  }
}

/** Fails fast, before any instance is touched, on an appspec the agent would reject. */
async function checkBundle(bundleDir: string, commit: string): Promise<void> {
  const display = `appspec.yml (commit ${commit.slice(0, 8)})`;
  const appspec = await readAppspec(path.join(bundleDir, 'appspec.yml'), display);
  for (const [event, hooks] of Object.entries(appspec.hooks)) {
    for (const [index, hook] of (hooks ?? []).entries()) {
      const file = path.join(bundleDir, hook.location);
      const exists = await stat(file).then((s) => s.isFile(), () => false);
      if (!exists) throw new ConfigError(display, `hooks.${event}.${index}.location`, `script ${hook.location} is not in the revision bundle`, 'check the path and that buildspec.yml artifacts include it');
      const executable = await access(file, constants.X_OK).then(() => true, () => false);
      if (!executable) throw new ConfigError(display, `hooks.${event}.${index}.location`, `script ${hook.location} is not executable`, `git update-index --chmod=+x ${hook.location} and commit`);
    }
  }
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
