// A Workspace (src/delivery/workspace.ts) for unit tests: a real git
// repository (a TempRepository), a mod.config.yml given as data, a temp state
// directory for the environment locks, and fakes for every outside service:
// the provider, GitHub and the databases' migration records (through a
// FakeGateDependencies), the notifier, and a fixed initiator.
import type { ReleaseDatabase } from '../../src/delivery/model/model-store.js';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigSchema, resolveEnvironment, type Environment, type ModConfig } from '../../src/delivery/config.js';
import type { PullRequests } from '../../src/delivery/gates/pull-requests.js';
import type { Notifier } from '../../src/delivery/notifier.js';
import type { Provider } from '../../src/delivery/provider.js';
import { StatePaths } from '../../src/delivery/state-paths.js';
import type { Workspace } from '../../src/delivery/workspace.js';
import type { Git } from '../../src/git/git.js';
import { FakeGateDependencies } from './fake-gate-dependencies.js';
import { FakeNotifier } from './fake-notifier.js';
import { FakeProvider } from './fake-provider.js';
import type { TempRepository } from './temp-repository.js';

export type ConfigInput = z.input<typeof ConfigSchema>;

export interface FakeWorkspaceOptions {
  config: ConfigInput;
  provider?: FakeProvider;
  gateDependencies?: FakeGateDependencies;
  notifier?: FakeNotifier;
  initiator?: string;
}

export class FakeWorkspace implements Workspace {
  readonly git: Git;
  readonly config: ModConfig;
  readonly paths: StatePaths;
  readonly fakeProvider: FakeProvider;
  readonly gateDependencies: FakeGateDependencies;
  readonly fakeNotifier: FakeNotifier;
  readonly initiatorName: string;
  /** The environments provider() was asked for, in order. */
  readonly providerRequests: string[] = [];

  private constructor(repo: TempRepository, stateDir: string, options: FakeWorkspaceOptions) {
    this.git = repo.git;
    this.config = ConfigSchema.parse(options.config);
    this.paths = new StatePaths(stateDir);
    this.fakeProvider = options.provider ?? new FakeProvider();
    this.gateDependencies = options.gateDependencies ?? new FakeGateDependencies();
    this.fakeNotifier = options.notifier ?? new FakeNotifier();
    this.initiatorName = options.initiator ?? 'carol';
  }

  static async create(repo: TempRepository, options: FakeWorkspaceOptions): Promise<FakeWorkspace> {
    return new FakeWorkspace(repo, path.join(await repo.scratchDir(), '.mod'), options);
  }

  environment(nameOrAlias: string): Environment {
    return resolveEnvironment(this.config, nameOrAlias);
  }

  async provider(env: Environment): Promise<Provider> {
    this.providerRequests.push(env.name);
    return this.fakeProvider;
  }

  async initiator(): Promise<string> {
    return this.initiatorName;
  }

  openGitHub(): Promise<PullRequests> {
    return this.gateDependencies.openGitHub();
  }

  appliedMigrations(databaseUrl: string): Promise<Map<string, string>> {
    return this.gateDependencies.readAppliedMigrations(databaseUrl);
  }

  /** Issue 13: the model canary's reads; tests that release models set `releaseDatabase`. */
  releaseDatabase: ReleaseDatabase | undefined;

  async openReleaseDatabase(databaseUrl: string): Promise<ReleaseDatabase> {
    if (!this.releaseDatabase) throw new Error(`connect ECONNREFUSED ${databaseUrl}`);
    return this.releaseDatabase;
  }

  async notifier(): Promise<Notifier> {
    return this.fakeNotifier;
  }
}
