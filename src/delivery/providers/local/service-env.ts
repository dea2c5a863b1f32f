// The service's configuration on a local instance: the variables its hooks
// and process see (the environment's variables, its name, its database, and
// the pointer file naming its released model: MODEL_SOURCE, issue 13).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import type { StatePaths } from '../../state-paths.js';
import type { HostClient } from './host-client.js';
import type { LocalInstance } from './local-instances.js';

export function serviceVariables(env: Environment, host: HostClient, paths: StatePaths): Record<string, string> {
  return { ...environmentVariables(env, paths), DATABASE_URL: host.info.databaseUrl };
}

/**
 * What the hooks (and the service ApplicationStart starts) are told of the
 * revision being rolled out: the deployed commit and its tree. A bundle is
 * keyed by tree, so its revision.json names the commit it was first built
 * from, which is another commit when the bundle is reused.
 */
export function revisionVariables(record: Pick<DeploymentRecord, 'revision' | 'autoRollback'>, bundleKey: string): Record<string, string> {
  const rollingBack = record.autoRollback?.status === 'InProgress' && record.autoRollback.revision.bundle === bundleKey;
  const revision = rollingBack ? record.autoRollback!.revision : record.revision;
  return { MOD_REVISION_COMMIT: revision.commit, MOD_REVISION_TREE: bundleKey };
}

/**
 * The variables that do not depend on the running host (the host adds its
 * DATABASE_URL itself when it restarts an instance). MODEL_SOURCE names the
 * env's model pointer (absolute: hooks run in the instance's root), which
 * the service polls; before any release the file is absent and the bundled
 * model decides. Set by mod over the env's `variables`, like
 * MOD_ENVIRONMENT: `mod model release` writes this file and no other.
 */
export function environmentVariables(env: Environment, paths: StatePaths): Record<string, string> {
  return { ...env.variables, MOD_ENVIRONMENT: env.name, MODEL_SOURCE: modelSourceOf(paths, env.name) };
}

/** `file:<absolute path of the env's pointer file>`. */
export function modelSourceOf(paths: StatePaths, envName: string): string {
  return `file:${path.resolve(paths.modelPointer(envName))}`;
}

/**
 * The service's configuration on each instance, where the hook scripts read
 * it: /etc/mod/service.env under the instance root (on EC2 the same file is
 * provisioned by the launch template).
 */
export async function writeServiceEnv(env: Environment, host: HostClient, paths: StatePaths, instances: LocalInstance[]): Promise<void> {
  for (const instance of instances) {
    const vars = { ...serviceVariables(env, host, paths), PORT: String(instance.port), HOST: '127.0.0.1' };
    const text = Object.entries(vars)
      .map(([key, value]) => `${key}=${shellQuote(value)}`)
      .join('\n');
    await mkdir(path.join(instance.root, 'etc', 'mod'), { recursive: true });
    await writeFile(path.join(instance.root, 'etc', 'mod', 'service.env'), `${text}\n`, { mode: 0o600 });
  }
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
