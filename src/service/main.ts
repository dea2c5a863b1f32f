// Process entry point of the moderation service: reads the environment,
// builds the app, listens, and drains on SIGTERM (CodeDeploy ApplicationStop,
// ALB deregistration) within SHUTDOWN_TIMEOUT_MS.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from './app.js';
import { loadModerator } from './moderator.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '0.0.0.0';
const shutdownTimeoutMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000);

const revision = await readFile(path.join(here, '..', '..', 'revision.json'), 'utf8')
  .then((text) => JSON.parse(text) as { commit: string | null })
  .catch(() => ({ commit: null }));
const app = buildApp({ moderator: await loadModerator(), revision, logger: { level: process.env.LOG_LEVEL ?? 'info' } });

let closing = false;
const shutdown = (signal: string) => {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, 'draining in-flight requests');
  const timer = setTimeout(() => {
    app.log.error('shutdown timed out; exiting');
    process.exit(1);
  }, shutdownTimeoutMs);
  timer.unref();
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

await app.listen({ port, host });
