// `mod doctor` for an environment on the local provider: the branch, the
// endpoint and the database (the specs are the domain's preflight checks).
import net from 'node:net';
import type { Git } from '../../../git/git.js';
import type { Environment } from '../../config.js';
import type { DoctorCheck } from '../../provider.js';
import type { StatePaths } from '../../state-paths.js';
import { findHost } from './host-client.js';

export async function localDoctorChecks(git: Git, paths: StatePaths, env: Environment): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const head = await git.resolve(`refs/heads/${env.branch}`);
  checks.push(head ? { name: 'branch', status: 'pass', detail: `${env.branch} at ${head.slice(0, 8)}` } : { name: 'branch', status: 'warn', detail: `${env.branch} does not exist: deploys use HEAD` });
  const host = await findHost(paths, env.name);
  checks.push(host ? { name: 'endpoint', status: 'pass', detail: `${host.info.endpoint} (host pid ${host.info.pid})` } : { name: 'endpoint', status: 'warn', detail: 'not running: the next deploy starts it' });
  checks.push(await databaseCheck(env));
  return checks;
}

async function databaseCheck(env: Environment): Promise<DoctorCheck> {
  if (!env.databaseUrl) return { name: 'database', status: 'pass', detail: 'embedded PGlite (started with the endpoint)' };
  const url = new URL(env.databaseUrl);
  const port = Number(url.port || 5432);
  const reachable = await acceptsConnections(url.hostname, port);
  return { name: 'database', status: reachable ? 'pass' : 'fail', detail: `${url.hostname}:${url.port || 5432} ${reachable ? 'accepts connections' : 'is not reachable'}` };
}

function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
