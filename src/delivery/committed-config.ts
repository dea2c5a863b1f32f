// The release gates a deploy is judged by come from mod.config.yml as
// committed in the revision being deployed, not from the working tree: an
// uncommitted edit (say, `ticket: false`) must not loosen what production
// requires. The rest of the environment (instances, provider) stays as loaded.
import { isDeepStrictEqual } from 'node:util';
import type { CommitInfo, Git } from '../git/git.js';
import { CONFIG_FILE, ConfigSchema, gatesOf, resolveEnvironment, type Environment } from './config.js';
import type { DeliveryEvents } from './events.js';
import { parseYamlSpec } from './yaml-spec.js';

/** `env` with the `gates` of the same environment in the committed config; says so when they differ. */
export async function withCommittedGates(git: Pick<Git, 'fileAtIfExists'>, env: Environment, commit: CommitInfo, events: DeliveryEvents): Promise<Environment> {
  const text = await git.fileAtIfExists(commit.commit, CONFIG_FILE);
  const at = commit.commit.slice(0, 8);
  if (text === undefined) {
    if (Object.keys(gatesOf(env)).length > 0) events({ type: 'notice', level: 'warn', message: `${CONFIG_FILE} is not committed at ${at}: the gates come from the working tree` });
    return env;
  }
  const committed = resolveEnvironment(parseYamlSpec(text, ConfigSchema, `${CONFIG_FILE} at ${at}`), env.name);
  if (!isDeepStrictEqual(committed.gates, env.gates)) {
    events({ type: 'notice', level: 'warn', message: `the gates of ${env.name} in your working tree differ from ${CONFIG_FILE} at ${at}: judging by the committed ones (commit the change to use it)` });
  }
  return { ...env, gates: committed.gates };
}
