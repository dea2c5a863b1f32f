// A production environment for release-gate tests: a real git repository
// whose master holds the deployed commit, pull requests merged on top of it
// (squash merges recorded in a FakePullRequests), a FakeProvider whose
// history says what runs, and runGates called with FakeGateDependencies.
import type { Environment } from '../../../src/delivery/config.js';
import type { PullRequest } from '../../../src/delivery/gates/pull-requests.js';
import { runGates, type GateOverride, type GateReport } from '../../../src/delivery/gates/run-gates.js';
import type { GateName } from '../../../src/delivery/config.js';
import type { FakeGateDependencies } from '../../fakes/fake-gate-dependencies.js';
import type { FakePullRequests } from '../../fakes/fake-pull-requests.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { FakeWorkspace, type ConfigInput } from '../../fakes/fake-workspace.js';
import { TempRepository } from '../../fakes/temp-repository.js';

type EnvironmentInput = ConfigInput['environments'][string];
export type GatesInput = NonNullable<EnvironmentInput['gates']>;

export class GateScenario {
  private constructor(
    readonly repo: TempRepository,
    readonly ws: FakeWorkspace,
    readonly provider: FakeProvider,
    /** The commit production runs. */
    readonly deployed: string,
  ) {}

  /** `gates` undefined: the environment's defaults (every gate, for production). */
  static async create(gates: GatesInput | undefined, environment: Partial<EnvironmentInput> = {}): Promise<GateScenario> {
    const repo = await TempRepository.create('master');
    const deployed = await repo.commit('Shop as it runs', { 'README.md': 'shop\n', 'migrations/0001_init.sql': 'CREATE TABLE posts (id int);\n' });
    const provider = new FakeProvider();
    provider.seed('production', { commit: deployed });
    const ws = await FakeWorkspace.create(repo, { config: { app: 'shop', environments: { production: { branch: 'master', ...environment, gates } } }, provider, initiator: 'carol' });
    return new GateScenario(repo, ws, provider, deployed);
  }

  get env(): Environment {
    return this.ws.environment('production');
  }

  get deps(): FakeGateDependencies {
    return this.ws.gateDependencies;
  }

  get github(): FakePullRequests {
    return this.deps.github;
  }

  /** Squash-merges pull request `number` onto master: one commit with `files`, recorded as the PR's merge commit. */
  async merge(number: number, files: Record<string, string> = { [`change-${number}.txt`]: `${number}\n` }, pull: Partial<PullRequest> = {}): Promise<{ sha: string; pull: PullRequest }> {
    const sha = await this.repo.commit(`${pull.title ?? `Change ${number}`} (#${number})`, files);
    return { sha, pull: this.github.addPull({ number, baseRef: 'master', mergeCommitSha: sha, ...pull }, [sha]) };
  }

  /** A commit pushed straight to master, without a pull request. */
  async push(message: string, files: Record<string, string> = { [`${message.replace(/\W+/g, '-')}.txt`]: 'x\n' }): Promise<string> {
    return this.repo.commit(message, files);
  }

  async judge(options: { overrides?: GateOverride[]; only?: GateName[]; ref?: string } = {}): Promise<GateReport> {
    const target = await this.ws.git.commitInfo(options.ref ?? 'refs/heads/master');
    return runGates(this.ws, this.env, this.provider, target, { overrides: options.overrides, only: options.only, initiator: 'carol' }, this.deps);
  }

  dispose(): Promise<void> {
    return this.repo.dispose();
  }
}

/** The verdict of one gate in a report. */
export function gate(report: GateReport, name: GateName) {
  const found = report.gates.find((g) => g.name === name);
  if (!found) throw new Error(`no ${name} gate in the report`);
  return found;
}
