// Entry point of the detached environment host process (see
// environment-host.ts). Started by the CLI with the settings file as its only
// argument; stops on SIGTERM or on the control API's shutdown.
import { readFile } from 'node:fs/promises';
import { removeOwnHostRecord, startEnvironmentHost, type HostSettings } from './environment-host.js';

const settingsFile = process.argv[2];
if (!settingsFile) {
  console.error('usage: environment-host-main <settings.json>');
  process.exit(2);
}
const settings = JSON.parse(await readFile(settingsFile, 'utf8')) as HostSettings;
try {
  const { info, stop } = await startEnvironmentHost(settings);
  console.log(`${new Date().toISOString()} host for ${info.environment} up: endpoint ${info.endpoint}, database ${info.databaseEmbedded ? 'embedded PGlite' : 'external'}`);
  let exiting = false;
  const shutdown = async (signal: string) => {
    if (exiting) return;
    exiting = true;
    console.log(`${new Date().toISOString()} ${signal}: stopping`);
    await stop();
    // Only our own record: after .mod was deleted and recreated, host.json may be another host's.
    await removeOwnHostRecord(settings.infoFile);
    if (settings.registryFile) await removeOwnHostRecord(settings.registryFile);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => {});
} catch (error) {
  console.error(`${new Date().toISOString()} host failed to start: ${(error as Error).stack ?? error}`);
  process.exit(1);
}
