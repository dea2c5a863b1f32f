// The dashboard's counts (issue 15) on real PostgreSQL and PGlite: posts per
// UTC hour, decision and category inside the window only, labels per hour
// (each moderator's label), the pending queue's depth and oldest item, the
// service events of the window oldest first and what each instance ran
// before it. (The plans: dashboard-stats-plan.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewPost } from '../../src/moderation/post-records.js';
import type { Decision } from '../../src/moderation/thresholds.js';
import { readDashboardCounts } from '../../src/store/dashboard-stats-store.js';
import { createTestStore, type Backend } from './test-database.js';

const t0 = new Date('2026-05-01T00:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const hour = (h: number) => at(h * 60);

function post(id: string, decision: Decision, category: NewPost['category'] = null): NewPost {
  return { id, kind: null, userId: null, text: `text of ${id}`, decision, category, categories: [], score: 0.5, reasons: [], modelVersion: 'm1' };
}

describe.each<Backend>(['postgres', 'pglite'])('dashboard counts on %s', (backend) => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  const window = { from: hour(1), to: hour(4) };

  beforeAll(async () => {
    env = await createTestStore(backend);
    const s = env.store;
    await s.recordPosts([post('early', 'review', 'spam')], at(30)); // before the window: counted nowhere, but pending
    await s.recordPosts([post('a1', 'approve'), post('a2', 'approve'), post('r1', 'review', 'spam'), post('x1', 'reject', 'scam')], at(70));
    await s.recordPosts([post('r2', 'review', 'contact')], at(185));
    await s.recordPosts([post('late', 'reject', 'abuse')], at(245)); // at `to` or after: not in the window
    await s.decideReview('r1', 'alice', 'ng', 'spam', at(135));
    await s.decideReview('early', 'bob', 'ok', null, at(140));
    await s.decideReview('r2', 'alice', 'ng', 'contact', at(250)); // after the window
    await s.recordServiceEvent({ at: at(10), instance: 'i-1', revision: 'aaa', model: 'm1', event: 'start' });
    await s.recordServiceEvent({ at: at(15), instance: 'i-9', revision: 'aaa', model: 'm0', event: 'start' }); // not seen in the window
    await s.recordServiceEvent({ at: at(80), instance: 'i-1', revision: 'bbb', model: 'm1', event: 'start' });
    await s.recordServiceEvent({ at: at(85), instance: 'i-2', revision: 'bbb', model: 'm1', event: 'start' });
    await s.recordServiceEvent({ at: at(120), instance: 'i-1', revision: 'bbb', model: 'm2', releaseId: 'rel-2', event: 'model-swap' });
    await s.recordServiceEvent({ at: at(240), instance: 'i-2', revision: 'ccc', model: 'm2', event: 'start' }); // at `to`: outside
  });
  afterAll(async () => {
    await env?.close();
  });

  it('counts posts per UTC hour, decision and category inside [from, to) only', async () => {
    const counts = await readDashboardCounts(env.store.pool, window);
    const rows = counts.posts.map((r) => [r.hour.toISOString(), r.decision, r.category, r.count]).sort((a, b) => String(a).localeCompare(String(b)));
    expect(rows).toEqual(
      [
        [hour(1).toISOString(), 'approve', null, 2],
        [hour(1).toISOString(), 'reject', 'scam', 1],
        [hour(1).toISOString(), 'review', 'spam', 1],
        [hour(3).toISOString(), 'review', 'contact', 1],
      ].sort((a, b) => String(a).localeCompare(String(b))),
    );
  });

  it('counts labels per hour of the label, whatever the post was', async () => {
    const counts = await readDashboardCounts(env.store.pool, window);
    expect(counts.labels.map((r) => [r.hour.toISOString(), r.count])).toEqual([[hour(2).toISOString(), 2]]);
  });

  it('reads the queue as it is now: depth and the oldest pending item', async () => {
    const counts = await readDashboardCounts(env.store.pool, window);
    // early, r1 and r2 are all decided (r2 after the window: the queue is now, not the window).
    expect(counts.queue).toEqual({ depth: 0, oldestEnqueuedAt: null });
    await env.store.recordPosts([post('q1', 'review', 'spam')], at(300));
    await env.store.recordPosts([post('q2', 'review', 'spam')], at(310));
    const later = await readDashboardCounts(env.store.pool, window);
    expect(later.queue).toEqual({ depth: 2, oldestEnqueuedAt: at(300) });
  });

  it("lists the window's service events oldest first, and what each instance seen in it ran before", async () => {
    const counts = await readDashboardCounts(env.store.pool, window);
    expect(counts.events.map((e) => [e.at.toISOString(), e.instance, e.revision, e.model, e.event])).toEqual([
      [at(80).toISOString(), 'i-1', 'bbb', 'm1', 'start'],
      [at(85).toISOString(), 'i-2', 'bbb', 'm1', 'start'],
      [at(120).toISOString(), 'i-1', 'bbb', 'm2', 'model-swap'],
    ]);
    // i-1's last event before the window, and the fleet's last (i-9's); i-2 had none.
    expect(counts.before.map((e) => [e.at.toISOString(), e.instance, e.revision, e.model])).toEqual([
      [at(10).toISOString(), 'i-1', 'aaa', 'm1'],
      [at(15).toISOString(), 'i-9', 'aaa', 'm0'],
    ]);
    const release = await env.db.admin("SELECT release_id FROM service_events WHERE event = 'model-swap'");
    expect(release.rows).toEqual([{ release_id: 'rel-2' }]);
  });

  it('counts whole UTC hours whatever the session time zone', async () => {
    if (backend === 'pglite') {
      // One shared session: set it, read, set it back.
      await env.db.admin("SET TIME ZONE 'Asia/Kolkata'");
      try {
        const counts = await readDashboardCounts(env.store.pool, window);
        expect(counts.posts.map((r) => r.hour.toISOString()).sort()).toEqual([hour(1), hour(1), hour(1), hour(3)].map((d) => d.toISOString()));
      } finally {
        await env.db.admin('SET TIME ZONE UTC');
      }
      return;
    }
    const client = await env.store.pool.connect();
    try {
      await client.query("SET TIME ZONE 'Asia/Kolkata'");
      const counts = await readDashboardCounts(client, window);
      expect(counts.posts.map((r) => r.hour.toISOString()).sort()).toEqual([hour(1), hour(1), hour(1), hour(3)].map((d) => d.toISOString()));
    } finally {
      await client.query('RESET TIME ZONE');
      client.release();
    }
  });

  it('refuses an event word the table does not know', async () => {
    await expect(env.store.recordServiceEvent({ at: at(5), instance: 'i-1', revision: null, model: 'm1', event: 'restart' as 'start' })).rejects.toThrow(/service_events_event_check/);
  });
});
