// The long-lived process behind a local environment: it serves the stable
// endpoint (the load balancer), the environment's shared database (embedded
// PGlite unless DATABASE_URL is configured) and a loopback control API that
// the CLI uses to register and deregister instances. It outlives the CLI, as
// an ALB and Aurora outlive a CodeDeploy deployment.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../store/embedded-postgres.js';
import { readJson, writeJsonAtomic } from '../../json-file.js';
import { InstanceRestarter, type RestartSettings } from './instance-restarter.js';
import { LoadBalancer, type LoadBalancerOptions } from './load-balancer.js';
import { scheduleStandbyTermination } from './local-blue-green.js';
import { answerClientErrors } from '../../../raw-http-errors.js';

export interface HostSettings {
  environment: string;
  endpointPort: number;
  databaseUrl?: string;
  databaseDir: string;
  loadBalancer: LoadBalancerOptions;
  /** Where the host records itself (HostInfo) for the CLI to find. */
  infoFile: string;
  /** Registered targets survive a host restart. */
  targetsFile: string;
  /**
   * A second record of the host outside the state directory (under
   * os.tmpdir(), keyed by it), so a host whose `.mod` was deleted while it
   * ran (git clean -fdx) is still found instead of a second one started.
   */
  registryFile?: string;
  stateDir?: string;
  /** Restart instances that die in service (as an ASG replaces them); unset: never. */
  restart?: RestartSettings;
}

export interface HostInfo {
  pid: number;
  environment: string;
  endpoint: string;
  controlUrl: string;
  token: string;
  databaseUrl: string;
  databaseEmbedded: boolean;
  startedAt: string;
  /** The state directory the host serves (the registry file's key). */
  stateDir?: string;
}

