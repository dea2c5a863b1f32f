// Issue 12.2: the service reports its decision (and category) on each
// moderation answer in response headers, so the local endpoint (and an ALB
// log) can count decisions per side of a canary without reading bodies.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModerationRequest, ModerationResult } from '../../src/moderation/moderator.js';
import { buildApp, type ServiceModerator } from '../../src/service/app.js';
import { createTestStore } from '../store/test-database.js';

/** Rejects texts that mention a scam (category scam), approves the rest (no category). */
const moderator: ServiceModerator = {
  modelVersion: 'header-test',
  moderate(request: ModerationRequest): ModerationResult {
    const scam = /invest/i.test(request.text);
    return {
      ...(request.id === undefined ? {} : { id: request.id }),
      decision: scam ? 'reject' : 'approve',
      category: scam ? 'scam' : null,
      categories: [{ name: 'scam', score: scam ? 0.97 : 0.01 }],
      score: scam ? 0.97 : 0.01,
      reasons: [],
      modelVersion: 'header-test',
    };
  },
};

describe('decision headers over HTTP (issue 12.2)', () => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let app: ReturnType<typeof buildApp>;
  let base: string;

  beforeAll(async () => {
    env = await createTestStore('postgres');
    app = buildApp({ store: env.store, moderator, logger: false, maxTextLength: 1000 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('issue 12.2: POST /v1/moderate says its decision in x-mod-decision and its category in x-mod-category', async () => {
    const rejected = await post('/v1/moderate', { text: 'invest in my coin, 30% a month', id: 'h-1' });
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toMatchObject({ decision: 'reject', category: 'scam' });
    expect(rejected.headers.get('x-mod-decision')).toBe('reject');
    expect(rejected.headers.get('x-mod-category')).toBe('scam');

    const approved = await post('/v1/moderate', { text: 'see you at the station', id: 'h-2' });
    expect(await approved.json()).toMatchObject({ decision: 'approve', category: null });
    expect(approved.headers.get('x-mod-decision')).toBe('approve');
    expect(approved.headers.has('x-mod-category')).toBe(false);
  });

  it('issue 12.2: a retried id is answered its first decision, headers included', async () => {
    const again = await post('/v1/moderate', { text: 'invest in my coin, 30% a month', id: 'h-1' });
    expect(again.headers.get('x-mod-decision')).toBe('reject');
    expect(again.headers.get('x-mod-category')).toBe('scam');
  });

  it('issue 12.2: an answer without a decision (a refused request, a batch) carries no decision header', async () => {
    const conflict = await post('/v1/moderate', { text: 'another text', id: 'h-1' });
    expect(conflict.status).toBe(409);
    expect(conflict.headers.has('x-mod-decision')).toBe(false);
    const invalid = await post('/v1/moderate', { nope: true });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.has('x-mod-decision')).toBe(false);
    const batch = await post('/v1/moderate/batch', { items: [{ text: 'invest now' }, { text: 'hello' }] });
    expect(batch.status).toBe(200);
    expect(batch.headers.has('x-mod-decision')).toBe(false);
  });
});
