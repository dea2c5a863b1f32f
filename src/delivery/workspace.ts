// Everything a delivery command works against, opened once: the git
// repository, its mod.config.yml, the local state directory, the provider of
// each environment, and the outside services the gates and notifications use.
// It is where adapters (AWS, GitHub, Slack, the store) are plugged in, each
// imported lazily; the rest of delivery only sees their interfaces.
import os from 'node:os';
import { UsageError } from '../errors.js';
import { Git } from '../git/git.js';
import { DEFAULT_CONFIG_YAML, loadConfig, resolveEnvironment, type Environment, type ModConfig } from './config.js';
import type { PullRequests } from './gates/pull-requests.js';
import { silentNotifier, type Notifier } from './notifier.js';
import type { ReleaseDatabase } from './model/model-store.js';
import type { Provider } from './provider.js';
import { StatePaths } from './state-paths.js';

export interface Workspace {
  git: Git;
  config: ModConfig;
  paths: StatePaths;
  environment(nameOrAlias: string): Environment;
  provider(env: Environment): Promise<Provider>;
  initiator(): Promise<string>;
  /** GitHub pull requests of this repository (token from GITHUB_TOKEN or gh). */
  openGitHub(): Promise<PullRequests>;
  /** version -> checksum of the migrations applied to a database (the store's records). */
  appliedMigrations(databaseUrl: string): Promise<Map<string, string>>;
  /** The env's database as a model canary reads it (the store adapter); issue 13. */
  openReleaseDatabase(databaseUrl: string): Promise<ReleaseDatabase>;
  /** Slack when a webhook is configured (notifications.slackWebhookUrl or SLACK_WEBHOOK_URL), else nothing. */
  notifier(onWarning: (message: string) => void): Promise<Notifier>;
}

export interface WorkspaceOptions {
  /** Overrides every environment's provider (the global --provider flag). */
  provider?: 'local' | 'aws';
  /** --profile / --region, and test transports for the AWS SDK. */
  aws?: { profile?: string; region?: string; requestHandler?: unknown; sequential?: boolean };
}

export async function openWorkspace(cwd: string, env: NodeJS.ProcessEnv = process.env, options: WorkspaceOptions = {}): Promise<Workspace> {
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
    environment: (name) => {
      const environment = resolveEnvironment(config, name);
      return options.provider ? { ...environment, provider: options.provider } : environment;
    },
    async provider(environment) {
      const key = environment.provider;
      let provider = providers.get(key);
      if (!provider) {
        // Providers load lazily: the AWS SDK is imported only when an AWS environment is used.
        if (key === 'local') {
          const { LocalProvider } = await import('./providers/local/local-provider.js');
          provider = new LocalProvider(git, paths);
        } else if (key === 'aws') {
          const { AwsProvider } = await import('./providers/aws/aws-provider.js');
          provider = new AwsProvider(git, options.aws ?? {});
        } else {
          throw new UsageError(`unknown provider "${key}" for environment ${environment.name}`, 'use provider: local or aws');
        }
        providers.set(key, provider);
      }
      return provider;
    },
    async openGitHub() {
      const { openPullRequests } = await import('../github/octokit-pull-requests.js');
      const remoteUrl = await git.remoteUrl('origin');
      return openPullRequests({ repository: config.github.repository, baseUrl: config.github.baseUrl, remoteUrl, env });
    },
    async appliedMigrations(databaseUrl) {
      const { appliedMigrationChecksums } = await import('../store/migrations.js');
      return appliedMigrationChecksums(databaseUrl);
    },
    async openReleaseDatabase(databaseUrl) {
      const { openReleaseDatabase } = await import('../store/release-database.js');
      return openReleaseDatabase(databaseUrl);
    },
    async notifier(onWarning) {
      const url = config.notifications.slackWebhookUrl ?? env.SLACK_WEBHOOK_URL;
      if (!url) return silentNotifier;
      const { SlackNotifier } = await import('../notify/slack-notifier.js');
      return new SlackNotifier(url, onWarning);
    },
    async initiator() {
      const user = env.MOD_INITIATOR ?? env.GITHUB_ACTOR ?? os.userInfo().username;
      const gitUser = await git.userName();
      return gitUser && gitUser !== user ? `${user} (${gitUser})` : user;
    },
  };
}
