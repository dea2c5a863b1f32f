// Starts the service as a process runs it: loads the bundled model and, when
// MODEL_SOURCE names one, the env's released model (read once before
// listening, then polled: model-watcher.ts), opens the
// database (PostgreSQL, or the embedded PGlite started here), optionally
// applies migrations, builds the app and listens. Shared by the process
// entry point (main.ts, what the CodeDeploy hooks and systemd start) and
// `mod serve`; neither this file nor the app reads the environment.
//
// Stopping is bounded by SHUTDOWN_TIMEOUT_MS: the listener closes at once,
// idle connections are closed, in-flight requests get most of the time to
// finish, then every connection still open (a slow client, a request stuck
// in the database) is closed, and so are the database connections still in
// use, so that close() settles, and the process can exit, within the limit.
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { migrate, loadMigrations, type Migration } from '../store/migrations.js';
import { openDatabase, redactUrl, type Database } from '../store/database.js';
import { buildApp } from './app.js';
import type { ServiceConfig } from './config.js';
import { loadModerator as loadModeratorFrom } from '../moderation/load-moderator.js';
import { LiveModels } from './live-models.js';
import { ModelWatcher } from './model-watcher.js';
import { loadModerator } from './moderator.js';
import { openModelSource } from './open-model-source.js';
import { createServiceEventRecorder, instanceName, type ServiceEventRecorder } from './service-events.js';

export interface RunningService {
  url: string;
  app: FastifyInstance;
  database: Database;
  appliedMigrations: Migration[];
  /** The models deciding now (issue 13): the bundled one, or the env's released ones. */
  models: LiveModels;
  /**
   * Stops accepting, finishes in-flight requests, closes the pool (and the
   * embedded DB), within the configured shutdown timeout; `forced`: requests
   * or database work that had not finished were cut off.
   */
  close(): Promise<{ forced: boolean }>;
}

/**
 * Points in the shutdown time (fractions of SHUTDOWN_TIMEOUT_MS): the open
 * connections are closed at `closeConnections` unless the drain finished,
 * the database connections still in use are ended at `endDatabase`, and
 * close() settles by `settle` whatever happens, ahead of the caller's own
 * timer.
 */
const SHUTDOWN_SHARE = { closeConnections: 0.7, endDatabase: 0.85, settle: 0.95 };

function delay(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), Math.max(0, ms)).unref());
}

/** The pool's connections, as they are checked out (pg's Pool lists them only privately). */
function trackConnections(pool: pg.Pool): Set<pg.PoolClient> {
  const clients = new Set<pg.PoolClient>();
  pool.on('acquire', (client) => clients.add(client));
  pool.on('remove', (client) => clients.delete(client as pg.PoolClient));
  return clients;
}

export interface StartOptions {
  /** Apply pending migrations before listening (mod serve; MIGRATE_ON_START). */
  migrate: boolean;
  revision?: { commit: string | null };
  logStream?: { write(line: string): void };
  migrationsDir?: string;
}

