// Approvals recorded in Slack and the approval gate: a recorded approval of
// exactly the environment and target commit passes the gate when its
// approver has the approver role, is one of the configured approvers and
// authored nothing in the change (no PR, no commit); otherwise the gate
// behaves as before. Real git repository, fake GitHub and provider.
import { afterEach, describe, expect, it } from 'vitest';
import { approverRefusal, commitAuthorLogin, fileChatApprovals } from '../../../src/delivery/chat-approvals.js';
import { gateContext, runGates } from '../../../src/delivery/gates/run-gates.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { FakeWorkspace } from '../../fakes/fake-workspace.js';
import { TempRepository } from '../../fakes/temp-repository.js';

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
  const env = ws.environment('production');
  const commit = await ws.git.commitInfo(target);
  const judge = async () => (await runGates(ws, env, provider, commit, { initiator: 'carol' }, ws.gateDependencies)).gates.find((g) => g.name === 'approval')!;
  const approve = (slackUser: string, github: string, commitSha = target) => fileChatApprovals(ws.paths).record('production', commitSha, { requestId: 'r1', slackUser, github, approvedAt: '2026-12-02T10:00:00Z' });
  const refusal = async (slackUser: string) => approverRefusal(await gateContext(ws, env, provider, commit, ws.gateDependencies), { approvers }, slackUser);
  return { ws, target, judge, approve, refusal };
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

  it("matches a commit's author to a GitHub login by noreply address, name or email", () => {
    const commit = { commit: 'a'.repeat(40), subject: 's', date: '', parents: [] };
    expect(commitAuthorLogin({ ...commit, author: 'Someone', authorEmail: '123+Octo-Cat@users.noreply.github.com' }, {})).toBe('octo-cat');
    expect(commitAuthorLogin({ ...commit, author: 'Alice Author', authorEmail: 'alice@example.com' }, users)).toBe('alice');
    expect(commitAuthorLogin({ ...commit, author: 'bob', authorEmail: 'b@example.com' }, users)).toBe('bob');
    expect(commitAuthorLogin({ ...commit, author: 'Zed', authorEmail: 'zed@example.com' }, users)).toBeUndefined();
  });
});
