// Release gates through the CLI against a GitHub stand-in on loopback (real
// Octokit over HTTP), a Slack receiver, real git history and real PostgreSQL
// for the migration records.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTERNAL_DATABASE_URL, FixtureApp } from '../support/fixture-app.js';
import { GitHubStandIn, SlackReceiver } from '../support/github-stand-in.js';
import { runCli } from '../support/run-cli.js';

const schema = `gates_${randomBytes(4).toString('hex')}`;
const github = new GitHubStandIn('acme', 'shop');
const slack = new SlackReceiver();
let app: FixtureApp;
let db: pg.Client;
let deployed: string;
let prNumber = 10;

function config(): string {
  const url = `${EXTERNAL_DATABASE_URL}${EXTERNAL_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return `app: fixture
github:
  repository: acme/shop
  baseUrl: ${github.baseUrl}
notifications:
  slackWebhookUrl: ${slack.url}
environments:
  stage:
    branch: stage
    instances: 1
    databaseUrl: ${EXTERNAL_DATABASE_URL}
  production:
    branch: master
    aliases: [prod]
    instances: 1
    databaseUrl: ${url}
    healthCheck:
      intervalSeconds: 0.2
      healthyThreshold: 1
    gates:
      ticket: {}
      peer-review: {}
      migrations: {}
      approval:
        approvers: [manager-mia]
      window: false
`;
}

const env = { GITHUB_TOKEN: 'ghp_test' };
const gates = (args: string[], extraEnv: Record<string, string> = env) => runCli(['gates', '--env', 'production', '--json', ...args], { cwd: app.dir, env: extraEnv });
type Report = { passed: boolean; gates: { name: string; status: string; reason: string; fix: string | null }[] };
const gate = (report: Report, name: string) => report.gates.find((g) => g.name === name)!;

/** A feature branch off the deployed commit, merged with --no-ff as PR #n; returns the merge commit. */
async function mergedPull(options: { author?: string; body?: string | null; files?: Record<string, string>; labels?: string[] } = {}) {
  const number = ++prNumber;
  await app.git('checkout', '-q', '-B', `release-${number}`, deployed);
  await app.git('checkout', '-q', '-b', `feature-${number}`);
  for (const [file, content] of Object.entries(options.files ?? { [`change-${number}.txt`]: `${number}\n` })) await app.write(file, content);
  const first = await app.commit(`Feature ${number} part 1`);
  await app.write(`more-${number}.txt`, 'more\n');
  const head = await app.commit(`Feature ${number} part 2`);
  await app.git('checkout', '-q', `release-${number}`);
  await app.git('merge', '-q', '--no-ff', `feature-${number}`, '-m', `Merge pull request #${number}`);
  const merge = (await app.git('rev-parse', 'HEAD')).trim();
  github.addPull({ number, title: `Feature ${number}`, body: options.body === undefined ? `Implements SHOP-${number}.` : options.body, author: options.author ?? 'alice', base: 'master', headSha: head, mergeCommitSha: merge, labels: options.labels }, [merge]);
  return { number, first, head, merge, ref: `release-${number}` };
}

const approve = (user: string, commitId: string, at = '2026-11-20T00:00:00Z') => ({ user, state: 'APPROVED' as const, commitId, submittedAt: at });

