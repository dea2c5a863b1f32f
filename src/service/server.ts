// Starts the service as a process runs it: loads the model, opens the
// database (PostgreSQL, or the embedded PGlite started here), optionally
// applies migrations, builds the app and listens. Shared by the process
// entry point (main.ts, what the CodeDeploy hooks and systemd start) and
// `mod serve`; neither this file nor the app reads the environment.
import type { FastifyInstance } from 'fastify';
import { migrate, loadMigrations, type Migration } from '../store/migrations.js';
import { openDatabase, redactUrl, type Database } from '../store/database.js';
import { buildApp } from './app.js';
import type { ServiceConfig } from './config.js';
import { loadModerator } from './moderator.js';

export interface RunningService {
  url: string;
  app: FastifyInstance;
  database: Database;
  appliedMigrations: Migration[];
  /** Stops accepting, finishes in-flight requests, closes the pool (and the embedded DB). */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Apply pending migrations before listening (mod serve; MIGRATE_ON_START). */
  migrate: boolean;
  revision?: { commit: string | null };
  logStream?: { write(line: string): void };
  migrationsDir?: string;
}

export async function startService(config: ServiceConfig, options: StartOptions): Promise<RunningService> {
  const moderator = await loadModerator({ modelDir: config.modelDir, maxTextLength: config.maxTextLength, policyFile: config.policyFile });
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
  try {
    const appliedMigrations = options.migrate ? (await migrate(database.store.pool, migrations)).applied : [];
    app = buildApp({
      store: database.store,
      moderator,
      logger: { level: config.logLevel, stream: options.logStream },
      revision: options.revision,
      maxTextLength: config.maxTextLength,
      bodyLimitBytes: config.bodyLimitBytes,
      retryAfterSeconds: config.retryAfterSeconds,
      reviewClaimSeconds: config.reviewClaimSeconds,
      writeConcurrency: Math.min(2, database.store.poolSize),
      defaultMetrics: true,
    });
    app.log.info({ database: database.embedded ? `embedded PGlite in ${config.dataDir}` : redactUrl(database.url), pool: database.store.poolSize, model: moderator.modelVersion, migrationsApplied: appliedMigrations.map((m) => m.file) }, 'starting');
    const address = await app.listen({ port: config.port, host: config.host });
    const started = app;
    let closing: Promise<void> | undefined;
    return {
      url: address.replace('0.0.0.0', '127.0.0.1'),
      app: started,
      database,
      appliedMigrations,
      close: () =>
        (closing ??= (async () => {
          try {
            await started.close();
          } finally {
            await database.close();
          }
        })()),
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await database.close();
    throw error;
  }
}

/**
 * SIGTERM/SIGINT: drain and exit 0, or exit 1 if draining takes longer than
 * `timeoutMs`. A second signal exits at once.
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
      () => {
        clearTimeout(timer);
        service.app.log.info('stopped');
        exit(0);
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
