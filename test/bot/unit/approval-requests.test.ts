// The approval requests' state in .mod: a request is found again by a new
// store (a restarted bot), and of two concurrent answers exactly one stands,
// whichever store (process) gives it.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileApprovalRequests, type ApprovalRequest } from '../../../src/bot/approval-requests.js';
import { StatePaths } from '../../../src/delivery/state-paths.js';

let dir: string;
afterEach(() => rm(dir, { recursive: true, force: true }));

const request = (id: string): ApprovalRequest => ({ schemaVersion: 1, id, environment: 'production', commit: 'a'.repeat(40), requester: 'U0ALICE', channel: 'C0DEPLOYS', requestedAt: new Date().toISOString() });
const answer = (state: 'approved' | 'rejected', slackUser: string) => ({ state, slackUser, github: slackUser.slice(2).toLowerCase(), at: new Date().toISOString() });

describe('approval requests in the local state', () => {
  it('keeps a request and its answer across stores, and the first answer stands', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mod-requests-'));
    const id = '6f1c2a9e-0b8d-4c3e-9f1a-2b3c4d5e6f70';
    await fileApprovalRequests(new StatePaths(dir)).save(request(id));
    const restarted = fileApprovalRequests(new StatePaths(dir));
    expect(await restarted.get(id)).toEqual({ request: expect.objectContaining({ id, commit: 'a'.repeat(40), requester: 'U0ALICE' }) });
    expect(await restarted.answer(id, answer('rejected', 'U0BOB'))).toMatchObject({ first: true, answer: { state: 'rejected', slackUser: 'U0BOB' } });
    expect(await fileApprovalRequests(new StatePaths(dir)).answer(id, answer('approved', 'U0EVE'))).toMatchObject({ first: false, answer: { state: 'rejected', slackUser: 'U0BOB' } });
    expect((await fileApprovalRequests(new StatePaths(dir)).get(id))!.answer).toMatchObject({ state: 'rejected', github: 'bob' });
    expect(await restarted.get('not-a-request-id')).toBeUndefined();
  });

  it('of many concurrent answers (two bots, or two clicks at once) exactly one wins, and no temporary file is left', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mod-requests-'));
    const id = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    await fileApprovalRequests(new StatePaths(dir)).save(request(id));
    const users = ['U0BOB', 'U0EVE', 'U0DAN', 'U0ANN', 'U0JOE', 'U0KIM'];
    const results = await Promise.all(users.map((u, i) => fileApprovalRequests(new StatePaths(dir)).answer(id, answer(i % 2 ? 'rejected' : 'approved', u))));
    const winners = results.filter((r) => r.first);
    expect(winners).toHaveLength(1);
    for (const r of results) expect(r.answer).toEqual(winners[0]!.answer);
    expect((await readdir(path.join(dir, 'approvals', 'requests'))).sort()).toEqual([`${id}.answer.json`, `${id}.json`]);
  });
});
