// "deployed to <env> in <id>" on each pull request a production deploy
// shipped, end to end: real git history with --no-ff merges, `mod deploy`
// through the release gates on the real local provider (run in this process,
// as test/e2e/release-gates.test.ts does), and the GitHub stand-in over
// loopback answering the gates and receiving the comments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTERNAL_DATABASE_URL, FixtureApp } from '../support/fixture-app.js';
import { GitHubStandIn } from '../support/github-stand-in.js';
import { runCli } from '../support/run-cli.js';

const github = new GitHubStandIn('acme', 'shop');
const env = { GITHUB_TOKEN: 'ghp_test' };
let app: FixtureApp;
let base: string;
let prNumber = 10;

function config(): string {
  return `app: fixture
github:
  repository: acme/shop
  baseUrl: ${github.baseUrl}
environments:
  production:
    branch: master
    instances: 1
    databaseUrl: ${EXTERNAL_DATABASE_URL}
    healthCheck:
      intervalSeconds: 0.2
      healthyThreshold: 1
    gates:
      ticket: {}
      peer-review: {}
  live:
    branch: live
    requireConfirmation: true
    instances: 1
    databaseUrl: ${EXTERNAL_DATABASE_URL}
    healthCheck:
      intervalSeconds: 0.2
      healthyThreshold: 1
`;
}

/** A feature branch merged into `into` with --no-ff as PR #n (ticket linked, approved by bob on its head). */
async function mergedPull(into = 'master') {
  const number = ++prNumber;
  await app.git('checkout', '-q', into);
  await app.git('checkout', '-q', '-b', `feature-${number}`);
  await app.write(`change-${number}.txt`, `${number}\n`);
  const head = await app.commit(`Feature ${number}`);
  await app.git('checkout', '-q', into);
  await app.git('merge', '-q', '--no-ff', `feature-${number}`, '-m', `Merge pull request #${number}`);
  const merge = (await app.git('rev-parse', 'HEAD')).trim();
  github.addPull({ number, title: `Feature ${number}`, body: `Implements SHOP-${number}.`, author: 'alice', base: into, headSha: head, mergeCommitSha: merge }, [merge]);
  github.reviews.set(number, [{ user: 'bob', state: 'APPROVED', commitId: head, submittedAt: '2026-11-20T00:00:00Z' }]);
  return number;
}

const commentsOn = (number: number) => (github.comments.get(number) ?? []).map((c) => c.body);

async function deploy(environment: string) {
  const run = await runCli(['deploy', '--env', environment, '--yes', '--json'], { cwd: app.dir, env });
  expect(run.exitCode, run.stderr).toBe(0);
  const history = await runCli(['history', '--env', environment, '--json'], { cwd: app.dir, env });
  const latest = history.json<{ deployments: { deploymentId: string; status: string }[] }>().deployments[0]!;
  return { ...latest, stderr: run.stderr };
}

beforeAll(async () => {
  await github.start();
  app = await FixtureApp.create({ instances: 1 });
  await app.git('checkout', '-q', '-b', 'master');
  await app.write('mod.config.yml', config());
  base = await app.commit('Configure GitHub and the release gates');
  // What production already runs: the change of the first deploy below is base..master.
  const initial = (await app.git('rev-list', '--max-parents=0', 'HEAD')).trim();
  github.addPull({ number: 1, title: 'Bootstrap', body: 'SHOP-1', author: 'alice', base: 'master', headSha: base, mergeCommitSha: base }, [initial, base]);
  github.reviews.set(1, [{ user: 'bob', state: 'APPROVED', commitId: base, submittedAt: '2026-11-20T00:00:00Z' }]);
}, 120_000);
afterAll(async () => {
  if (app) for (const environment of ['production', 'live']) await runCli(['stop', '--env', environment, '--yes'], { cwd: app.dir, env }).catch(() => undefined);
  await app?.dispose({ stop: false });
  await github.stop();
}, 120_000);

describe('"deployed" comments after a production deploy', () => {
  it('comments on each pull request the deploy shipped, once, and not again for a redeploy of the same commit', async () => {
    const first = await deploy('production');
    expect(first.status).toBe('Succeeded');
    expect(commentsOn(1)).toEqual([`deployed to production in ${first.deploymentId}`]);

    const a = await mergedPull();
    const b = await mergedPull();
    const second = await deploy('production');
    expect(second.status).toBe('Succeeded');
    expect(commentsOn(a)).toEqual([`deployed to production in ${second.deploymentId}`]);
    expect(commentsOn(b)).toEqual([`deployed to production in ${second.deploymentId}`]);
    expect(commentsOn(1)).toHaveLength(1);
    expect(second.stderr).toContain(`commented "deployed to production in ${second.deploymentId}" on #${a}, #${b}`);
    expect(github.requests).toContain(`POST /repos/acme/shop/issues/${a}/comments`);

    // The same commit again: nothing new shipped, nothing commented.
    const again = await deploy('production');
    expect(again.deploymentId).not.toBe(second.deploymentId);
    expect(commentsOn(a)).toHaveLength(1);
    expect(commentsOn(b)).toHaveLength(1);
  });

  it('still succeeds, with a warning, when GitHub is down after the deploy', async () => {
    await app.git('checkout', '-q', '-B', 'live', 'master');
    const pr = await mergedPull('live');
    github.failWith = 502;
    try {
      const down = await deploy('live');
      expect(down.status).toBe('Succeeded');
      expect(down.stderr).toMatch(/the "deployed" comments on the pull requests failed: .*502.*; the deploy itself succeeded/);
    } finally {
      github.failWith = undefined;
    }
    expect(commentsOn(pr)).toEqual([]);
  });
});