export async function startService(config: ServiceConfig, options: StartOptions): Promise<RunningService> {
  const bundled = await loadModerator({ modelDir: config.modelDir, maxTextLength: config.maxTextLength, policyFile: config.policyFile });
  const models = new LiveModels(bundled);
  const source = await openModelSource(config);
  const migrations = await loadMigrations(options.migrationsDir);
  let app: FastifyInstance | undefined;
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    migrations,
    poolMax: config.dbPoolMax,
    connectionTimeoutMs: config.dbConnectTimeoutMs,
    // An idle connection the server dropped: the pool discards it and
    // reconnects on the next query; worth a line, never a crash.
    onPoolError: (error) => app?.log.warn({ err: { message: error.message, code: (error as { code?: string }).code } }, 'database connection lost'),
  });
  const connections = trackConnections(database.store.pool);
  try {
    const appliedMigrations = options.migrate ? (await migrate(database.store.pool, migrations)).applied : [];
    const built = buildApp({
      store: database.store,
      moderator: models,
      logger: { level: config.logLevel, stream: options.logStream },
      revision: options.revision,
      maxTextLength: config.maxTextLength,
      bodyLimitBytes: config.bodyLimitBytes,
      retryAfterSeconds: config.retryAfterSeconds,
      reviewClaimSeconds: config.reviewClaimSeconds,
      reviewQueue: { order: config.reviewOrder, maxWaitSeconds: config.reviewMaxWaitSeconds, secondOpinionShare: config.reviewSecondOpinionShare },
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      writeConcurrency: Math.min(2, database.store.poolSize),
      defaultMetrics: true,
      console: { sessionHours: config.consoleSessionHours, cookieSecure: config.consoleCookieSecure },
    });
    app = built;
    // A released model decides from the first request: the pointer is read
    // once before listening. A pointer that cannot be loaded never stops the
    // start: the bundled model decides and /healthz says why.
    // Issue 15: swaps after the start are service events (the start's own event names the model it starts with).
    const swapEvents: { record?: ServiceEventRecorder } = {};
    const onSwap = () => void swapEvents.record?.('model-swap');
    const watcher = source ? new ModelWatcher({ source, models, load: (dir) => loadModeratorFrom(dir, { maxTextLength: config.maxTextLength, policyFile: config.policyFile }), pollMs: config.modelPollMs, log: built.log, metrics: built.metrics, onSwap }) : undefined;
    await watcher?.check();
    const model = models.state();
    app.log.info(
      {
        database: database.embedded ? `embedded PGlite in ${config.dataDir}` : redactUrl(database.url),
        pool: database.store.poolSize,
        model: model.version,
        modelSource: model.source,
        ...(source ? { modelPointer: source.description, releaseId: model.releaseId } : {}),
        migrationsApplied: appliedMigrations.map((m) => m.file),
      },
      'starting',
    );
    const address = await app.listen({ port: config.port, host: config.host });
    const port = (app.server.address() as { port?: number } | null)?.port ?? config.port;
    const events = createServiceEventRecorder({ store: database.store, model: () => ({ version: models.state().version, releaseId: models.releaseId }), revision: options.revision?.commit ?? null, instance: instanceName(config.instanceId, port), log: app.log });
    // One INSERT; a database that does not answer delays the start by at most DB_CONNECT_TIMEOUT_MS (the row may still land later).
    await Promise.race([events('start'), delay(config.dbConnectTimeoutMs)]);
    swapEvents.record = events;
    watcher?.start();
    const started = app;
    let closing: Promise<{ forced: boolean }> | undefined;
    const close = async (): Promise<{ forced: boolean }> => {
      const budget = config.shutdownTimeoutMs;
      const start = Date.now();
      const at = (share: number) => start + budget * share - Date.now();
      let forced = false;
      const watching = watcher?.stop();
      // Fastify closes the listener and the idle connections, and waits for the others.
      const drained = started.close().then(
        () => 'done' as const,
        (error: unknown) => {
          started.log.error({ err: { message: (error as Error).message } }, 'error while closing the server');
          return 'done' as const;
        },
      );
      if ((await Promise.race([drained, delay(at(SHUTDOWN_SHARE.closeConnections))])) === 'timeout') {
        forced = true;
        started.log.warn({ timeoutMs: budget }, 'in-flight requests did not finish in time: closing their connections');
        started.server.closeAllConnections();
        await Promise.race([drained, delay(at(SHUTDOWN_SHARE.endDatabase))]);
      }
      // Requests cut off above may still hold database connections (a
      // statement waiting on a lock): end those, or the pool waits for them.
      const ended = database.close().then(
        () => 'done' as const,
        (error: unknown) => {
          started.log.error({ err: { message: (error as Error).message } }, 'error while closing the database');
          return 'done' as const;
        },
      );
      if ((await Promise.race([ended, delay(at(SHUTDOWN_SHARE.endDatabase))])) === 'timeout') {
        forced = true;
        started.log.warn({ connections: connections.size }, 'database work did not finish in time: ending its connections');
        for (const client of connections) (client as pg.PoolClient & { end(): Promise<void> }).end().catch(() => undefined);
        await Promise.race([ended, delay(at(SHUTDOWN_SHARE.settle))]);
      }
      await watching;
      return { forced };
    };
    return {
      url: address.replace('0.0.0.0', '127.0.0.1'),
      app: started,
      database,
      appliedMigrations,
      models,
      close: () => (closing ??= close()),
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await database.close();
    throw error;
  }
}

/**
 * SIGTERM/SIGINT: drain and exit 0, or exit 1 if requests had to be cut off
 * (close() keeps within `timeoutMs`; the timer here is the last resort). A
 * second signal exits at once.
 */
export function exitOnSignals(service: RunningService, timeoutMs: number, exit: (code: number) => void = (code) => process.exit(code)): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      service.app.log.warn({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    closing = true;
    service.app.log.info({ signal, timeoutMs }, 'draining in-flight requests');
    const timer = setTimeout(() => {
      service.app.log.error({ timeoutMs }, 'shutdown timed out; exiting');
      exit(1);
    }, timeoutMs);
    timer.unref();
    service.close().then(
      ({ forced }) => {
        clearTimeout(timer);
        service.app.log.info({ forced }, 'stopped');
        exit(forced ? 1 : 0);
      },
      (error: unknown) => {
        service.app.log.error({ err: error }, 'error while stopping');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
