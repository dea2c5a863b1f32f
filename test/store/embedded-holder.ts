// A process that holds an embedded database, for tests that need a second
// real process (locks are per process). Run with tsx:
//   embedded-holder.ts db <dataDir> <lockRoot>   starts the database, commits a row every few ms
//   embedded-holder.ts lock <dataDir> <lockRoot> only takes the data directory's lock
// It prints one JSON line when ready ({"ready":true,...}) or refused
// ({"error":code,"message"}), then holds until SIGTERM, when it stops and
// prints {"stopped":true,"committed":N}. Query errors are printed once each
// ({"queryError":sqlstate}).
import pg from 'pg';
import { lockDataDir } from '../../src/store/data-dir-lock.js';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js';

const [mode, dataDir, lockRoot] = process.argv.slice(2) as [string, string, string];
const say = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
let stopRequested = false;
// Nothing else may keep the event loop alive while only a lock is held.
const keepAlive = setInterval(() => undefined, 1000);
const stopped = new Promise<void>((resolve) =>
  process.once('SIGTERM', () => {
    stopRequested = true;
    resolve();
  }),
);

try {
  if (mode === 'lock') {
    const lock = await lockDataDir(dataDir, { lockRoot });
    say({ ready: true, pid: process.pid, token: lock.token });
    await stopped;
    await lock.release();
    say({ stopped: true });
  } else {
    const db = await startEmbeddedPostgres({ dataDir, lockRoot });
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('CREATE TABLE IF NOT EXISTS rows (id serial PRIMARY KEY, pid int, pad text)');
    say({ ready: true, pid: process.pid, url: db.url });
    let committed = 0;
    const seen = new Set<string>();
    while (!stopRequested) {
      try {
        await client.query("INSERT INTO rows (pid, pad) VALUES ($1, repeat('x', 500))", [process.pid]);
        committed++;
      } catch (error) {
        const code = String((error as { code?: string }).code ?? (error as Error).message);
        if (!seen.has(code)) say({ queryError: code });
        seen.add(code);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await client.end().catch(() => undefined);
    await db.stop();
    say({ stopped: true, committed, lost: db.lost });
  }
  clearInterval(keepAlive);
} catch (error) {
  clearInterval(keepAlive);
  say({ error: (error as { code?: string }).code ?? 'ERROR', message: (error as Error).message });
  process.exitCode = 1;
}
