// The operator's routes: /healthz (the process answers: the load balancer's
// probe), /readyz (the database answers and its migrations are the ones this
// build expects) and /metrics (Prometheus).
import type { FastifyPluginAsync } from 'fastify';
import type { HttpErrorCode } from '../../error-codes.js';
import type { ServiceModelState } from '../../moderation/model-pointer.js';
import type { ServiceMetrics } from '../metrics.js';

/** What readiness needs from the database (PostgresStore implements it). */
export interface MigrationStatusSource {
  migrationStatus(): Promise<{ current: boolean; pending: { file: string }[]; changed: { version: string; name: string; reason: string }[] }>;
}

/**
 * The revision a service process runs: the commit it was deployed as and its
 * tree, the commit its bundle was built from (they differ when a bundle is
 * reused for another commit of the same tree), and the deployment.
 */
export interface ServiceRevision {
  commit: string | null;
  tree?: string | null;
  builtFrom?: string | null;
  deploymentId?: string | null;
}

/**
 * Reads the revision from the bundle's revision.json (written by the build:
 * the commit it was built from) and the variables the deployer sets:
 * MOD_REVISION_COMMIT / MOD_REVISION_TREE (the local provider) and
 * DEPLOYMENT_ID (CodeDeploy's, inherited from ApplicationStart).
 */
export function serviceRevision(revisionJson: unknown, env: Record<string, string | undefined>): ServiceRevision {
  const file = typeof revisionJson === 'object' && revisionJson !== null ? (revisionJson as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' && value ? value : null);
  const builtFrom = text(file.commit);
  return {
    commit: text(env.MOD_REVISION_COMMIT) ?? builtFrom,
    tree: text(env.MOD_REVISION_TREE) ?? text(file.tree),
    builtFrom,
    deploymentId: text(env.DEPLOYMENT_ID),
  };
}

export interface HealthRouteOptions {
  store: MigrationStatusSource;
  /** `state`: the models held (issue 13; LiveModels); without it, one bundled model. */
  moderator: { readonly modelVersion: string; state?(): ServiceModelState };
  metrics: ServiceMetrics;
  /** The revision this process runs (serviceRevision). */
  revision: ServiceRevision | undefined;
  /** How long /readyz waits for the database before answering 503. */
  readinessTimeoutMs: number;
  /** Retry-After (seconds) when the database is unavailable. */
  retryAfter: string;
}

export const healthRoutes: FastifyPluginAsync<HealthRouteOptions> = async (app, { store, moderator, metrics, revision, readinessTimeoutMs, retryAfter }) => {
  const startedAt = new Date().toISOString();
  const modelState = (): ServiceModelState => {
    if (moderator.state) return moderator.state();
    const version = moderator.modelVersion;
    return { version, source: 'bundled', releaseId: null, bundled: version, shadow: null, canary: null, loadedAt: startedAt };
  };
  // `revision` stays the commit (what load balancers and scripts read); the rest says which build of it.
  // `model`: what decides now (issue 13; mod status shows it per instance).
  app.get('/healthz', async () => ({
    status: 'ok',
    revision: revision?.commit ?? null,
    commit: revision?.commit ?? null,
    tree: revision?.tree ?? null,
    builtFrom: revision?.builtFrom ?? null,
    deploymentId: revision?.deploymentId ?? null,
    model: modelState(),
  }));

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
