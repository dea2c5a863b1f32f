// Approvals recorded in Slack and the approval gate: a recorded approval of
// exactly the environment and target commit passes the gate when its
// approver has the approver role, is one of the configured approvers and
// authored nothing in the change (no PR, no commit, authors as GitHub
// resolves them); otherwise the gate behaves as before. Real git repository, fake GitHub and provider.
import { afterEach, describe, expect, it } from 'vitest';
import { approverRefusal, fileChatApprovals } from '../../src/delivery/chat-approvals.js';
import { gateContext, runGates } from '../../src/delivery/gates/run-gates.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';

let repo: TempRepository;
afterEach(() => repo.dispose());

const users = {
  U0ALICE: { github: 'alice', roles: ['deployer' as const, 'approver' as const] },
  U0BOB: { github: 'Bob', roles: ['releaser' as const, 'approver' as const] },
  U0DAN: { github: 'dan', roles: ['releaser' as const] },
  U0EVE: { github: 'eve', roles: ['approver' as const] },
};

async function scenario(approvers: string[] = ['alice', 'bob']) {
  repo = await TempRepository.create('master');
  const deployed = await repo.commit('As it runs', { 'README.md': 'x\n' });
  const provider = new FakeProvider();
  provider.seed('production', { commit: deployed });
  const ws = await FakeWorkspace.create(repo, { config: { app: 'shop', chatops: { users }, environments: { production: { branch: 'master', gates: { approval: { approvers } } } } }, provider });
  // Alice Author <alice@example.com> (TempRepository's author) writes the change, as PR #7.
  const target = await repo.commit('Change (#7)', { 'a.txt': 'a\n' });
  ws.gateDependencies.github.addPull({ number: 7, baseRef: 'master', mergeCommitSha: target, author: 'carla' }, [target]);
  ws.gateDependencies.github.commitAuthors.set(target, 'alice');
  const env = ws.environment('production');
  const commit = await ws.git.commitInfo(target);
  const judge = async () => (await runGates(ws, env, provider, commit, { initiator: 'carol' }, ws.gateDependencies)).gates.find((g) => g.name === 'approval')!;
  const approve = (slackUser: string, github: string, commitSha = target) => fileChatApprovals(ws.paths).record('production', commitSha, { requestId: 'r1', slackUser, github, approvedAt: ws.gateDependencies.now().toISOString() });
  const refusal = async (slackUser: string) => approverRefusal(await gateContext(ws, env, provider, commit, ws.gateDependencies), { approvers }, slackUser);
  return { ws, repo, env, provider, target, judge, approve, refusal };
}

