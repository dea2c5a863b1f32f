// Local instances: each is a directory that stands in for an EC2 host (its
// own filesystem root for appspec destinations, its own CodeDeploy
// deployment-root) and a loopback port its service listens on. Real
// processes run there, started and stopped by the appspec hooks.
import { mkdir, readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { readJson, writeJsonAtomic } from '../../json-file.js';

export interface LocalInstance {
  id: string;
  /** The instance's own state directory. */
  dir: string;
  /** Stands in for "/" on the host: appspec destinations are placed under it. */
  root: string;
  port: number;
  createdAt: string;
}

interface InstanceFile {
  id: string;
  port: number;
  createdAt: string;
  /** Blue/green: the fleet it belonged to was terminated (its directory stays for its logs; its id is never reused). */
  terminatedAt?: string;
}

/** Returns the environment's instances, creating or adding ones up to `count`. */
export async function ensureInstances(instancesDir: string, count: number): Promise<LocalInstance[]> {
  await mkdir(instancesDir, { recursive: true });
  const existing = await listInstances(instancesDir);
  const instances = existing.slice(0, count);
  const usedPorts = new Set(existing.map((i) => i.port));
  // A terminated instance's id is not reused: its directory keeps its logs.
  const taken = new Set((await readdir(instancesDir).catch(() => [] as string[])).map(String));
  for (let n = 1; instances.length < count; n++) {
    const id = `i-local-${n}`;
    if (instances.some((i) => i.id === id) || taken.has(id)) continue;
    const port = await freePort(usedPorts);
    usedPorts.add(port);
    const dir = path.join(instancesDir, id);
    const file: InstanceFile = { id, port, createdAt: new Date().toISOString() };
    await mkdir(path.join(dir, 'root'), { recursive: true });
    await writeJsonAtomic(path.join(dir, 'instance.json'), file);
    instances.push(toInstance(dir, file));
  }
  return instances.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

/**
 * Blue/green's replacement fleet: `count` new instances with ids after every
 * one the environment ever had (i-local-3, i-local-4 after i-local-1, -2) and
 * ports no live instance uses.
 */
export async function launchInstances(instancesDir: string, count: number): Promise<LocalInstance[]> {
  await mkdir(instancesDir, { recursive: true });
  const names = (await readdir(instancesDir).catch(() => [] as string[])).map(String);
  let next = Math.max(0, ...names.map((name) => Number(/^i-local-(\d+)$/.exec(name)?.[1] ?? 0))) + 1;
  const usedPorts = new Set((await listInstances(instancesDir)).map((i) => i.port));
  const launched: LocalInstance[] = [];
  while (launched.length < count) {
    const id = `i-local-${next++}`;
    const port = await freePort(usedPorts);
    usedPorts.add(port);
    const dir = path.join(instancesDir, id);
    const file: InstanceFile = { id, port, createdAt: new Date().toISOString() };
    await mkdir(path.join(dir, 'root'), { recursive: true });
    await writeJsonAtomic(path.join(dir, 'instance.json'), file);
    launched.push(toInstance(dir, file));
  }
  return launched;
}

/** Records the instance as terminated: listInstances no longer returns it. */
export async function markTerminated(instance: Pick<LocalInstance, 'dir'>): Promise<void> {
  const file = path.join(instance.dir, 'instance.json');
  const current = await readJson<InstanceFile>(file).catch(() => undefined);
  if (current) await writeJsonAtomic(file, { ...current, terminatedAt: new Date().toISOString() });
}

/** The environment's instances that are not terminated, by id. */
export async function listInstances(instancesDir: string): Promise<LocalInstance[]> {
  const entries = await readdir(instancesDir, { withFileTypes: true }).catch(() => []);
  const instances: LocalInstance[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(instancesDir, entry.name);
    const file = await readJson<InstanceFile>(path.join(dir, 'instance.json')).catch(() => undefined);
    if (file && !file.terminatedAt) instances.push(toInstance(dir, file));
  }
  return instances.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

/** Where the environment host records its last restart of the instance's service (InstanceRestart). */
export function restartRecordFile(instance: Pick<LocalInstance, 'dir'>): string {
  return path.join(instance.dir, 'restarted.json');
}

function toInstance(dir: string, file: InstanceFile): LocalInstance {
  return { id: file.id, dir, root: path.join(dir, 'root'), port: file.port, createdAt: file.createdAt };
}

/** A loopback port nobody listens on now, chosen by the OS. */
export async function freePort(avoid: Set<number> = new Set()): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (!avoid.has(port)) return port;
  }
}
