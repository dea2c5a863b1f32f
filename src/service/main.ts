// Process entry point of the moderation service (what scripts/
// application_start.sh and the systemd unit start): the only place that
// reads the environment. Drains on SIGTERM (CodeDeploy ApplicationStop, ALB
// deregistration) within SHUTDOWN_TIMEOUT_MS.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isModError } from '../errors.js';
import { parseServiceConfig } from './config.js';
import { exitOnSignals, startService } from './server.js';
import { serviceRevision } from './routes/health.js';

const here = path.dirname(fileURLToPath(import.meta.url));

try {
  const config = parseServiceConfig(process.env);
  const revision = serviceRevision(
    await readFile(path.join(here, '..', '..', 'revision.json'), 'utf8')
      .then((text) => JSON.parse(text) as unknown)
      .catch(() => undefined),
    process.env,
  );
  // Without DATABASE_URL the database is this process's own embedded one: migrate it here.
  const service = await startService(config, { migrate: config.migrateOnStart || config.databaseUrl === undefined, revision });
  exitOnSignals(service, config.shutdownTimeoutMs);
} catch (error) {
  // Before the logger exists: one plain line on stderr, then exit 2 for bad config, 1 otherwise.
  const message = isModError(error) ? `${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}` : String((error as Error).stack ?? error);
  process.stderr.write(`mod service: ${message}\n`);
  process.exit(isModError(error) ? error.exitCode : 1);
}
