// What runGates needs from outside besides the workspace and the provider
// (GateDependencies in src/delivery/gates/run-gates.ts), in memory: GitHub's
// pull requests (a FakePullRequests), a fixed clock, and each database's
// applied migrations. Opening GitHub and reading a database are recorded, so a
// test can say a gate never needed them; either can be made to fail.
import { createHash } from 'node:crypto';
import type { GateDependencies } from '../../src/delivery/gates/run-gates.js';
import type { PullRequests } from '../../src/delivery/gates/pull-requests.js';
import { FakePullRequests } from './fake-pull-requests.js';

export class FakeGateDependencies implements GateDependencies {
  readonly github: FakePullRequests;
  clock: Date;
  /** How many times GitHub was opened. */
  gitHubOpened = 0;
  /** The database URLs whose migration records were read, in order. */
  readonly migrationReads: string[] = [];
  /** When set, opening GitHub fails with it (no token, network down). */
  gitHubUnavailable: Error | undefined;
  private readonly applied = new Map<string, Map<string, string>>();

  constructor(options: { github?: FakePullRequests; now?: Date } = {}) {
    this.github = options.github ?? new FakePullRequests();
    this.clock = options.now ?? new Date('2026-11-24T03:00:00Z');
  }

  /** sha256 of a migration file, as the store records it. */
  static checksumOf(content: string): string {
    return createHash('sha256').update(content).digest('hex');
  }

  /** Records a migration as applied to the database at `databaseUrl` (a reachable database, even with none applied). */
  recordApplied(databaseUrl: string, version?: string, content?: string): void {
    const versions = this.applied.get(databaseUrl) ?? new Map<string, string>();
    if (version !== undefined) versions.set(version, FakeGateDependencies.checksumOf(content ?? ''));
    this.applied.set(databaseUrl, versions);
  }

  readonly openGitHub = async (): Promise<PullRequests> => {
    this.gitHubOpened++;
    if (this.gitHubUnavailable) throw this.gitHubUnavailable;
    return this.github;
  };

  readonly now = (): Date => this.clock;

  readonly readAppliedMigrations = async (databaseUrl: string): Promise<Map<string, string>> => {
    this.migrationReads.push(databaseUrl);
    const versions = this.applied.get(databaseUrl);
    if (!versions) throw new Error(`connect ECONNREFUSED ${databaseUrl}`);
    return new Map(versions);
  };
}
