// What the service benchmark measures with: child processes for the servers
// (service-server.ts) with an IPC channel, autocannon on loopback, and CPU
// time per party from /proc (the server process and its cluster workers,
// every PostgreSQL process, this process, the whole machine), because on a
// 2-core machine they all share the same cores.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { itemFor } from './service-texts.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Server {
  child: ChildProcess;
  url: string;
  /** Sends an IPC command and waits for its answer. */
  ask<T>(message: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** Starts a service-server.ts process of `kind`; `nodeArgs` (e.g. --cpu-prof) go before the script. */
export function startServer(kind: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(here, 'service-server.ts'), kind], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let nextId = 0;
  const waiting = new Map<number, (m: unknown) => void>();
  child.on('message', (m: { id?: number }) => {
    if (m.id !== undefined) waiting.get(m.id)?.(m);
    if (m.id !== undefined) waiting.delete(m.id);
  });
  const server = (url: string): Server => ({
    child,
    url,
    ask: <T>(message: Record<string, unknown>) =>
      new Promise<T>((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve as (m: unknown) => void);
        child.send({ ...message, id });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /http:\/\/[\d.:]+|ready/.exec(out);
      if (match) resolve(server(match[0]));
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

/** CPU seconds of a server: its process and, with BENCH_WORKERS, its cluster workers. */
export async function serverCpuSeconds(pid: number): Promise<number> {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)])
      .toString()
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    // no children
  }
  let total = await cpuSeconds(pid);
  for (const child of children) total += await cpuSeconds(child);
  return total;
}

/** CPU seconds (user + system) a process has used, from /proc. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

/** CPU seconds of every PostgreSQL process (other users of the server included: an upper bound). */
export async function postgresCpuSeconds(): Promise<number> {
  let pids: number[] = [];
  try {
    pids = execFileSync('pgrep', ['-u', 'postgres']).toString().trim().split('\n').map(Number);
  } catch {
    return NaN;
  }
  let total = 0;
  for (const pid of pids) total += await cpuSeconds(pid);
  return total;
}

export async function machineBusy(): Promise<{ busy: number; total: number }> {
  const cpu = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3]! + cpu[4]!;
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}

/** CPU used by every party over a measured interval. */
export async function cpuSnapshot(pid: number) {
  return { server: await serverCpuSeconds(pid), postgres: await postgresCpuSeconds(), self: process.cpuUsage(), machine: await machineBusy() };
}

export type Snapshot = Awaited<ReturnType<typeof cpuSnapshot>>;

/** CPU seconds each party used since `before`, and the share of both cores busy. */
export async function cpuSince(pid: number, before: Snapshot) {
  const self = process.cpuUsage(before.self);
  const machine = await machineBusy();
  return {
    server: (await serverCpuSeconds(pid)) - before.server,
    postgres: (await postgresCpuSeconds()) - before.postgres,
    self: (self.user + self.system) / 1e6,
    machine: machine.busy - before.machine.busy,
    busyShare: (machine.busy - before.machine.busy) / (machine.total - before.machine.total),
  };
}

export interface HttpFigures {
  connections: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
  /** CPU microseconds per answered request. */
  cpuPerRequest: { server: number; postgres: number; autocannon: number; machine: number };
  /** Share of both cores busy during the measured run (all processes, other users included). */
  machineBusy: number;
}

/** Request bodies, serialised once (autocannon's CPU goes to HTTP, not JSON.stringify); `batch` items each (0: one post, /v1/moderate). */
export function bodies(batch: number): { body: string }[] {
  return Array.from({ length: 64 }, (_, i) => ({ body: JSON.stringify(batch === 0 ? itemFor(i) : { items: Array.from({ length: batch }, (_, j) => itemFor(i * batch + j)) }) }));
}

/** autocannon against `url` after a warm-up; CPU per request of the server (pid), PostgreSQL, autocannon and the machine. */
export async function loadHttp(url: string, pid: number, connections: number, seconds: number, warmUpSeconds: number, batch: number): Promise<HttpFigures> {
  const autocannon = (await import('autocannon')).default;
  const requests = bodies(batch);
  const run = (duration: number) => autocannon({ url, method: 'POST', connections, duration, headers: { 'content-type': 'application/json' }, requests });
  await run(warmUpSeconds); // JIT, connection pools, prepared statements
  const before = await cpuSnapshot(pid);
  const r = await run(seconds);
  const used = await cpuSince(pid, before);
  const n = r.requests.total || 1;
  const us = (s: number) => Math.round((s * 1e6) / n);
  return {
    connections,
    requestsPerSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
    cpuPerRequest: { server: us(used.server), postgres: us(used.postgres), autocannon: us(used.self), machine: us(used.machine) },
    machineBusy: used.busyShare,
  };
}

/** The median of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
