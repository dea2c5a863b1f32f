// `mod moderate --endpoint <url> --file <file>` against a real `mod serve`
// (the built CLI as a child process, embedded PGlite in a temp dir, loopback):
// a CSV as data/ keeps them and a JSONL file are stored post by post (read
// back with GET /v1/posts/:id), the summary's counts are the decisions
// stored and the review queue's depth; an endpoint nobody listens on, a bad
// line and a batch the service refuses each fail clearly, and say what was
// stored. Also: `mod serve` says it is starting the embedded database before
// the ~10 s first start, on stderr, never in --json's stdout.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_ITEMS } from '../../src/cli/commands/moderate-endpoint.js';
import { MAX_BATCH_ITEMS } from '../../src/service/routes/moderate.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = path.join(root, 'bin', 'mod.js');
// The embedded database: DATABASE_URL must not leak in from CI.
const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
delete env.DATABASE_URL;
delete env.MOD_DATA_DIR;

let dir: string;
let serve: ChildProcess;
let serveStdout = '';
let serveStderr = '';
let endpoint: string;
let token: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function mod(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, env, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nmod serve stdout:\n${serveStdout}\nstderr:\n${serveStderr.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The fields of GET /v1/posts/:id and GET /v1/stats these tests read. */
interface Answer {
  decision: 'approve' | 'review' | 'reject';
  text?: string;
  queue: { depth: number };
}

async function getJson(route: string, auth = false): Promise<{ status: number; body: Answer }> {
  const response = await fetch(`${endpoint}${route}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: (await response.json()) as Answer };
}

async function queueDepth(): Promise<number> {
  const stats = await getJson('/v1/stats?hours=1', true);
  expect(stats.status).toBe(200);
  return stats.body.queue.depth;
}

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mod-moderate-endpoint-'));
  serve = spawn(process.execPath, [bin, '--json', 'serve', '--host', '127.0.0.1', '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  serve.stdout!.on('data', (c: Buffer) => (serveStdout += c.toString()));
  serve.stderr!.on('data', (c: Buffer) => (serveStderr += c.toString()));
  const started = await until('mod serve --json to print its result', () => {
    try {
      return JSON.parse(serveStdout) as { url: string; database: { embedded: boolean } };
    } catch {
      return undefined;
    }
  });
  endpoint = started.url;
  expect(started.database.embedded).toBe(true);
  await until('/readyz', async () => ((await fetch(`${endpoint}/readyz`).catch(() => null))?.ok ? true : undefined));
  const created = await mod(['--json', 'service', 'token', 'create', '--name', 'tester']);
  expect(created.code, created.stderr).toBe(0);
  token = JSON.parse(created.stdout).token;
}, 240_000);

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('mod serve on a first start', () => {
  it('says it is starting the embedded database first, on stderr, and --json stdout is the one result document', () => {
    const first = serveStderr.split('\n')[0];
    expect(first).toBe('starting the embedded database in .mod/data (the first start creates it: ~10 s)');
    expect(serveStdout).not.toContain('starting the embedded database');
    expect(JSON.parse(serveStdout)).toMatchObject({ schemaVersion: 1, database: { embedded: true } });
  });
});

describe('mod moderate --endpoint', () => {
  it('chunks at the service batch limit', () => {
    expect(BATCH_ITEMS).toBe(MAX_BATCH_ITEMS);
  });

  it('stores every post of a data/-style CSV (comments, label and context columns) and --json counts what was stored', async () => {
    // data/ja-check.csv with an id column added: 600+ posts, so 7 batches, several in flight.
    const source = await readFile(path.join(root, 'data', 'ja-check.csv'), 'utf8');
    let row = 0;
    const csv = source
      .split('\n')
      .map((line) => (line.startsWith('#') || line === '' ? line : line === 'text,label,context' ? 'id,text,label,context' : `csv-${++row},${line}`))
      .join('\n');
    await writeFile(path.join(dir, 'check.csv'), csv);
    const before = await queueDepth();

    const run = await mod(['--json', 'moderate', '--endpoint', endpoint, '--file', 'check.csv']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ schemaVersion: 1, endpoint, sent: row, batches: Math.ceil(row / MAX_BATCH_ITEMS) });
    expect(out.results).toHaveLength(row);
    expect(row).toBeGreaterThan(2 * MAX_BATCH_ITEMS);

    const stored = { approve: 0, review: 0, reject: 0 };
    for (let i = 0; i < row; i++) {
      expect(out.results[i].id).toBe(`csv-${i + 1}`);
      const post = await getJson(`/v1/posts/csv-${i + 1}`, true);
      expect(post.status).toBe(200);
      expect(post.body.decision).toBe(out.results[i].decision);
      stored[post.body.decision]++;
    }
    // The first and last rows' texts are the file's.
    expect((await getJson('/v1/posts/csv-1', true)).body.text).toBe(
      source
        .split('\n')
        .find((l) => !l.startsWith('#') && l !== 'text,label,context')!
        .replace(/,[a-z_]+,[a-z_]+$/, ''),
    );
    expect(out.counts).toEqual({ ...stored, conflict: 0 });
    expect(stored.review).toBeGreaterThan(0);
    expect(await queueDepth()).toBe(before + stored.review);
  }, 240_000);

  it('stores a JSONL file and its plain summary gives the counts stored and the new queue depth', async () => {
    const texts = ['週末は何をして過ごすことが多いですか？', 'LINE交換しよ！ID教えて', '090-1234-5678に電話して', 'はじめまして！プロフィール拝見しました', 'JKです、今日会える人', '写真の犬かわいいですね！'];
    const lines = texts.map((text, i) => JSON.stringify({ id: `jsonl-${i + 1}`, text, kind: 'message', userId: `u${i % 2}` }));
    await writeFile(path.join(dir, 'posts.jsonl'), `${lines.join('\n')}\n\n`);
    const before = await queueDepth();

    const run = await mod(['--plain', 'moderate', '--endpoint', endpoint, '--file', 'posts.jsonl']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`sent ${texts.length} posts to ${endpoint} (1 batch); all stored`);
    const counts = /approve (\d+) {2}review (\d+) {2}reject (\d+)/.exec(run.stdout);
    expect(counts, run.stdout).not.toBeNull();

    const stored = { approve: 0, review: 0, reject: 0 };
    for (let i = 0; i < texts.length; i++) {
      const post = await getJson(`/v1/posts/jsonl-${i + 1}`, true);
      expect(post.status).toBe(200);
      expect(post.body).toMatchObject({ text: texts[i], kind: 'message', userId: `u${i % 2}` });
      stored[post.body.decision]++;
    }
    expect(counts!.slice(1).map(Number)).toEqual([stored.approve, stored.review, stored.reject]);
    expect(await queueDepth()).toBe(before + stored.review);
    if (stored.review > 0) expect(run.stdout).toContain(`${stored.review} now wait for review: sign in to ${endpoint}/console`);
    else expect(run.stdout).toContain('none went to review');
  }, 120_000);

  it('an endpoint nobody listens on: SERVICE_UNREACHABLE, exit 1, one JSON error document, nothing stored', async () => {
    await writeFile(path.join(dir, 'one.jsonl'), '{"id":"unreachable-1","text":"こんにちは"}\n');
    const port = await closedPort();
    const run = await mod(['--json', 'moderate', '--endpoint', `http://127.0.0.1:${port}`, '--file', 'one.jsonl']);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout);
    expect(out.error.code).toBe('SERVICE_UNREACHABLE');
    expect(out.error.message).toContain(`cannot reach the service at http://127.0.0.1:${port} (ECONNREFUSED); nothing was stored`);
    expect(out.error.hint).toContain('mod serve');
    expect(out).not.toHaveProperty('results');
  }, 60_000);

  it('a bad line: exit 2 naming the line and what is wrong, and nothing is sent', async () => {
    await writeFile(path.join(dir, 'bad.jsonl'), ['{"id":"bad-1","text":"こんにちは"}', '{"id":"bad-2","text":"元気？"}', '{"id":"bad-3","text":"x",}', ''].join('\n'));
    const bad = await mod(['--plain', 'moderate', '--endpoint', endpoint, '--file', 'bad.jsonl']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad.jsonl: line 3: not valid JSON');
    expect(bad.stdout).toBe('');
    expect((await getJson('/v1/posts/bad-1')).status).toBe(404);

    await writeFile(path.join(dir, 'bad.csv'), 'text,kind\nこんにちは,message\nおはよう,tweet\n');
    const csv = await mod(['--plain', 'moderate', '--endpoint', endpoint, '--file', 'bad.csv']);
    expect(csv.code).toBe(2);
    expect(csv.stderr).toContain('bad.csv: line 3: "kind" must be one of message, profile, post, got "tweet"');
  }, 60_000);

  it('a batch the service refuses: SERVICE_ERROR with its code, the line, and which lines were stored', async () => {
    // 150 posts; line 121 is longer than the service's MAX_TEXT_LENGTH (10000), so the second batch is refused whole.
    const lines = Array.from({ length: 150 }, (_, i) => JSON.stringify({ id: `long-${i + 1}`, text: i === 120 ? 'あ'.repeat(10_001) : `こんにちは ${i + 1}` }));
    await writeFile(path.join(dir, 'long.jsonl'), `${lines.join('\n')}\n`);
    const run = await mod(['--json', 'moderate', '--endpoint', endpoint, '--file', 'long.jsonl']);
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout);
    expect(error.code).toBe('SERVICE_ERROR');
    expect(error.message).toContain('400 TEXT_TOO_LONG: long.jsonl line 121 (items.20.text)');
    expect(error.message).toContain('100 of 150 posts were stored before it (long.jsonl lines 1-100), the others not (lines 101-150)');
    expect((await getJson('/v1/posts/long-100')).status).toBe(200);
    expect((await getJson('/v1/posts/long-101')).status).toBe(404);
  }, 60_000);
});
