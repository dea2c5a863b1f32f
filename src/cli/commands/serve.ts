// mod serve [--port P] [--host H]: the moderation service in the foreground.
// PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite in
// .mod/data (MOD_DATA_DIR); pending migrations are applied first. Service
// logs (pino JSON) go to stderr; Ctrl-C or SIGTERM drains and stops. The
// embedded database takes ~10 s to create on a first start (PGlite's initdb
// and the migrations), so a line on stderr says so before anything else.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import type { CliContext, GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export interface ServeCommandOptions {
  port?: string;
  host?: string;
}

export const registerServe: CommandRegistration = (program, context, setExit) => {
  program
    .command('serve')
    .description('run the moderation service in the foreground (embedded PGlite in .mod/data unless DATABASE_URL is set; migrations applied first)')
    .option('-p, --port <port>', 'listen port (default: PORT or 8080)')
    .option('--host <address>', 'listen address (default: HOST or 0.0.0.0)')
    .action(commandAction<ServeCommandOptions>(context, setExit, ({ options, globals }, output) => runServe(options, globals, context, output)));
};

export async function runServe(options: ServeCommandOptions, globals: GlobalOptions, context: CliContext, output: Output, stop?: AbortSignal): Promise<number> {
  const { parseServiceConfig } = await import('../../service/config.js');
  const { startService } = await import('../../service/server.js');
  const { redactUrl } = await import('../../store/database.js');

  const env = { ...context.env };
  if (options.port !== undefined) env.PORT = options.port;
  if (options.host !== undefined) env.HOST = options.host;
  const cwd = globals.cwd ?? process.cwd();
  const config = parseServiceConfig(env, cwd);
  if (config.databaseUrl === undefined) {
    const path = await import('node:path');
    const relative = path.relative(cwd, config.dataDir);
    const shown = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : config.dataDir;
    output.info(`starting the embedded database in ${shown} (the first start creates it: ~10 s)`);
  }
  const service = await startService(config, { migrate: true, logStream: context.streams.stderr });
  const embedded = service.database.embedded;
  const database = embedded ? { embedded: true, dataDir: config.dataDir, port: embedded.port } : { embedded: false, url: redactUrl(service.database.url) };
  output.result({ schemaVersion: 1, url: service.url, database, migrationsApplied: service.appliedMigrations.map((m) => m.file) }, () =>
    [
      `mod service listening on ${service.url}`,
      `database: ${embedded ? `embedded PGlite in ${config.dataDir} on 127.0.0.1:${embedded.port} (password in mod-embedded.password; mod service token and mod db use it while this runs)` : redactUrl(service.database.url)}`,
      service.appliedMigrations.length > 0 ? `migrations applied: ${service.appliedMigrations.map((m) => m.file).join(', ')}` : 'migrations: current',
      'Ctrl-C to stop',
    ].join('\n'),
  );

  // Wait for SIGINT/SIGTERM (or the caller's signal), then drain within the timeout.
  const signal = await new Promise<string>((resolve) => {
    const onSignal = (name: NodeJS.Signals) => resolve(name);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    stop?.addEventListener('abort', () => resolve('abort'), { once: true });
  });
  output.info(`${signal}: draining in-flight requests (up to ${config.shutdownTimeoutMs} ms)`);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    // close() keeps within the timeout itself; `forced`: it had to cut requests off.
    service.close().then(({ forced }) => forced),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), config.shutdownTimeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    output.warn(`in-flight requests did not finish within ${config.shutdownTimeoutMs} ms; stopping anyway`);
    return 1;
  }
  output.info('stopped');
  return 0;
}