describe('chat approvals and the approval gate', () => {
  it('passes on an approval in Slack by an approver who wrote nothing of the change', async () => {
    const s = await scenario();
    expect((await s.judge()).status).toBe('fail');
    await s.approve('U0BOB', 'Bob');
    expect(await s.judge()).toMatchObject({ status: 'pass', reason: 'approved in Slack by Bob (U0BOB)' });
  });

  it("does not count the author's own approval, nor one of another commit", async () => {
    const s = await scenario();
    await s.approve('U0ALICE', 'alice');
    await s.approve('U0BOB', 'Bob', 'f'.repeat(40));
    expect((await s.judge()).status).toBe('fail');
    expect(await s.refusal('U0ALICE')).toBe('alice authored part of this change, and nobody approves their own change');
  });

  it('refuses who lacks the approver role, is not a configured approver, or authored the pull request', async () => {
    const s = await scenario(['alice', 'bob', 'dan', 'carla']);
    expect(await s.refusal('U0DAN')).toContain('does not have the approver role');
    expect(await s.refusal('U0NOBODY')).toContain('not in chatops.users');
    expect(await s.refusal('U0BOB')).toBeUndefined();
    s.ws.config.chatops.users.U0CARLA = { github: 'carla', roles: ['approver'] };
    expect(await s.refusal('U0CARLA')).toContain('carla authored part of this change');
    await s.approve('U0EVE', 'eve');
    expect(await s.refusal('U0EVE')).toContain("not one of production's approvers");
    expect((await s.judge()).status).toBe('fail');
  });

  it('lets any approver-role user approve when no approvers are configured', async () => {
    const s = await scenario([]);
    expect(await s.judge()).toMatchObject({ status: 'fail', reason: 'no approvers are configured' });
    await s.approve('U0EVE', 'eve');
    expect((await s.judge()).status).toBe('pass');
  });

  it('ignores a Slack approval older than chatops.approvalTtlHours (default 24), saying so', async () => {
    const s = await scenario();
    const old = new Date(s.ws.gateDependencies.now().getTime() - 25 * 3_600_000).toISOString();
    await fileChatApprovals(s.ws.paths).record('production', s.target, { requestId: 'r1', slackUser: 'U0BOB', github: 'Bob', approvedAt: old });
    const gate = await s.judge();
    expect(gate.status).toBe('fail');
    expect(gate.reason).toContain(`the Slack approval by Bob at ${old} is older than 24 h (chatops.approvalTtlHours) and no longer counts: ask again with /mod deploy production`);
    s.ws.config.chatops.approvalTtlHours = 48;
    expect(await s.judge()).toMatchObject({ status: 'pass', reason: 'approved in Slack by Bob (U0BOB)' });
  });

  it('takes authors from GitHub, not git: a forged git author is still its GitHub author', async () => {
    const s = await scenario();
    // Bob pushes a commit straight to master, claiming in git to be Carol.
    await s.repo.write('b.txt', 'b\n');
    await s.repo.sh('add', '-A');
    await s.repo.sh('commit', '-q', '-m', 'Hotfix', '--author', 'Carol <carol@example.com>');
    const forged = await s.repo.head();
    s.ws.gateDependencies.github.commitAuthors.set(forged, 'BOB');
    const commit = await s.ws.git.commitInfo(forged);
    const refusal = await approverRefusal(await gateContext(s.ws, s.env, s.provider, commit, s.ws.gateDependencies), { approvers: ['alice', 'bob'] }, 'U0BOB');
    expect(refusal).toBe('Bob authored part of this change, and nobody approves their own change');
  });

  it('refuses every chat approval when GitHub cannot tell who wrote a commit (tied to no account, or not on GitHub)', async () => {
    const s = await scenario();
    const unlinked = await s.repo.commit('Pushed without a PR', { 'c.txt': 'c\n' });
    s.ws.gateDependencies.github.commitAuthors.set(unlinked, null);
    const context = async (sha: string) => gateContext(s.ws, s.env, s.provider, await s.ws.git.commitInfo(sha), s.ws.gateDependencies);
    expect(await approverRefusal(await context(unlinked), { approvers: ['alice', 'bob'] }, 'U0BOB')).toBe(
      `cannot tell who wrote ${unlinked.slice(0, 8)}: GitHub ties its author Alice Author <alice@example.com> to no account (an approver may approve only a change whose every author GitHub knows; approve its pull request on GitHub instead)`,
    );
    const unknown = await s.repo.commit('Never pushed', { 'd.txt': 'd\n' });
    expect(await approverRefusal(await context(unknown), { approvers: ['alice', 'bob'] }, 'U0BOB')).toContain(`cannot tell who wrote ${unknown.slice(0, 8)}: No commit found for SHA: ${unknown}`);
    // Recorded anyway (by hand), it does not pass the gate.
    await fileChatApprovals(s.ws.paths).record('production', unknown, { requestId: 'r2', slackUser: 'U0BOB', github: 'Bob', approvedAt: s.ws.gateDependencies.now().toISOString() });
    const gate = (await runGates(s.ws, s.env, s.provider, await s.ws.git.commitInfo(unknown), { initiator: 'carol' }, s.ws.gateDependencies)).gates.find((g) => g.name === 'approval')!;
    expect(gate.status).toBe('fail');
  });

  it('a commit without a pull request is covered by a Slack approval when GitHub knows its author and it is not the approver', async () => {
    const s = await scenario();
    const direct = await s.repo.commit('Pushed without a PR', { 'c.txt': 'c\n' });
    s.ws.gateDependencies.github.commitAuthors.set(direct, 'carla');
    await fileChatApprovals(s.ws.paths).record('production', direct, { requestId: 'r3', slackUser: 'U0BOB', github: 'Bob', approvedAt: s.ws.gateDependencies.now().toISOString() });
    const gate = (await runGates(s.ws, s.env, s.provider, await s.ws.git.commitInfo(direct), { initiator: 'carol' }, s.ws.gateDependencies)).gates.find((g) => g.name === 'approval')!;
    expect(gate).toMatchObject({ status: 'pass', reason: 'approved in Slack by Bob (U0BOB)' });
  });
});
