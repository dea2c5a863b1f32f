// Everything a delivery command works against, opened once: the git
// repository, its mod.config.yml, the local state directory and the provider
// of each environment.
import os from 'node:os';
import { UsageError } from '../errors.js';
import { Git } from '../git/git.js';
import { DEFAULT_CONFIG_YAML, loadConfig, resolveEnvironment, type Environment, type ModConfig } from './config.js';
import type { Provider } from './provider.js';
import { StatePaths } from './state-paths.js';

export interface Workspace {
  git: Git;
  config: ModConfig;
  paths: StatePaths;
  environment(nameOrAlias: string): Environment;
  provider(env: Environment): Promise<Provider>;
  initiator(): Promise<string>;
}

export async function openWorkspace(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Workspace> {
  const git = await Git.open(cwd);
  const { config } = await loadConfig(git.dir).catch(async (error: unknown) => {
    if ((error as { code?: string }).code === 'CONFIG_INVALID' && String((error as Error).message).includes('file not found')) {
      throw new UsageError(`no mod.config.yml in ${git.dir}`, `create one; the smallest is:\n${DEFAULT_CONFIG_YAML}`);
    }
    throw error;
  });
  const paths = StatePaths.forRepo(git.dir);
  const providers = new Map<string, Provider>();
  return {
    git,
    config,
    paths,
    environment: (name) => resolveEnvironment(config, name),
    async provider(environment) {
      const key = environment.provider;
      let provider = providers.get(key);
      if (!provider) {
        if (key === 'local') {
          const { LocalProvider } = await import('./providers/local/local-provider.js');
          provider = new LocalProvider(git, paths);
        } else {
          throw new UsageError(`provider "${key}" of environment ${environment.name} is not available in this version`, 'use provider: local');
        }
        providers.set(key, provider);
      }
      return provider;
    },
    async initiator() {
      const user = env.MOD_INITIATOR ?? env.GITHUB_ACTOR ?? os.userInfo().username;
      const gitUser = await git.userName();
      return gitUser && gitUser !== user ? `${user} (${gitUser})` : user;
    },
  };
}
