// Issue 17.12: what the service answers to requests no well-behaved client
// sends, over a raw socket on loopback against real PostgreSQL: every error
// answer, whoever produces it (Node's HTTP parser, Fastify's router and body
// parsers, the routes), is `{"error":{"code","message"}}` as the README
// promises, and no request leaves a token or a post in the log.
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.js';
import { loadModerator } from '../../src/service/moderator.js';
import { generateToken, hashToken } from '../../src/service/tokens.js';
import { createTestStore } from '../store/test-database.js';
import { exchange, type RawResponse } from './raw-http.js';

class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

const json = (path: string, body: string, extra = '') => `POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;
const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}Connection: close\r\n\r\n`;

/** Each request, and the status it must get (any 4xx when several are defensible). */
const HOSTILE: [name: string, request: string | Buffer, status: number | '4xx'][] = [
  ['not HTTP at all', 'HELLO THERE\r\n\r\n', 400],
  ['a TLS ClientHello on the plain port', Buffer.from('16030100a5010000a103035f', 'hex'), 400],
  ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', '4xx'],
  ['a lowercase method', 'get /healthz HTTP/1.1\r\nHost: t\r\n\r\n', 400],
  ['an unknown HTTP version', 'GET /healthz HTTP/9.9\r\nHost: t\r\n\r\n', '4xx'],
  ['a NUL in the request line', 'GET /heal\u0000thz HTTP/1.1\r\nHost: t\r\n\r\n', 400],
  ['a malformed request carrying a token and a post', 'POST /v1/moderate HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %TOKEN%\r\nContent-Length: 17\r\nBad Header\r\n\r\n{"text":"$gt 42"}', 400],
  ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost: t\r\nNoColonHere\r\n\r\n', 400],
  ['a control character in a header name', 'GET /healthz HTTP/1.1\r\nHost: t\r\nX-\u0001: y\r\n\r\n', 400],
  ['a header folded onto the next line', 'GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: b\r\n  c\r\n\r\n', 400],
  ['headers over the size limit', `GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ['a URL over the size limit', `GET /v1/posts/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: t\r\n\r\n`, 431],
  ['HTTP/1.1 without Host', 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
  ['an expectation the server cannot meet', json('/v1/moderate', '{"text":"hi"}', 'Expect: 200-ok\r\n'), 417],
  ['a non-numeric Content-Length', 'POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}', 400],
  ['a negative Content-Length', 'POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}', 400],
  ['two different Content-Lengths', 'POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400],
  ['Content-Length and chunked together', 'POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n', 400],
  ['a bad chunk size', 'POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400],
  ['an unknown transfer coding', 'POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{}', '4xx'],
  ['an oversized chunk extension', `POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2;${'x'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`, '4xx'],
  ['a bad percent-encoding in the path', get('/v1/posts/%zz'), 400],
  ['a path parameter over the length limit', get(`/v1/posts/${'a'.repeat(5000)}`), '4xx'],
  ['a NUL in a post id', get('/v1/posts/a%00b'), 400],
  ['an unpaired surrogate in a post id', get('/v1/posts/%ED%A0%80'), '4xx'],
  ['no such route', get('/nowhere'), 404],
  ['a route with the wrong method', 'DELETE /v1/moderate HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 404],
  ['an unusual method', 'PROPFIND /v1/moderate HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', 404],
  ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', '4xx'],
  ['an absolute URL', get('http://evil.example/nowhere'), 404],
  ['CONNECT', 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n', '4xx'],
  ['a WebSocket upgrade', get('/nowhere', 'Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'), 404],
  ['invalid JSON', json('/v1/moderate', '{"text": "hi"'), 400],
  ['an empty JSON body', json('/v1/moderate', ''), 400],
  ['JSON null', json('/v1/moderate', 'null'), 400],
  ['a JSON array', json('/v1/moderate', '[1,2]'), 400],
  ['a __proto__ key', json('/v1/moderate', '{"text":"hi","__proto__":{"admin":true}}'), 400],
  ['a constructor.prototype key', json('/v1/moderate', '{"text":"hi","constructor":{"prototype":{"admin":true}}}'), 400],
  ['deeply nested JSON', json('/v1/moderate', `${'['.repeat(5000)}${']'.repeat(5000)}`), 400],
  ['a body over the limit', json('/v1/moderate', JSON.stringify({ text: 'x'.repeat(70 * 1024) })), 413],
  ['a Content-Length over the limit, no body', 'POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n', 413],
  ['a wrong content type', 'POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Type: text/xml\r\nContent-Length: 6\r\nConnection: close\r\n\r\n<a></a>', 415],
  ['no content type', 'POST /v1/moderate HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{"text":"hi"}', 415],
  ['a gzip-encoded body the service does not decode', json('/v1/moderate', '\u001f\u008b\u0008\u0000').replace('Content-Type', 'Content-Encoding: gzip\r\nContent-Type'), '4xx'],
  ['a text that is not a string', json('/v1/moderate', '{"text":{"$gt":""}}'), 400],
  ['a batch that is too large', json('/v1/moderate/batch', JSON.stringify({ items: Array.from({ length: 101 }, () => ({ text: 'x' })) })), 400],
  ['an empty batch', json('/v1/moderate/batch', '{"items":[]}'), 400],
  ['a review limit that is not a number', get('/v1/reviews?limit=abc', 'Authorization: Bearer %TOKEN%\r\n'), 400],
  ['a review limit given twice', get('/v1/reviews?limit=1&limit=2', 'Authorization: Bearer %TOKEN%\r\n'), 400],
  ['an unknown query parameter', get('/v1/labels/export?format=xml', 'Authorization: Bearer %TOKEN%\r\n'), 400],
  ['a moderator token in the query string', get('/v1/reviews?token=%TOKEN%&access_token=%TOKEN%'), '4xx'],
  ['a malformed Authorization header', get('/v1/reviews', 'Authorization: Bearer\r\n'), 401],
  ['a decision with no body', 'POST /v1/reviews/x/decision HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %TOKEN%\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 400],
];

/** The one shape every error answer must have. */
function expectErrorShape(name: string, response: RawResponse): void {
  expect(response.headers['content-type'] ?? '(none)', `${name}: content type`).toMatch(/^application\/json/);
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    throw new Error(`${name}: the ${response.status} body is not JSON: ${JSON.stringify(response.body.slice(0, 200))}`);
  }
  expect(body, `${name}: ${response.body.slice(0, 300)}`).toEqual({ error: { code: expect.stringMatching(/^[A-Z][A-Z_]+$/), message: expect.any(String) } });
  expect((body as { error: { message: string } }).error.message.length, name).toBeGreaterThan(0);
}

describe('issue 17.12: hostile requests over a raw socket', () => {
  let env: Awaited<ReturnType<typeof createTestStore>>;
  let app: ReturnType<typeof buildApp>;
  let port: number;
  const logs = new LogCapture();
  const token = generateToken();

  beforeAll(async () => {
    env = await createTestStore('postgres');
    await env.store.saveModeratorToken('mallory-tester', hashToken(token), new Date());
    app = buildApp({ store: env.store, moderator: await loadModerator({ maxTextLength: 1000 }), logger: { level: 'trace', stream: logs }, maxTextLength: 1000, bodyLimitBytes: 64 * 1024 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  it(`answers each of ${HOSTILE.length} malformed requests with the documented error shape`, async () => {
    const wrong: string[] = [];
    for (const [name, template, status] of HOSTILE) {
      const request = typeof template === 'string' ? template.replaceAll('%TOKEN%', token) : template;
      const { responses, raw } = await exchange(port, request, { expect: 1 });
      const response = responses[0];
      if (!response) {
        wrong.push(`${name}: no response (${JSON.stringify(raw.slice(0, 120))})`);
        continue;
      }
      if (status === '4xx' ? response.status < 400 || response.status >= 500 : response.status !== status) wrong.push(`${name}: status ${response.status}, expected ${status}`);
      try {
        expectErrorShape(name, response);
      } catch (error) {
        wrong.push((error as Error).message.split('\n')[0]!);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('never logs the token sent in a query string, nor a header or body', () => {
    const all = logs.lines.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.slice('modtok_'.length, 20));
    expect(all).not.toContain('$gt');
  });
});
