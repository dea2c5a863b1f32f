// The database `mod service` and `mod db` work on: with --env, the env's
// (the one its instances use: its databaseUrl, its running local host's
// embedded database, or a stopped local env's .mod/envs/<env>/pgdata);
// without, the local `mod serve` database (DATABASE_URL, or the embedded
// PGlite in MOD_DATA_DIR / .mod/data). When that default is left implicit
// and the repo has deployed local environments, hints point to --env rather
// than to migrating a database no instance uses.
import type { CliContext, GlobalOptions } from '../context.js';
import type { Database } from '../../store/database.js';
import type { Migration } from '../../store/migrations.js';

export interface ServiceDatabase {
  database: Database;
  migrations: Migration[];
  /** Where it is, for messages (no password). */
  location: string;
  /** Set with --env. */
  environment?: string;
  /** Without --env, DATABASE_URL and MOD_DATA_DIR unset: the repo's deployed local envs (else empty). */
  deployed: string[];
}

export interface OpenServiceDatabaseOptions {
  /** Refuse to create the implicit .mod/data when the repo has deployed envs (commands that only read or use it). */
  refuseStray?: boolean;
}

export async function openServiceDatabase(envName: string | undefined, globals: GlobalOptions, context: CliContext, options: OpenServiceDatabaseOptions = {}): Promise<ServiceDatabase> {
  const { existsSync } = await import('node:fs');
  const { parseServiceConfig } = await import('../../service/config.js');
  const { openDatabase, redactUrl } = await import('../../store/database.js');
  const { loadMigrations } = await import('../../store/migrations.js');
  const { UsageError } = await import('../../errors.js');
  const config = parseServiceConfig(context.env, globals.cwd ?? process.cwd());
  const migrations = await loadMigrations();
  const open = (url: string | undefined, dataDir: string) => openDatabase({ url, dataDir, attach: true, migrations, poolMax: 2, connectionTimeoutMs: config.dbConnectTimeoutMs });
  if (envName !== undefined) {
    const { envDatabaseTarget } = await import('./env-database.js');
    const target = await envDatabaseTarget(envName, globals, context);
    const database = await open(target.url, target.dataDir ?? config.dataDir);
    return { database, migrations, location: `${target.environment}'s database, ${describe(database, target.dataDir ?? '', redactUrl)}`, environment: target.environment, deployed: [] };
  }
  let deployed: string[] = [];
  if (!config.databaseUrl && !context.env.MOD_DATA_DIR) {
    const { deployedLocalEnvironments } = await import('./env-database.js');
    deployed = await deployedLocalEnvironments(globals, context);
    if (options.refuseStray && deployed.length > 0 && !existsSync(config.dataDir)) {
      throw new UsageError(`no --env given, and the local mod serve database (${config.dataDir}) does not exist: each deployed environment keeps its own database`, `pass --env <env> (deployed here: ${deployed.join(', ')})`);
    }
  }
  const database = await open(config.databaseUrl, config.dataDir);
  return { database, migrations, location: describe(database, config.dataDir, redactUrl), deployed };
}

function describe(database: Database, dataDir: string, redact: (url: string) => string): string {
  if (database.attached) return `embedded PGlite in ${dataDir} (served by process ${database.attached.pid})`;
  return database.embedded ? `embedded PGlite in ${dataDir}` : redact(database.url);
}

/** What to do about pending migrations: migrate this env's database, or (default database, deployed envs) pass --env. */
export function pendingMigrationsHint(db: Pick<ServiceDatabase, 'environment' | 'deployed'>): string {
  if (db.environment) return `run mod db migrate --env ${db.environment} (deploying the current revision applies them too)`;
  if (db.deployed.length > 0) return `this is the local mod serve database, which no deployed environment uses: pass --env <env> for an environment's (deployed here: ${db.deployed.join(', ')})`;
  return 'run mod db migrate first';
}
