// mod db migrate | mod db status: the service's schema migrations against
// DATABASE_URL, or the embedded PGlite in .mod/data (MOD_DATA_DIR) when unset
// (over the wire when a running `mod serve` holds that directory).
import { commandAction, type CommandRegistration } from '../command-registration.js';
import type { CliContext, GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export const registerDb: CommandRegistration = (program, context, setExit) => {
  const db = program.command('db').description("the service's database: schema migrations (DATABASE_URL, or the embedded PGlite in .mod/data)");
  db.command('migrate')
    .description('apply pending migrations from migrations/ in one transaction (safe to run from several instances at once)')
    .action(commandAction(context, setExit, ({ globals }, output) => runDbMigrate(globals, context, output)));
  db.command('status')
    .description('list applied and pending migrations; exit 1 if any are pending or an applied one was edited')
    .action(commandAction(context, setExit, ({ globals }, output) => runDbStatus(globals, context, output)));
};

async function openForCli(globals: GlobalOptions, context: CliContext) {
  const { parseServiceConfig } = await import('../../service/config.js');
  const { openDatabase } = await import('../../store/database.js');
  const { loadMigrations } = await import('../../store/migrations.js');
  const config = parseServiceConfig(context.env, globals.cwd ?? process.cwd());
  const migrations = await loadMigrations();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, attach: true, migrations, poolMax: 2, connectionTimeoutMs: config.dbConnectTimeoutMs });
  return { config, migrations, database };
}

function where(database: { embedded: unknown; attached: { pid: number } | undefined }, dataDir: string, url: string, redact: (u: string) => string): string {
  if (database.attached) return `embedded PGlite in ${dataDir} (served by process ${database.attached.pid})`;
  return database.embedded ? `embedded PGlite in ${dataDir}` : redact(url);
}

export async function runDbMigrate(globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { migrate } = await import('../../store/migrations.js');
  const { redactUrl } = await import('../../store/database.js');
  const { DatabaseUnavailableError, isUnavailable } = await import('../../store/errors.js');
  const { config, migrations, database } = await openForCli(globals, context);
  try {
    const location = where(database, config.dataDir, database.url, redactUrl);
    const { applied, status } = await migrate(database.store.pool, migrations).catch((error: unknown) => {
      throw isUnavailable(error) ? new DatabaseUnavailableError(`cannot reach the database (${location}): ${(error as Error).message}`, error) : error;
    });
    output.result({ schemaVersion: 1, database: location, applied: applied.map((m) => m.file), current: status.applied.map((a) => `${a.version}_${a.name}`) }, () =>
      applied.length > 0 ? `applied ${applied.length} migration${applied.length > 1 ? 's' : ''} to ${location}:\n${applied.map((m) => `  ${m.file}`).join('\n')}` : `${location}: no pending migrations (${status.applied.length} applied)`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

export async function runDbStatus(globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { redactUrl } = await import('../../store/database.js');
  const { config, database } = await openForCli(globals, context);
  try {
    const location = where(database, config.dataDir, database.url, redactUrl);
    const status = await database.store.migrationStatus();
    const edited = status.changed.filter((c) => c.reason === 'edited');
    output.result(
      {
        schemaVersion: 1,
        database: location,
        applied: status.applied.map((a) => ({ version: a.version, name: a.name, appliedAt: a.appliedAt.toISOString() })),
        pending: status.pending.map((m) => m.file),
        changed: status.changed,
        current: status.pending.length === 0 && edited.length === 0,
      },
      () =>
        [
          `database: ${location}`,
          ...status.applied.map((a) => `  applied  ${a.version}_${a.name}  ${a.appliedAt.toISOString()}`),
          ...status.pending.map((m) => `  pending  ${m.file}`),
          ...status.changed.map((c) => `  ${c.reason.toUpperCase()}   ${c.version}_${c.name} (${c.reason === 'edited' ? 'the file changed after it was applied' : 'no such file in migrations/'})`),
          status.pending.length > 0 ? `${status.pending.length} pending: run mod db migrate` : edited.length > 0 ? 'an applied migration was edited: restore it and add a new one' : 'up to date',
        ].join('\n'),
    );
    return status.pending.length === 0 && edited.length === 0 ? 0 : 1;
  } finally {
    await database.close();
  }
}