beforeAll(async () => {
  await github.start();
  await slack.start();
  db = new pg.Client({ connectionString: EXTERNAL_DATABASE_URL });
  await db.connect();
  await db.query(`CREATE SCHEMA ${schema}`);
  await db.query(`CREATE TABLE ${schema}.schema_migrations (version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  app = await FixtureApp.create({ instances: 1 });
  await app.git('checkout', '-q', '-b', 'master');
  await app.write('mod.config.yml', config());
  deployed = await app.commit('Configure release gates');
});
afterAll(async () => {
  await app?.dispose();
  await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.end();
  await github.stop();
  await slack.stop();
});

describe('release gates', () => {
  it('refuses an unreviewed first deploy with exit 3, and lets it through with a recorded, notified override', async () => {
    const refused = await runCli(['deploy', '--env', 'production', '--yes', '--json'], { cwd: app.dir, env });
    expect(refused.exitCode).toBe(3);
    const body = refused.json<Report & { error: { code: string; exitCode: number } }>();
    expect(body.error).toMatchObject({ code: 'GATE_REFUSED', exitCode: 3 });
    expect(gate(body, 'peer-review')).toMatchObject({ status: 'fail', reason: expect.stringContaining('pushed without a pull request') });
    expect(refused.stderr).toContain('gate peer-review: FAIL');
    expect(slack.messages.at(-1)!.text).toContain('Release gates refused the deploy');

    const noReason = await runCli(['deploy', '--env', 'production', '--yes', '--override', 'ticket'], { cwd: app.dir, env });
    expect(noReason.exitCode).toBe(2);

    const forced = await runCli(['deploy', '--env', 'production', '--yes', '--json', '--override', 'ticket', '--override', 'peer-review', '--override', 'approval', '--reason', 'bootstrap: first release'], { cwd: app.dir, env });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('gate peer-review: OVERRIDDEN by');
    const history = await runCli(['history', '--env', 'production', '--json'], { cwd: app.dir, env });
    const record = history.json<{ deployments: { status: string; reason: string; gates: { name: string; status: string; overridden: { reason: string; by: string } | null }[] }[] }>().deployments[0]!;
    expect(record).toMatchObject({ status: 'Succeeded', reason: 'bootstrap: first release' });
    expect(record.gates.find((g) => g.name === 'peer-review')).toMatchObject({ status: 'pass', overridden: { reason: 'bootstrap: first release', by: expect.any(String) } });
    expect(record.gates.find((g) => g.name === 'migrations')).toMatchObject({ status: 'pass' });
    const texts = slack.messages.map((m) => m.text);
    expect(texts.some((t) => t.includes('Release gate overridden') && t.includes('peer-review overridden by') && t.includes('bootstrap: first release'))).toBe(true);
    expect(texts.some((t) => t.includes('Deploy started'))).toBe(true);
    expect(texts.at(-1)).toMatch(/Deploy succeeded\* — production[\s\S]*status Succeeded/);
  });

  it('passes a change whose PR links a ticket and is approved on its last commit by a peer and a manager', async () => {
    const pr = await mergedPull();
    github.reviews.set(pr.number, [approve('bob', pr.head), approve('manager-mia', pr.head, '2026-11-20T01:00:00Z')]);
    const run = await gates(['--ref', pr.ref]);
    expect(run.exitCode, run.stderr).toBe(0);
    const report = run.json<Report>();
    expect(report.passed).toBe(true);
    expect(gate(report, 'ticket')).toMatchObject({ status: 'pass', reason: `1 PR(s) link a ticket: #${pr.number}` });
    expect(gate(report, 'peer-review')).toMatchObject({ status: 'pass', reason: `#${pr.number} approved by bob, manager-mia` });
    expect(gate(report, 'approval')).toMatchObject({ status: 'pass' });
    expect(gate(report, 'window')).toMatchObject({ status: 'skipped' });
  });

  it('accepts an approval by a member of the approvers team, and refuses the author approving themselves', async () => {
    github.teams.set('acme/release-managers', ['lead-lee']);
    // The gates are judged by mod.config.yml as committed in the judged revision: the PRs carry the team setting.
    const teamConfig = config().replace('        approvers: [manager-mia]', '        approvers: []\n        team: acme/release-managers');
    const own = await mergedPull({ author: 'lead-lee', files: { 'mod.config.yml': teamConfig, 'own.txt': 'own\n' } });
    const other = await mergedPull({ files: { 'mod.config.yml': teamConfig, 'other.txt': 'other\n' } });
    github.reviews.set(own.number, [approve('bob', own.head), approve('lead-lee', own.head)]);
    github.reviews.set(other.number, [approve('bob', other.head), approve('lead-lee', other.head)]);
    expect(gate((await gates(['--ref', own.ref])).json<Report>(), 'approval')).toMatchObject({ status: 'fail', reason: `no approver's approval on #${own.number}` });
    expect(gate((await gates(['--ref', other.ref])).json<Report>(), 'approval')).toMatchObject({ status: 'pass', reason: `approved: #${other.number} by lead-lee` });
  });

  it('refuses a PR without a ticket link', async () => {
    const pr = await mergedPull({ body: 'Small tweak, see chat.' });
    github.reviews.set(pr.number, [approve('bob', pr.head), approve('manager-mia', pr.head)]);
    const run = await gates(['--ref', pr.ref]);
    expect(run.exitCode).toBe(3);
    expect(gate(run.json<Report>(), 'ticket')).toMatchObject({ status: 'fail', reason: `#${pr.number} "Feature ${pr.number}" links no ticket` });
  });

  it('refuses an LGTM label the author added themselves, and accepts one added by a peer', async () => {
    const pr = await mergedPull({ labels: ['LGTM'] });
    github.events.set(pr.number, [{ event: 'labeled', label: 'LGTM', actor: 'alice', createdAt: '2026-11-20T00:00:00Z' }]);
    github.reviews.set(pr.number, [approve('manager-mia', pr.first), { user: 'alice', state: 'APPROVED', commitId: pr.head, submittedAt: '2026-11-20T02:00:00Z' }]);
    const self = gate((await gates(['--ref', pr.ref])).json<Report>(), 'peer-review');
    expect(self).toMatchObject({ status: 'fail', reason: `#${pr.number}: the LGTM label was added by its author alice` });

    github.events.set(pr.number, [
      { event: 'labeled', label: 'LGTM', actor: 'alice', createdAt: '2026-11-20T00:00:00Z' },
      { event: 'unlabeled', label: 'LGTM', actor: 'carol', createdAt: '2026-11-20T00:10:00Z' },
      { event: 'labeled', label: 'LGTM', actor: 'carol', createdAt: '2026-11-20T00:20:00Z' },
    ]);
    expect(gate((await gates(['--ref', pr.ref])).json<Report>(), 'peer-review')).toMatchObject({ status: 'pass', reason: `#${pr.number} labelled LGTM by carol` });
  });

  it('refuses an approval given before later commits, reading every page of reviews', async () => {
    const pr = await mergedPull();
    const chatter = Array.from({ length: 130 }, (_, i) => ({ user: `reader${i}`, state: 'COMMENTED' as const, commitId: pr.head, submittedAt: '2026-11-19T00:00:00Z' }));
    github.reviews.set(pr.number, [...chatter, approve('bob', pr.first), approve('manager-mia', pr.first)]);
    const before = github.requests.length;
    const report = (await gates(['--ref', pr.ref])).json<Report>();
    expect(gate(report, 'peer-review')).toMatchObject({ status: 'fail', reason: `#${pr.number}: approved by bob, manager-mia before later commits` });
    expect(github.requests.slice(before).filter((r) => r === `GET /repos/acme/shop/pulls/${pr.number}/reviews`).length).toBeGreaterThanOrEqual(2);

    github.reviews.set(pr.number, [...chatter, approve('bob', pr.first), approve('manager-mia', pr.first), approve('bob', pr.head, '2026-11-21T00:00:00Z')]);
    expect(gate((await gates(['--ref', pr.ref])).json<Report>(), 'peer-review')).toMatchObject({ status: 'pass', reason: `#${pr.number} approved by bob` });
  });

  it('refuses a migration not yet applied to the production database, and accepts it once applied (real PostgreSQL)', async () => {
    const sql = 'CREATE INDEX posts_created_at ON posts (created_at);\n';
    const pr = await mergedPull({ files: { 'migrations/0007_index_posts.sql': sql } });
    github.reviews.set(pr.number, [approve('bob', pr.head), approve('manager-mia', pr.head)]);
    const pending = (await gates(['--ref', pr.ref])).json<Report>();
    expect(gate(pending, 'migrations')).toMatchObject({ status: 'fail', reason: "0007_index_posts.sql is not applied on production's database" });

    await db.query(`INSERT INTO ${schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, ['0007', 'index_posts', createHash('sha256').update(sql).digest('hex')]);
    const applied = await gates(['--ref', pr.ref]);
    expect(gate(applied.json<Report>(), 'migrations')).toMatchObject({ status: 'pass', reason: '0007_index_posts.sql applied' });
    expect(applied.exitCode).toBe(0);
  });

  it('fails gates that cannot be judged: no GitHub token, rate limit', async () => {
    const pr = await mergedPull();
    const noToken = (await gates(['--ref', pr.ref], { GH_TOKEN: '', PATH: '/nonexistent' })).json<Report>();
    expect(gate(noToken, 'ticket')).toMatchObject({ status: 'fail', reason: 'cannot be judged: no GitHub token', fix: 'set GITHUB_TOKEN, or log in with gh auth login' });
    github.rateLimited = true;
    try {
      const limited = (await gates(['--ref', pr.ref])).json<Report>();
      expect(gate(limited, 'peer-review').reason).toContain('GitHub rate limit reached');
    } finally {
      github.rateLimited = false;
    }
  });

  it('review-pr posts APPROVE or REQUEST_CHANGES with the checklist, and skips PRs to other branches', async () => {
    const good = await mergedPull();
    github.reviews.set(good.number, [approve('bob', good.head), approve('manager-mia', good.head)]);
    const approved = await runCli(['review-pr', String(good.number), '--json'], { cwd: app.dir, env });
    expect(approved.exitCode, approved.stderr).toBe(0);
    expect(approved.json()).toMatchObject({ pullRequest: good.number, environment: 'production', event: 'APPROVE', skipped: false });
    expect(github.posted.at(-1)).toMatchObject({ number: good.number, event: 'APPROVE', body: expect.stringContaining('- [x] **ticket**') });

    const bad = await mergedPull({ body: null });
    await runCli(['review-pr', String(bad.number)], { cwd: app.dir, env });
    expect(github.posted.at(-1)).toMatchObject({ number: bad.number, event: 'REQUEST_CHANGES', body: expect.stringContaining('- [ ] **ticket**') });

    github.addPull({ number: 99, title: 'Experiment', body: 'SHOP-1', author: 'alice', base: 'develop', headSha: bad.head }, []);
    const posted = github.posted.length;
    const skipped = await runCli(['review-pr', '99', '--json'], { cwd: app.dir, env });
    expect(skipped.json()).toMatchObject({ skipped: true, reason: '#99 targets develop, which no environment deploys' });
    expect(github.posted.length).toBe(posted);
  });

  it('never fails a deploy because Slack is down', async () => {
    slack.failWith = 500;
    try {
      const run = await runCli(['deploy', '--env', 'stage', '--json'], { cwd: app.dir, env });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stderr).toContain('Slack notification (deploy.started) failed');
    } finally {
      slack.failWith = undefined;
    }
  });
});