export async function startEnvironmentHost(settings: HostSettings): Promise<{ info: HostInfo; stop: () => Promise<void> }> {
  const token = randomBytes(16).toString('hex');
  let database: EmbeddedPostgres | undefined;
  if (!settings.databaseUrl) database = await startEmbeddedPostgres({ dataDir: settings.databaseDir });

  const lb = new LoadBalancer(settings.loadBalancer);
  for (const target of (await readJson<{ id: string; url: string; inService?: boolean; standby?: boolean }[]>(settings.targetsFile).catch(() => undefined)) ?? []) {
    // Saved targets were serving when the host last ran: one that died meanwhile is restarted.
    lb.register(target.id, target.url, { inService: target.inService ?? true, ...(target.standby ? { standby: true } : {}) });
  }
  lb.start();
  const saveTargets = () =>
    writeJsonAtomic(
      settings.targetsFile,
      lb
        .list()
        .filter((t) => t.state !== 'draining')
        .map(({ id, url, inService, standby }) => ({ id, url, inService: inService ?? false, ...(standby ? { standby: true } : {}) })),
    );

  // The instances' replacement: a target that died in service is restarted from its installed revision.
  let restartTimer: NodeJS.Timeout | undefined;
  if (settings.restart) {
    const restarter = new InstanceRestarter(
      settings.restart,
      () => ({ ...settings.restart!.variables, DATABASE_URL: info.databaseUrl }),
      (line) => console.log(`${new Date().toISOString()} ${line}`),
    );
    restartTimer = setInterval(
      () => {
        for (const target of lb.list()) {
          if (target.state !== 'unhealthy' || !target.inService || restarter.restarting(target.id)) continue;
          const reason = `its health check failed ${target.failures ?? 0} times (${target.lastError ?? 'no answer'})`;
          void restarter
            .restart(target.id, reason, () => {
              const now = lb.get(target.id);
              if (now?.url !== target.url) return; // deregistered or moved meanwhile (a deployment)
              // A kept blue/green fleet stays on standby: restarted, not routed.
              lb.register(target.id, target.url, { inService: true, ...(now.standby ? { standby: true } : {}) });
            })
            .catch((error: Error) => console.log(`${new Date().toISOString()} ${target.id}: restart failed: ${error.message}`));
        }
      },
      Math.max(250, settings.loadBalancer.intervalMs),
    );
    restartTimer.unref();
  }

  const endpoint = http.createServer(lb.handle);
  // Malformed requests get the documented {"error":{"code","message"}} shape, as from the service behind it.
  answerClientErrors(endpoint);
  endpoint.keepAliveTimeout = 5000;
  await listen(endpoint, settings.endpointPort);

  let stopTermination = () => {};
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      stopTermination();
      if (restartTimer) clearInterval(restartTimer);
      control.close();
      endpoint.closeIdleConnections();
      await new Promise<void>((resolve) => endpoint.close(() => resolve()));
      lb.stop();
      await database?.stop();
    })());

  const control = http.createServer((req, res) => {
    void handleControl(req, res).catch((error: Error) => reply(res, 500, { error: { code: 'HOST_ERROR', message: error.message } }));
  });
  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.headers['x-mod-token'] !== token) return reply(res, 401, { error: { code: 'UNAUTHORIZED', message: 'bad control token' } });
    const url = new URL(req.url ?? '/', 'http://control');
    const match = /^\/v1\/targets\/([\w.-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/v1/state') return reply(res, 200, { info, targets: lb.list() });
    if (req.method === 'PUT' && match) {
      const body = JSON.parse(await readBody(req)) as { url: string; standby?: boolean };
      const target = lb.register(match[1]!, body.url, body.standby ? { standby: true } : {});
      await saveTargets();
      return reply(res, 200, target);
    }
    // Progressive delivery (issue 12): weights and samples for a canary, the blue/green switch.
    if (url.pathname === '/v1/weights' && req.method === 'PUT') {
      const body = JSON.parse(await readBody(req)) as { weights: Record<string, number> };
      try {
        lb.setWeights(body.weights);
      } catch (error) {
        return reply(res, 400, { error: { code: 'BAD_REQUEST', message: (error as Error).message } });
      }
      return reply(res, 200, { weights: lb.getWeights() });
    }
    if (url.pathname === '/v1/weights' && req.method === 'DELETE') {
      lb.clearWeights();
      return reply(res, 200, { weights: null });
    }
    if (url.pathname === '/v1/sampling' && req.method === 'PUT') {
      const body = JSON.parse(await readBody(req)) as { groups: Record<string, 'baseline' | 'canary'> };
      lb.startSampling(body.groups);
      return reply(res, 200, { sampling: body.groups });
    }
    if (url.pathname === '/v1/sampling' && req.method === 'DELETE') {
      lb.stopSampling();
      return reply(res, 200, { sampling: null });
    }
    if (url.pathname === '/v1/samples' && req.method === 'POST') return reply(res, 200, lb.takeSamples());
    if (url.pathname === '/v1/switch' && req.method === 'POST') {
      const body = JSON.parse(await readBody(req)) as { targets: { id: string; url?: string }[]; timeoutMs?: number };
      try {
        await lb.switchTo(body.targets, body.timeoutMs ?? 60_000);
      } catch (error) {
        await saveTargets();
        return reply(res, 409, { error: { code: 'SWITCH_FAILED', message: (error as Error).message } });
      }
      await saveTargets();
      return reply(res, 200, { targets: lb.list() });
    }
    if (req.method === 'DELETE' && match) {
      await lb.deregister(match[1]!);
      await saveTargets();
      return reply(res, 200, { deregistered: match[1] });
    }
    if (req.method === 'POST' && url.pathname === '/v1/shutdown') {
      reply(res, 200, { stopping: true });
      setTimeout(() => void stop().then(() => process.emit('SIGTERM')), 10);
      return;
    }
    return reply(res, 404, { error: { code: 'NOT_FOUND', message: `${req.method} ${url.pathname}` } });
  }
  await listen(control, 0);

  const info: HostInfo = {
    pid: process.pid,
    environment: settings.environment,
    endpoint: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`,
    controlUrl: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    token,
    databaseUrl: database?.url ?? settings.databaseUrl!,
    databaseEmbedded: database !== undefined,
    startedAt: new Date().toISOString(),
    ...(settings.stateDir ? { stateDir: settings.stateDir } : {}),
  };
  if (settings.restart) {
    // Blue/green: the kept original fleet is terminated here when its time is up (the CLI has exited by then).
    const restart = settings.restart;
    stopTermination = scheduleStandbyTermination({
      envDir: path.dirname(settings.targetsFile),
      lockFile: restart.lockFile,
      deploymentsDir: restart.deploymentsDir,
      instancesDir: restart.instancesDir,
      applicationName: restart.applicationName,
      deploymentGroupName: restart.deploymentGroupName,
      variables: { ...restart.variables, DATABASE_URL: info.databaseUrl },
      hookTimeoutCapSeconds: restart.hookTimeoutCapSeconds,
      deregister: async (id) => {
        await lb.deregister(id);
        await saveTargets();
      },
      log: (line) => console.log(`${new Date().toISOString()} ${line}`),
    });
  }
  await writeJsonAtomic(settings.infoFile, info);
  if (settings.registryFile) await writeHostRecord(settings.registryFile, info);
  return { info, stop };
}

/** Writes the registry record readable by its owner only: it carries the control token. */
export async function writeHostRecord(file: string, info: HostInfo): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeJsonAtomic(file, info);
  await chmod(file, 0o600);
}

/** Removes a host record only if it is this process's own (a newer host may have replaced it). */
export async function removeOwnHostRecord(file: string, pid = process.pid): Promise<void> {
  const current = await readJson<HostInfo>(file).catch(() => undefined);
  if (current?.pid === pid) await rm(file, { force: true });
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
