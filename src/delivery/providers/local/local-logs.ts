// `mod logs` on the local provider: the files an EC2 host would have, per
// instance: the lifecycle hook logs of its latest deployment (the agent's
// deployment-root/<id>/logs), what the service writes under the instance's
// /var/log, and the endpoint's own log. The last lines of each first; with
// --follow, lines as they are appended (files that appear later included,
// as a new deployment's hook logs do), until the signal aborts.
import { setTimeout as sleep } from 'node:timers/promises';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../../errors.js';
import type { Environment } from '../../config.js';
import type { LogRequest } from '../../provider.js';
import type { StatePaths } from '../../state-paths.js';
import { LIFECYCLE } from './appspec.js';
import { listInstances } from './local-instances.js';
import { tailFile } from './run-script.js';

interface LogSource {
  source: string;
  file: string;
}

const POLL_MS = 300;
const RESCAN_MS = 1500;

export async function localLogs(paths: StatePaths, env: Environment, request: LogRequest): Promise<void> {
  const all = await listInstances(paths.instances(env.name));
  if (request.instance && !all.some((i) => i.id === request.instance)) {
    throw new UsageError(`${env.name} has no instance ${request.instance}`, all.length ? `its instances: ${all.map((i) => i.id).join(', ')}` : `deploy it first: mod deploy --env ${env.name}`);
  }
  const discover = () => logSources(paths, env, request.instance);
  const offsets = new Map<string, number>();
  for (const { source, file } of await discover()) {
    for (const line of await tailFile(file, request.lines)) request.onLine({ source, line });
    offsets.set(file, await sizeOf(file));
  }
  if (!request.follow) return;

  let lastScan = Date.now();
  let sources = await discover();
  while (!request.signal.aborted) {
    await sleep(POLL_MS, undefined, { signal: request.signal }).catch(() => {}); // aborted: the loop ends
    if (Date.now() - lastScan >= RESCAN_MS) {
      sources = await discover();
      lastScan = Date.now();
    }
    for (const { source, file } of sources) {
      // A file first seen while following is new: all of it is news.
      const from = offsets.get(file) ?? 0;
      const { lines, offset } = await readAppended(file, from);
      offsets.set(file, offset);
      for (const line of lines) request.onLine({ source, line });
    }
  }
}

/** Every log file of the environment (or one instance), in a stable order. */
async function logSources(paths: StatePaths, env: Environment, only: string | undefined): Promise<LogSource[]> {
  const sources: LogSource[] = [];
  if (!only) sources.push({ source: 'endpoint', file: paths.hostLog(env.name) });
  for (const instance of await listInstances(paths.instances(env.name))) {
    if (only && instance.id !== only) continue;
    const latest = await latestDeploymentDir(path.join(instance.dir, 'deployment-root'));
    if (latest) {
      const names = (await readdir(path.join(latest, 'logs')).catch(() => [] as string[])).filter((n) => n.endsWith('.log'));
      const order = (name: string) => {
        const index = (LIFECYCLE as readonly string[]).indexOf(name.replace(/\.log$/, ''));
        return index < 0 ? LIFECYCLE.length : index;
      };
      for (const name of names.sort((a, b) => order(a) - order(b) || a.localeCompare(b))) sources.push({ source: `${instance.id} ${name.replace(/\.log$/, '')}`, file: path.join(latest, 'logs', name) });
    }
    sources.push({ source: `${instance.id} ApplicationStop (mod stop)`, file: path.join(instance.dir, 'stop.log') });
    for (const file of await logFilesUnder(path.join(instance.root, 'var', 'log'))) sources.push({ source: `${instance.id} ${path.relative(instance.root, file)}`, file: file });
  }
  return sources;
}

/** The deployment directory under deployment-root written last (the one running or just run). */
async function latestDeploymentDir(deploymentRoot: string): Promise<string | undefined> {
  const entries = await readdir(deploymentRoot, { withFileTypes: true }).catch(() => []);
  let latest: { dir: string; mtime: number } | undefined;
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(deploymentRoot, entry.name);
    const logs = await stat(path.join(dir, 'logs')).catch(() => undefined);
    if (logs && (!latest || logs.mtimeMs > latest.mtime)) latest = { dir, mtime: logs.mtimeMs };
  }
  return latest?.dir;
}

async function logFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.log'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

async function sizeOf(file: string): Promise<number> {
  return (await stat(file).catch(() => undefined))?.size ?? 0;
}

/** Complete lines appended since `from`; a file that shrank (rotated, truncated) is read from its start. */
async function readAppended(file: string, from: number): Promise<{ lines: string[]; offset: number }> {
  const size = await sizeOf(file);
  const start = size < from ? 0 : from;
  if (size === start) return { lines: [], offset: start };
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return { lines: [], offset: start };
  try {
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return { lines: [], offset: start };
    const complete = text.slice(0, end);
    return {
      lines: complete
        .split('\n')
        .map((l) => l.replace(/\r$/, ''))
        .filter((l) => l.trim() !== ''),
      offset: start + Buffer.byteLength(complete, 'utf8') + 1,
    };
  } finally {
    await handle.close();
  }
}
