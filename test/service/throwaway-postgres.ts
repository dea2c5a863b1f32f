// A PostgreSQL cluster of the test's own, in a temporary directory on a free
// port, so a test may stop it, start it and kill its connections without
// touching the machine's shared server. Uses the server binaries in
// /usr/lib/postgresql/<version>/bin; initdb and pg_ctl refuse to run as
// root, so as root they run as the `postgres` user.
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface ThrowawayPostgres {
  url: string;
  port: number;
  start(): Promise<void>;
  /** pg_ctl stop -m fast: connections are terminated, new ones refused. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

async function findBinDir(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? (await readdir(root)).filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin: install the postgresql server package to run this test');
  return path.join(root, newest, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = await findBinDir();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await execa('id', ['-u', 'postgres']);
    const { stdout: gid } = await execa('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout), Number(gid));
  }
  const run = (command: string, args: string[]) => (asRoot ? execa('runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args]) : execa(path.join(bin, command), args));
  const port = await freePort();
  await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync', '--no-instructions']);
  const pgCtl = (args: string[]) => run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', ...args]);
  const start = async () => {
    await pgCtl(['-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=50`, 'start']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop: async () => {
      await pgCtl(['-m', 'fast', 'stop']);
    },
    destroy: async () => {
      await pgCtl(['-m', 'immediate', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
