// readModeratorLabels (issue 13, `mod model train --from-db`): every decided
// review in decision order across pages, conflicting reviews left out and
// counted, pending ones never read. Real PostgreSQL and PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewPost } from '../../src/moderation/post-records.js';
import { readModeratorLabels } from '../../src/store/label-reader.js';
import { createTestStore, type Backend } from './test-database.js';

const post = (id: string): NewPost => ({ id, kind: null, userId: null, text: `text of ${id}`, decision: 'review', category: 'spam', categories: [], score: 0.5, reasons: [], modelVersion: 'v1' });
const t0 = new Date('2026-03-01T00:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

describe.each<Backend>(['postgres', 'pglite'])('moderators’ labels on %s', (backend) => {
  let env: Awaited<ReturnType<typeof createTestStore>>;

  beforeAll(async () => {
    env = await createTestStore(backend);
    await env.store.recordPosts(
      Array.from({ length: 7 }, (_, i) => post(`p${i}`)),
      at(0),
    );
    // p0..p4 decided (p2 a conflict), p5 and p6 pending; decided out of id order.
    const decide = (id: string, label: string, category: string | null, minute: number, conflict = false) =>
      env.db.admin(`UPDATE reviews SET state = 'decided', label = $2, category = $3, decided_by = 'ann', decided_at = $4, conflict = $5 WHERE post_id = $1`, [id, label, category, at(minute), conflict]);
    await decide('p3', 'ok', null, 1);
    await decide('p0', 'ng', 'spam', 2);
    await decide('p2', 'ng', 'scam', 3, true);
    await decide('p1', 'ng', 'contact', 3);
    await decide('p4', 'ok', null, 4);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('reads decided, non-conflicting labels oldest first, a page at a time; counts the conflicts', async () => {
    const client = await env.store.pool.connect();
    try {
      for (const pageSize of [1, 2, 1000]) {
        const read = await readModeratorLabels(client, pageSize);
        expect(read.conflictsExcluded).toBe(1);
        expect(read.labels.map((l) => [l.text, l.label, l.category, l.decidedBy, l.decidedAt.toISOString()])).toEqual([
          ['text of p3', 'ok', null, 'ann', at(1).toISOString()],
          ['text of p0', 'ng', 'spam', 'ann', at(2).toISOString()],
          ['text of p1', 'ng', 'contact', 'ann', at(3).toISOString()],
          ['text of p4', 'ok', null, 'ann', at(4).toISOString()],
        ]);
      }
    } finally {
      client.release();
    }
  });
});
