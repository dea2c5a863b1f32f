// Issue 17.12, the clients that hold connections: one that hangs up in the
// middle of its body is counted as what it is (not as the database being
// unavailable), and slow ones are cut off: headers and whole requests get a
// time limit (408 in the documented shape), idle keep-alive connections
// are closed. Raw sockets on loopback, real PostgreSQL.
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.js';
import { loadModerator } from '../../src/service/moderator.js';
import { createTestStore } from '../store/test-database.js';
import { exchange } from './raw-http.js';

describe('issue 17.12: slow and vanishing clients', () => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let app: ReturnType<typeof buildApp>;
  let port: number;

  beforeAll(async () => {
    env = await createTestStore('postgres');
    app = buildApp({ store: env.store, moderator: await loadModerator({ maxTextLength: 1000 }), headersTimeoutMs: 500, requestTimeoutMs: 1000, keepAliveTimeoutMs: 500 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'm').exec(text);
    return match ? Number(match[1]) : NaN;
  };
  async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; !(await condition()); i++) {
      if (i > 200) throw new Error(`gave up waiting: ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('issue 17.12: counts a client that aborts mid-body as aborted, not as the database unavailable', async () => {
    expect(await metric('mod_database_unavailable_total')).toBe(0);
    for (let i = 0; i < 3; i++) {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write('POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"text": "half a bo');
      await new Promise((r) => setTimeout(r, 50));
      socket.destroy();
    }
    await until(async () => (await metric('mod_http_requests_aborted_total')) >= 3, 'three aborted requests counted');
    expect(await metric('mod_http_requests_aborted_total')).toBe(3);
    expect(await metric('mod_database_unavailable_total')).toBe(0);
    // The service is fine afterwards.
    expect((await fetch(`http://127.0.0.1:${port}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hello"}' })).status).toBe(200);
  });

  it('issue 17.12: cuts off a client that sends its headers too slowly, with a 408 in the documented shape', async () => {
    const lines = ['GET /healthz HTTP/1.1\r\nHost: t\r\n', ...Array.from({ length: 100 }, (_, i) => `X-Slow-${i}: a\r\n`), '\r\n'];
    const { responses, closed, sent } = await exchange(port, lines, { intervalMs: 50, idleMs: 10_000 });
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(lines.length);
    expect(responses.map((r) => [r.status, JSON.parse(r.body)])).toEqual([[408, { error: { code: 'REQUEST_TIMEOUT', message: expect.stringContaining('HTTP_HEADERS_TIMEOUT_MS') } }]]);
    expect(await metric('mod_http_client_errors_total{reason="timeout"}')).toBeGreaterThanOrEqual(1);
  });

  it('issue 17.12: cuts off a client that sends its body too slowly, with a 408 in the documented shape', async () => {
    const body = JSON.stringify({ text: 'x'.repeat(98) });
    const parts = [`POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, ...body.split('')];
    const { responses, closed, sent } = await exchange(port, parts, { intervalMs: 50, idleMs: 10_000 });
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(parts.length);
    expect(responses.map((r) => [r.status, JSON.parse(r.body).error.code])).toEqual([[408, 'REQUEST_TIMEOUT']]);
    expect(await env.db.admin('SELECT count(*)::int AS n FROM posts WHERE text = $1', ['x'.repeat(98)]).then((r) => r.rows[0].n)).toBe(0);
  });

  it('issue 17.12: closes an idle keep-alive connection', async () => {
    const { responses, closed } = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\n\r\n', { idleMs: 10_000 });
    expect(responses.map((r) => r.status)).toEqual([200]);
    expect(closed).toBe(true);
  });
});
