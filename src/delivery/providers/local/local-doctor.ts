// `mod doctor` for an environment on the local provider: the branch, the
// buildspec and appspec committed on it, the endpoint, and the database.
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
  const ref = head ?? 'HEAD';
  for (const file of ['buildspec.yml', 'appspec.yml']) checks.push(await specCheck(git, env, ref, file));
  const host = await findHost(paths, env.name);
  checks.push(host ? { name: 'endpoint', status: 'pass', detail: `${host.info.endpoint} (host pid ${host.info.pid})` } : { name: 'endpoint', status: 'warn', detail: 'not running: the next deploy starts it' });
  checks.push(await databaseCheck(env));
  return checks;
}

/** Whether `file` is committed at `ref` and valid against its schema. */
async function specCheck(git: Git, env: Environment, ref: string, file: string): Promise<DoctorCheck> {
  const text = await git.fileAtIfExists(ref, file);
  if (text === undefined) {
    return { name: file, status: 'fail', detail: `not committed at ${ref}: add ${file} (see README, "How a deployment runs") and commit it` };
  }
  try {
    const { parseYamlSpec } = await import('../../yaml-spec.js');
    const schema = file === 'buildspec.yml' ? (await import('./buildspec.js')).BuildspecSchema : (await import('./appspec.js')).AppspecSchema;
    parseYamlSpec(text, schema, file);
    return { name: file, status: 'pass', detail: `valid at ${ref === 'HEAD' ? 'HEAD' : env.branch}` };
  } catch (error) {
    return { name: file, status: 'fail', detail: (error as Error).message };
  }
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
