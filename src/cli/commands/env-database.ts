// An environment's database as `mod model train --from-db` and `mod model
// shadow-report` read it: the workspace's environment, its provider's
// databaseUrl (mod.config.yml's databaseUrl, or the local host's embedded
// database while it runs), one short-lived pg connection. Clear errors when
// no database is known, it cannot be reached, or its schema is behind.
import type pg from 'pg';
import type { CliContext, GlobalOptions } from '../context.js';

export interface EnvDatabase {
  environment: string;
  client: pg.Client;
  /** Runs a read; a schema without the issue-13 columns becomes a clear error. */
  read<T>(what: string, body: (client: pg.Client) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openEnvDatabase(envName: string, globals: GlobalOptions, context: CliContext): Promise<EnvDatabase> {
  const { openWorkspaceFor } = await import('../context.js');
  const { ModError, UsageError } = await import('../../errors.js');
  const { redactUrl } = await import('../../store/database.js');
  const ws = await openWorkspaceFor(globals, context);
  const env = ws.environment(envName);
  const provider = await ws.provider(env);
  const url = await provider.databaseUrl(env);
  if (!url) {
    throw new UsageError(`no database is known for ${env.name}: it has no databaseUrl and its local endpoint (with its embedded database) is not running`, `deploy it (mod deploy --env ${env.name}), or set environments.${env.name}.databaseUrl in mod.config.yml`);
  }
  const { default: Pg } = await import('pg');
  const client = new Pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new ModError('DATABASE_UNAVAILABLE', `cannot reach the database of ${env.name} (${redactUrl(url)}): ${(error as Error).message}`, {
      hint: `start it (mod deploy --env ${env.name} starts a local environment's), or fix environments.${env.name}.databaseUrl in mod.config.yml`,
      cause: error,
    });
  }
  client.on('error', () => undefined);
  return {
    environment: env.name,
    client,
    async read(what, body) {
      try {
        return await body(client);
      } catch (error) {
        const code = (error as { code?: string }).code;
        // 42P01 undefined table, 42703 undefined column: migrations 0003/0004 are not applied there.
        if (code === '42P01' || code === '42703') {
          throw new ModError('MIGRATION', `cannot read ${what} from the database of ${env.name}: ${(error as Error).message}`, {
            hint: `its schema is behind this mod: apply the migrations (mod db migrate --env ${env.name}), or deploy the current revision`,
            cause: error,
          });
        }
        throw error;
      }
    },
    close: () => client.end().catch(() => undefined),
  };
}

/** Where an env's database is, for commands that open it with openDatabase (`mod service --env`, `mod db --env`). */
export interface EnvDatabaseTarget {
  environment: string;
  /** The env's databaseUrl, or the running local host's embedded database. */
  url?: string;
  /** A stopped local env's embedded database directory (.mod/envs/<env>/pgdata): opened here, or attached if it starts meanwhile. */
  dataDir?: string;
}

/**
 * The database an env's instances use: provider.databaseUrl(env) as
 * openEnvDatabase reads it, and for a local env whose host is stopped, its
 * embedded database directory (so tokens can be made before a deploy restarts it).
 */
export async function envDatabaseTarget(envName: string, globals: GlobalOptions, context: CliContext): Promise<EnvDatabaseTarget> {
  const { existsSync } = await import('node:fs');
  const { openWorkspaceFor } = await import('../context.js');
  const { UsageError } = await import('../../errors.js');
  const ws = await openWorkspaceFor(globals, context);
  const env = ws.environment(envName);
  const provider = await ws.provider(env);
  const url = await provider.databaseUrl(env);
  if (url) return { environment: env.name, url };
  const dataDir = ws.paths.database(env.name);
  if (provider.name === 'local' && !env.databaseUrl && existsSync(dataDir)) return { environment: env.name, dataDir };
  throw new UsageError(`no database is known for ${env.name}: it has no databaseUrl and has never been deployed here (no ${dataDir})`, `deploy it (mod deploy --env ${env.name}), or set environments.${env.name}.databaseUrl in mod.config.yml`);
}

/**
 * The repo's local environments that have been deployed (they keep their own
 * database), for hints when a command without --env would use the local
 * `mod serve` database instead. Empty outside a mod repository.
 */
export async function deployedLocalEnvironments(globals: GlobalOptions, context: CliContext): Promise<string[]> {
  const { openWorkspaceFor } = await import('../context.js');
  try {
    const ws = await openWorkspaceFor(globals, context);
    const names: string[] = [];
    for (const name of Object.keys(ws.config.environments)) {
      const env = ws.environment(name);
      if (env.provider !== 'local') continue;
      const provider = await ws.provider(env);
      if ((await provider.deployments(env, 1)).length > 0) names.push(env.name);
    }
    return names;
  } catch {
    return [];
  }
}
