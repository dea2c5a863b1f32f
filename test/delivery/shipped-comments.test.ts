// The "deployed to <env> in <id>" comments (src/delivery/shipped-comments.ts)
// through deploy() with every outside service faked: which pull requests get
// one (those of the change, found as the gates find them), only for succeeded
// production-like deploys, once per deployment, and never at the cost of the
// deploy when GitHub cannot be used.
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploy } from '../../src/delivery/deploy.js';
import { commentShippedPullRequests, shippedComment } from '../../src/delivery/shipped-comments.js';
import { GitHubUnavailableError } from '../../src/github/octokit-pull-requests.js';
import { FakeDeliveryEvents } from '../fakes/fake-delivery-events.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace, type ConfigInput } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';

const CONFIG: ConfigInput = {
  app: 'shop',
  environments: {
    stage: { branch: 'stage', instances: 1 },
    // No gates here: test/bot/github-shipped-comments.test.ts deploys through them.
    production: { branch: 'master', aliases: ['prod'], instances: 1, gates: {} },
    live: { branch: 'live', instances: 1, requireConfirmation: true },
  },
};
const SPECS = {
  'buildspec.yml': 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo built\nartifacts:\n  files:\n    - "**/*"\n',
  'appspec.yml': 'version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: start.sh\n',
};

let repo: TempRepository;
let provider: FakeProvider;
let ws: FakeWorkspace;
let events: FakeDeliveryEvents;

/** A feature branch merged into master with --no-ff as PR #number (its merge commit is master's new head). */
async function mergePull(number: number, author = 'alice'): Promise<string> {
  await repo.sh('checkout', '-q', '-b', `feature-${number}`);
  await repo.commit(`Feature ${number}`, { [`f${number}.txt`]: `${number}\n` });
  await repo.sh('checkout', '-q', 'master');
  await repo.sh('merge', '-q', '--no-ff', `feature-${number}`, '-m', `Merge pull request #${number}`);
  const merge = await repo.head();
  ws.gateDependencies.github.addPull({ number, author, baseRef: 'master', mergeCommitSha: merge }, [merge]);
  return merge;
}

beforeEach(async () => {
  repo = await TempRepository.create('master');
  await repo.write('start.sh', '#!/bin/sh\necho started\n');
  await chmod(path.join(repo.dir, 'start.sh'), 0o755);
  const base = await repo.commit('Base', { 'app.txt': 'v1\n', ...SPECS });
  provider = new FakeProvider();
  provider.seed('production', { commit: base });
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider });
  events = new FakeDeliveryEvents();
});
afterEach(() => repo.dispose());

const run = (environment = 'production') => deploy(ws, { environment, signal: new AbortController().signal, events: events.emit });

describe('"deployed" comments on the pull requests a deploy shipped', () => {
  it('comments "deployed to production in <id>" on each PR of the change, and not on PRs shipped before', async () => {
    await mergePull(7);
    const github = ws.gateDependencies.github;
    const earlier = await run();
    expect(github.commentsOn(7)).toEqual([shippedComment('production', earlier.record.deploymentId)]);

    await mergePull(8, 'bob');
    await mergePull(9);
    const outcome = await run();
    expect(outcome.record.status).toBe('Succeeded');
    const body = `deployed to production in ${outcome.record.deploymentId}`;
    expect(github.commentsOn(8)).toEqual([body]);
    expect(github.commentsOn(9)).toEqual([body]);
    expect(github.commentsOn(7)).toHaveLength(1);
    expect(events.notices('info').map((n) => n.message)).toContain(`commented "${body}" on #8, #9`);
  });

  it('does not comment on an open pull request that contains a shipped commit (only merged ones shipped)', async () => {
    const merge = await mergePull(7);
    // PR #12 is still open; GitHub associates the shipped merge commit with it too (its branch was based on master).
    ws.gateDependencies.github.addPull({ number: 12, author: 'carla', baseRef: 'master', mergeCommitSha: 'e'.repeat(40), mergedAt: null }, [merge]);
    const outcome = await run();
    expect(ws.gateDependencies.github.commentsOn(7)).toEqual([shippedComment('production', outcome.record.deploymentId)]);
    expect(ws.gateDependencies.github.commentsOn(12)).toEqual([]);
  });

  it('comments once per deployment: a re-run finds its comments and posts none', async () => {
    await mergePull(7);
    const outcome = await run();
    const env = ws.environment('production');
    const again = await commentShippedPullRequests(ws, env, provider, outcome.record, events.emit);
    expect(again).toEqual({ commented: [], alreadyCommented: [7] });
    expect(ws.gateDependencies.github.commentsOn(7)).toHaveLength(1);
  });

  it('comments for any production-like environment (requireConfirmation), never for stage or a failed deploy', async () => {
    await repo.sh('checkout', '-q', '-b', 'stage');
    await repo.commit('Stage change', { 'stage.txt': 's\n' });
    const stage = await run('stage');
    expect(stage.record.status).toBe('Succeeded');
    expect(ws.gateDependencies.gitHubOpened).toBe(0);

    await repo.sh('checkout', '-q', 'master');
    await mergePull(7);
    provider.script({ result: 'fail' });
    const failed = await run();
    expect(failed.record.status).not.toBe('Succeeded');
    expect(ws.gateDependencies.github.commentsOn(7)).toEqual([]);

    await repo.sh('branch', 'live', 'master');
    ws.gateDependencies.github.addPull({ number: 30, baseRef: 'live', mergeCommitSha: await repo.head() }, [await repo.head()]);
    const live = await run('live');
    expect(ws.gateDependencies.github.commentsOn(30)).toEqual([`deployed to live in ${live.record.deploymentId}`]);
  });

  it('warns and leaves the deploy succeeded when GitHub cannot be opened or answers with an error', async () => {
    await mergePull(7);
    ws.gateDependencies.gitHubUnavailable = new GitHubUnavailableError('no GitHub token', 'set GITHUB_TOKEN, or log in with gh auth login');
    const noToken = await run();
    expect(noToken.record.status).toBe('Succeeded');
    expect(events.notices('warn').map((n) => n.message)).toContain('no "deployed" comments on the pull requests: no GitHub token (set GITHUB_TOKEN, or log in with gh auth login)');

    ws.gateDependencies.gitHubUnavailable = undefined;
    await mergePull(8);
    ws.gateDependencies.github.commentError = new GitHubUnavailableError('GitHub request for a comment on #7 failed: 502 Server Error');
    const down = await run();
    expect(down.record.status).toBe('Succeeded');
    expect(events.notices('warn').at(-1)!.message).toMatch(/the "deployed" comments on the pull requests failed: .*502 Server Error; the deploy itself succeeded/);
    expect(ws.gateDependencies.github.commentsOn(8)).toEqual([]);
  });
});
