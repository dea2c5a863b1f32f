// mod db migrate | mod db status: the service's schema migrations against
// an env's database with --env (the one its instances use), else DATABASE_URL,
// or the embedded PGlite in .mod/data (MOD_DATA_DIR) when unset (over the
// wire when a running `mod serve` or local env host holds that directory).
import { commandAction, type CommandRegistration } from '../command-registration.js';
import type { CliContext, GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export const registerDb: CommandRegistration = (program, context, setExit) => {
  const db = program.command('db').description("the service's database: schema migrations (DATABASE_URL, or the embedded PGlite in .mod/data)");
  db.command('migrate')
    .description('apply pending migrations from migrations/ in one transaction (safe to run from several instances at once)')
    .option('-e, --env <name>', 'the env whose database to migrate, as its instances use it (default: DATABASE_URL or the local mod serve database)')
    .action(commandAction<DbOptions>(context, setExit, ({ options, globals }, output) => runDbMigrate(globals, context, output, options)));
  db.command('status')
    .description('list applied and pending migrations; exit 1 if any are pending or an applied one was edited')
    .option('-e, --env <name>', 'the env whose database to read, as its instances use it (default: DATABASE_URL or the local mod serve database)')
    .action(commandAction<DbOptions>(context, setExit, ({ options, globals }, output) => runDbStatus(globals, context, output, options)));
};

export interface DbOptions {
  /** The env whose database to use (default: DATABASE_URL, or the local `mod serve` database). */
  env?: string;
}

export async function runDbMigrate(globals: GlobalOptions, context: CliContext, output: Output, options: DbOptions = {}): Promise<number> {
  const { migrate } = await import('../../store/migrations.js');
  const { DatabaseUnavailableError, isUnavailable } = await import('../../store/errors.js');
  const { openServiceDatabase } = await import('./service-database.js');
  const { migrations, database, location } = await openServiceDatabase(options.env, globals, context);
  try {
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

export async function runDbStatus(globals: GlobalOptions, context: CliContext, output: Output, options: DbOptions = {}): Promise<number> {
  const { openServiceDatabase, pendingMigrationsHint } = await import('./service-database.js');
  const opened = await openServiceDatabase(options.env, globals, context, { refuseStray: true });
  const { database, location } = opened;
  try {
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
          status.pending.length > 0 ? `${status.pending.length} pending: ${pendingMigrationsHint(opened).replace(/ first$/, '')}` : edited.length > 0 ? 'an applied migration was edited: restore it and add a new one' : 'up to date',
        ].join('\n'),
    );
    return status.pending.length === 0 && edited.length === 0 ? 0 : 1;
  } finally {
    await database.close();
  }
}
