// The CLI's side of the environment host: starts it (detached, so it outlives
// the command) when it is not running, and talks to its control API.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InterruptedError, ModError, TimeoutError } from '../../../errors.js';
import type { Environment } from '../../config.js';
import type { DeliveryEvents } from '../../events.js';
import { isAlive } from '../../deploy-lock.js';
import type { HostInfo, HostSettings } from './environment-host.js';
import { readJson, writeJsonAtomic } from '../../json-file.js';
import type { RequestSample } from '../../canary/canary-types.js';
import type { EndpointSample, TargetHealth } from './load-balancer.js';
import { freePort } from './local-instances.js';
import { pidsListeningOn } from './port-owner.js';
import { environmentVariables } from './service-env.js';
import type { StatePaths } from '../../state-paths.js';

export class HostClient {
  constructor(readonly info: HostInfo) {}

  private async call<T>(method: string, route: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
    const response = await fetch(`${this.info.controlUrl}${route}`, {
      method,
      headers: { 'x-mod-token': this.info.token, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const payload = (await response.json()) as T & { error?: { message: string } };
    if (!response.ok) throw new ModError('HOST_ERROR', `environment host: ${payload.error?.message ?? response.status}`);
    return payload;
  }

  async targets(): Promise<TargetHealth[]> {
    return (await this.call<{ targets: TargetHealth[] }>('GET', '/v1/state', undefined, 3000)).targets;
  }

  /** `standby`: health-checked but not routed until a switchTraffic() names it. */
  register(id: string, url: string, options: { standby?: boolean } = {}): Promise<TargetHealth> {
    return this.call('PUT', `/v1/targets/${id}`, { url, ...(options.standby ? { standby: true } : {}) });
  }

  /** Relative weights per instance: instances without one get no new requests until clearWeights(). */
  async setWeights(weights: Record<string, number>): Promise<void> {
    await this.call('PUT', '/v1/weights', { weights });
  }

  /** Back to round-robin over the healthy routed instances. */
  async clearWeights(): Promise<void> {
    await this.call('DELETE', '/v1/weights');
  }

  /** The endpoint records each request served by an instance in `groups` (group, status, latency, decision headers, at). */
  async startSampling(groups: Record<string, RequestSample['group']>): Promise<void> {
    await this.call('PUT', '/v1/sampling', { groups });
  }

  /** The samples recorded since the last call (the endpoint keeps at most MAX_SAMPLES between calls, dropping the oldest). */
  async takeSamples(): Promise<RequestSample[]> {
    const { samples } = await this.call<{ samples: EndpointSample[]; dropped: number }>('POST', '/v1/samples');
    return samples;
  }

  async stopSampling(): Promise<void> {
    await this.call('DELETE', '/v1/sampling');
  }

  /**
   * Blue/green's switch, one call, one swap: registers the given instances
   * (on standby) when they are not registered (`urls` gives their URLs),
   * waits until all are healthy, then makes them the only routed targets;
   * the others stop getting new requests, finish their in-flight ones and
   * stay registered on standby until deregistered. Nothing changes when one
   * does not become healthy within `timeoutMs`.
   */
  async switchTraffic(toInstanceIds: string[], urls: Record<string, string> = {}, timeoutMs = 60_000): Promise<TargetHealth[]> {
    const targets = toInstanceIds.map((id) => ({ id, ...(urls[id] ? { url: urls[id] } : {}) }));
    try {
      return (await this.call<{ targets: TargetHealth[] }>('POST', '/v1/switch', { targets, timeoutMs }, timeoutMs + 10_000)).targets;
    } catch (error) {
      if (error instanceof ModError) throw new ModError('HOST_ERROR', error.message, { hint: "check the service log in the new instances' directories and healthCheck.path in mod.config.yml" });
      throw error;
    }
  }

  async deregister(id: string): Promise<void> {
    await this.call('DELETE', `/v1/targets/${id}`, undefined, 120_000);
  }

  async shutdown(): Promise<void> {
    await this.call('POST', '/v1/shutdown');
  }

  /** Waits until the target passes its health checks (ALB "healthy"). */
  async waitHealthy(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: TargetHealth | undefined;
    while (Date.now() < deadline) {
      if (signal?.aborted) throw new InterruptedError('interrupted while waiting for the health check');
      last = (await this.targets()).find((t) => t.id === id);
      if (last?.state === 'healthy') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new TimeoutError(
      `${id} did not pass the health check within ${Math.round(timeoutMs / 1000)}s (state ${last?.state ?? 'unregistered'}${last?.lastError ? `: ${last.lastError}` : ''})`,
      'check the service log in the instance directory and healthCheck.path in mod.config.yml',
    );
  }
}

/**
 * The host's second record, outside the state directory: under os.tmpdir(),
 * keyed by the state directory's path and the environment, so that deleting
 * `.mod` (git clean -fdx) while the host runs does not lose it.
 */
export function hostRegistryFile(paths: StatePaths, envName: string): string {
  const key = createHash('sha256')
    .update(`${path.resolve(paths.root)}\0${envName}`)
    .digest('hex')
    .slice(0, 32);
  return path.join(os.tmpdir(), `mod-hosts-${os.userInfo().uid}`, `${key}.json`);
}

async function answering(info: HostInfo | undefined): Promise<HostClient | undefined> {
  if (!info || !isAlive(info.pid)) return undefined;
  const client = new HostClient(info);
  try {
    await client.targets();
    return client;
  } catch {
    return undefined;
  }
}

/** The running host of an environment, if any; a host whose host.json was deleted is found by its registry record and adopted. */
export async function findHost(paths: StatePaths, envName: string): Promise<HostClient | undefined> {
  const info = await readJson<HostInfo>(paths.host(envName)).catch(() => undefined);
  const found = await answering(info);
  if (found) return found;
  const registered = await readJson<HostInfo>(hostRegistryFile(paths, envName)).catch(() => undefined);
  if (!registered || registered.pid === info?.pid) return undefined;
  const orphan = await answering(registered);
  // Its state directory was deleted under it: record it again where the CLI looks.
  if (orphan) await writeJsonAtomic(paths.host(envName), orphan.info).catch(() => {});
  return orphan;
}

/**
 * A host found by its copy outside the state directory whose embedded
 * database went with that directory (`git clean -fdx`, `rm -rf .mod`): it
 * can serve nothing any more. It is shut down, with the services its
 * instances started (found by the ports it routes to, since their pid files
 * went too), and a fresh one is started in its place.
 */
async function lostItsDatabase(paths: StatePaths, envName: string, host: HostClient, events?: DeliveryEvents): Promise<boolean> {
  if (!host.info.databaseEmbedded) return false;
  if (
    await stat(paths.database(envName)).then(
      () => true,
      () => false,
    )
  )
    return false;
  const targets = await host.targets().catch(() => []);
  await host.shutdown().catch(() => {});
  const killed: number[] = [];
  for (const target of targets) {
    const port = Number(new URL(target.url).port);
    for (const pid of port ? await pidsListeningOn(port) : []) {
      try {
        process.kill(pid, 'SIGTERM');
        killed.push(pid);
      } catch {
        // gone already
      }
    }
  }
  events?.({
    type: 'notice',
    level: 'warn',
    message: `${envName}: the running host (pid ${host.info.pid}) lost its embedded database with the state directory: stopped it${killed.length ? ` and its instances' services (pids ${killed.join(', ')})` : ''}; starting a fresh one (the data in the deleted directory is gone)`,
  });
  return true;
}

/** A host process that is alive but does not answer its control API (hung, or still starting), by either record. */
async function unansweringHost(paths: StatePaths, envName: string): Promise<HostInfo | undefined> {
  for (const file of [paths.host(envName), hostRegistryFile(paths, envName)]) {
    const info = await readJson<HostInfo>(file).catch(() => undefined);
    if (info && (await hostProcessRunning(info.pid))) return info;
  }
  return undefined;
}

/**
 * Whether the pid is an environment host: not a process that reused a dead
 * host's pid, nor a killed host not reaped yet (a zombie has no cmdline).
 */
async function isHostProcess(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline === undefined ? true : cmdline.includes('environment-host-main');
}

/** Whether a host process runs under this pid (alive, not a zombie, an environment host). */
export async function hostProcessRunning(pid: number): Promise<boolean> {
  return isAlive(pid) && (await isHostProcess(pid));
}

function hostEntry(): string {
  const here = fileURLToPath(import.meta.url);
  // Under a TypeScript test runner this module is src/...ts; the host always runs from dist.
  return here.endsWith('.ts') ? here.replace(`${path.sep}src${path.sep}`, `${path.sep}dist${path.sep}`).replace(/host-client\.ts$/, 'environment-host-main.js') : path.join(path.dirname(here), 'environment-host-main.js');
}

/** Finds the environment's host or starts one, and returns a client for it. */
export async function ensureHost(paths: StatePaths, env: Environment, events?: DeliveryEvents): Promise<HostClient> {
  const running = await findHost(paths, env.name);
  if (running && !(await lostItsDatabase(paths, env.name, running, events))) return running;
  const stuck = await unansweringHost(paths, env.name);
  if (stuck) {
    throw new ModError('HOST_ORPHANED', `the ${env.name} environment's host (pid ${stuck.pid}, endpoint ${stuck.endpoint}) still runs but does not answer on ${stuck.controlUrl}; a second one would fight it for the endpoint and database`, {
      hint: `stop it (kill ${stuck.pid}), then run the command again`,
    });
  }

  const envDir = paths.env(env.name);
  await mkdir(envDir, { recursive: true });
  await rm(paths.host(env.name), { force: true });
  // The endpoint keeps its port across host restarts so its URL is stable.
  const portFile = path.join(envDir, 'endpoint-port.json');
  const endpointPort = env.local.port || (await readJson<{ port: number }>(portFile))?.port || (await freePort());
  await writeJsonAtomic(portFile, { port: endpointPort });
  const settings: HostSettings = {
    environment: env.name,
    endpointPort,
    databaseUrl: env.databaseUrl,
    databaseDir: paths.database(env.name),
    infoFile: paths.host(env.name),
    targetsFile: path.join(envDir, 'targets.json'),
    registryFile: hostRegistryFile(paths, env.name),
    restart: {
      instancesDir: paths.instances(env.name),
      applicationName: env.app,
      deploymentGroupName: `${env.app}-${env.name}`,
      variables: environmentVariables(env, paths),
      hookTimeoutCapSeconds: env.hookTimeoutSeconds,
      lockFile: paths.lock(env.name),
      deploymentsDir: paths.deployments(env.name),
    },
    stateDir: path.resolve(paths.root),
    loadBalancer: {
      healthPath: env.healthCheck.path,
      intervalMs: env.healthCheck.intervalSeconds * 1000,
      healthyThreshold: env.healthCheck.healthyThreshold,
      unhealthyThreshold: env.healthCheck.unhealthyThreshold,
      drainMs: env.local.drainSeconds * 1000,
    },
  };
  const settingsFile = path.join(envDir, 'host-settings.json');
  await writeJsonAtomic(settingsFile, settings);
  const log = await open(paths.hostLog(env.name), 'a');
  const child = spawn(process.execPath, [hostEntry(), settingsFile], {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
    cwd: envDir,
  });
  child.unref();
  await log.close();

  const deadline = Date.now() + 30_000;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  while (Date.now() < deadline) {
    const host = await findHost(paths, env.name);
    if (host && host.info.pid === child.pid) return host;
    if (exited !== undefined) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new ModError('HOST_START_FAILED', `the ${env.name} environment's endpoint and database did not start`, {
    hint: `see ${paths.hostLog(env.name)}${endpointPort ? ` (is port ${endpointPort} taken? set environments.${env.name}.local.port)` : ''}`,
  });
}
