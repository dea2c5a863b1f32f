// The operator's routes: /healthz (the process answers: the load balancer's
// probe), /readyz (the database answers and its migrations are the ones this
// build expects) and /metrics (Prometheus).
import type { FastifyPluginAsync } from 'fastify';
import type { HttpErrorCode } from '../../error-codes.js';
import type { ServiceMetrics } from '../metrics.js';

/** What readiness needs from the database (PostgresStore implements it). */
export interface MigrationStatusSource {
  migrationStatus(): Promise<{ current: boolean; pending: { file: string }[]; changed: { version: string; name: string; reason: string }[] }>;
}

export interface HealthRouteOptions {
  store: MigrationStatusSource;
  moderator: { readonly modelVersion: string };
  metrics: ServiceMetrics;
  /** The commit this process runs. */
  revision: { commit: string | null } | undefined;
  /** How long /readyz waits for the database before answering 503. */
  readinessTimeoutMs: number;
  /** Retry-After (seconds) when the database is unavailable. */
  retryAfter: string;
}

export const healthRoutes: FastifyPluginAsync<HealthRouteOptions> = async (app, { store, moderator, metrics, revision, readinessTimeoutMs, retryAfter }) => {
  app.get('/healthz', async () => ({ status: 'ok', revision: revision?.commit ?? null }));

  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, string> = { model: moderator.modelVersion };
    try {
      const status = await withTimeout(store.migrationStatus(), readinessTimeoutMs, 'database did not answer in time');
      checks.database = 'ok';
      const edited = status.changed.filter((c) => c.reason === 'edited');
      if (status.pending.length > 0 || edited.length > 0) {
        checks.migrations = status.pending.length > 0 ? `pending: ${status.pending.map((m) => m.file).join(', ')}` : `edited: ${edited.map((c) => `${c.version}_${c.name}`).join(', ')}`;
        return reply.status(503).send({ status: 'not_ready', revision: revision?.commit ?? null, checks, error: { code: 'MIGRATIONS_PENDING' satisfies HttpErrorCode, message: 'database migrations are not current: run mod db migrate' } });
      }
      checks.migrations = 'current';
    } catch (error) {
      checks.database = `unavailable: ${(error as Error).message}`;
      return reply
        .status(503)
        .header('retry-after', retryAfter)
        .send({ status: 'not_ready', revision: revision?.commit ?? null, checks, error: { code: 'DATABASE_UNAVAILABLE' satisfies HttpErrorCode, message: 'the database is unavailable' } });
    }
    return { status: 'ready', revision: revision?.commit ?? null, checks };
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
