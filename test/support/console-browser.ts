// The browser tests' harness (issue 15): the real service, built by buildApp
// with the shipped model and a PostgresStore on a fresh schema of the test
// PostgreSQL (DATABASE_URL), listening on 127.0.0.1 on a free port, and a
// headless Debian chromium driven by playwright-core. Tokens are made
// through the store as `mod service token create` makes them; posts go in
// through POST /v1/moderate with Japanese texts from data/ja, so the queue
// and the dashboard show what a moderator would see. close() stops all of
// it (browser, server, pool, schema).
//
// Chromium: CHROMIUM_PATH, default /usr/bin/chromium (.ci/run installs
// Debian's `chromium` and `fonts-noto-cjk` when missing). Without it the
// tests fail saying so: they are never skipped.
//
//   const harness = useConsoleHarness({}, async (h) => { ...seed... });   // in a describe
//   it('...', async () => { const h = harness(); ... });
// or by hand:
//   const h = await startConsoleHarness();
//   const alice = await h.createToken('alice', 'moderator');
//   const ids = await h.seedReviews(5);
//   const { page } = await h.newModeratorContext('alice');   // signed in
//   await page.goto(h.url('/console/queue'));
//   ...
//   await h.close();
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildApp, type AppDependencies } from '../../src/service/app.js';
import { loadModerator } from '../../src/service/moderator.js';
import { generateToken, hashToken } from '../../src/service/tokens.js';
import type { PostgresStore } from '../../src/store/postgres-store.js';
import { REPO_ROOT } from './fixture-app.js';
import { createTestStore, type TestDatabase } from '../store/test-database.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export type TokenRole = 'moderator' | 'viewer';

export interface ModeratedPost {
  id: string;
  text: string;
  decision: 'approve' | 'review' | 'reject';
  category: string | null;
}

export interface ConsoleHarness {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  url(pathname: string): string;
  app: ReturnType<typeof buildApp>;
  store: PostgresStore;
  db: TestDatabase;
  browser: Browser;
  /** Tokens made so far, by name. */
  tokens: Record<string, string>;
  /** A bearer token for `name` with `role`, stored as `mod service token create` stores it. */
  createToken(name: string, role?: TokenRole): Promise<string>;
  /** POST /v1/moderate one text; throws unless 200. */
  moderate(text: string, id?: string): Promise<ModeratedPost>;
  /** Moderates `count` Japanese posts from data/ja that the model sends to review (the next ones, in file order, not used before); returns them in that order. */
  seedReviews(count: number): Promise<ModeratedPost[]>;
  /** Moderates the next `count` Japanese posts from data/ja whatever their decision (bad and ordinary ones interleaved): approve, review and reject all occur. */
  seedPosts(count: number): Promise<ModeratedPost[]>;
  /** GET a JSON route with a bearer token. */
  getJson<T = unknown>(pathname: string, token: string): Promise<{ status: number; body: T }>;
  /** A fresh browser context (own cookie jar), 1280x800 unless told. */
  newContext(viewport?: { width: number; height: number }): Promise<BrowserContext>;
  /** A new context and page signed in as `name` (a moderator token is made if `name` has none). */
  newModeratorContext(name?: string, viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }>;
  /** A new context and page signed in as a viewer `name` (made if missing). */
  newViewerContext(name?: string, viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Passed to buildApp over the harness's defaults (store and moderator are the harness's unless given). */
  app?: Partial<AppDependencies>;
}

/** Signs `page` in with `token` through the sign-in form; resolves once the browser has left /console/sign-in. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/console/sign-in`);
  const field = page.locator('input[name="token"]');
  await field.fill(token);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/sign-in'), { timeout: 30_000 }).catch(() => undefined), field.press('Enter')]);
  if (new URL(page.url()).pathname.endsWith('/sign-in')) {
    const text = (
      await page
        .locator('body')
        .innerText()
        .catch(() => '')
    ).slice(0, 500);
    throw new Error(`sign-in did not leave /console/sign-in; the page says: ${text}`);
  }
}

/**
 * Waits until the page the sign-in landed on has done its first work: the
 * queue's claim has been answered (#claim-status no longer says Claiming),
 * so a test that seeds posts next does not race that claim.
 */
export async function settled(page: Page): Promise<void> {
  if (!new URL(page.url()).pathname.endsWith('/console/queue')) return;
  await page.waitForFunction(
    () => {
      const status = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } | null } }).document.getElementById('claim-status');
      return status !== null && !/Claiming/.test(status.textContent ?? 'Claiming');
    },
    undefined,
    { timeout: 60_000 },
  );
}

async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`chromium was not found at ${CHROMIUM_PATH}: the browser tests need it. Install Debian's packages (apt-get install chromium fonts-noto-cjk; .ci/run does when it is missing) or set CHROMIUM_PATH to a chromium binary`);
  }
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'], headless: true });
  } catch (error) {
    throw new Error(`chromium at ${CHROMIUM_PATH} did not start: ${(error as Error).message}`);
  }
}

/** Japanese posts from data/ja: bad ones first, interleaved with ordinary ones, so review, reject and approve all occur. */
async function japanesePosts(): Promise<string[]> {
  const read = async (file: string) =>
    (await readFile(path.join(REPO_ROOT, 'data', 'ja', file), 'utf8'))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (JSON.parse(line) as { text: string }).text);
  const [ng, ngMore, ok, okMore] = await Promise.all([read('ng-categories.jsonl'), read('ng-more.jsonl'), read('ok-dating.jsonl'), read('ok-lookalikes.jsonl')]);
  const bad = [...ng, ...ngMore];
  const good = [...okMore, ...ok];
  const texts: string[] = [];
  for (let i = 0; i < Math.max(bad.length, good.length); i++) {
    if (i < bad.length) texts.push(bad[i]!);
    if (i < good.length) texts.push(good[i]!);
  }
  return texts;
}

export async function startConsoleHarness(options: HarnessOptions = {}): Promise<ConsoleHarness> {
  const started: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    started.length = 0;
  };
  try {
    const browser = await launchChromium();
    started.push(() => browser.close());
    const env = await createTestStore('postgres');
    started.push(() => env.close());
    const moderator = options.app?.moderator ?? (await loadModerator());
    const app = buildApp({ store: env.store, moderator, ...options.app });
    started.push(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('the service did not listen on a TCP port');
    const baseUrl = `http://127.0.0.1:${address.port}`;
    const url = (pathname: string) => `${baseUrl}${pathname}`;
    const tokens: Record<string, string> = {};
    const texts = await japanesePosts();
    let nextId = 1;

    const createToken = async (name: string, role: TokenRole = 'moderator') => {
      const token = generateToken();
      await env.store.saveModeratorToken(name, hashToken(token), new Date());
      // The role column (migration 0005) defaults to moderator; set it as `token create --role` does.
      if (role !== 'moderator') await env.db.admin('UPDATE moderator_tokens SET role = $2 WHERE name = $1', [name, role]);
      tokens[name] = token;
      return token;
    };
    const moderate = async (text: string, id = `post-${String(nextId++).padStart(4, '0')}`): Promise<ModeratedPost> => {
      const res = await fetch(url('/v1/moderate'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, text }) });
      const body = (await res.json()) as { decision: ModeratedPost['decision']; category?: string | null };
      if (res.status !== 200) throw new Error(`POST /v1/moderate answered ${res.status}: ${JSON.stringify(body)}`);
      return { id, text, decision: body.decision, category: body.category ?? null };
    };
    const used = new Set<number>();
    let nextMixed = 0;
    // Reviews are a few percent of the data: the model is asked in process which texts it would send there, then those go through the API.
    let nextReview = 0;
    const seedReviews = async (count: number) => {
      const reviews: ModeratedPost[] = [];
      while (reviews.length < count) {
        for (; nextReview < texts.length; nextReview++) if (!used.has(nextReview) && moderator.moderate({ text: texts[nextReview]! }).decision === 'review') break;
        if (nextReview >= texts.length) throw new Error(`data/ja has too few unused posts the model sends to review (wanted ${count}, found ${reviews.length})`);
        used.add(nextReview);
        const post = await moderate(texts[nextReview++]!);
        if (post.decision !== 'review') throw new Error(`the service decided ${post.decision} for a post the model sends to review: ${post.text}`);
        reviews.push(post);
      }
      return reviews;
    };
    const seedPosts = async (count: number) => {
      const posts: ModeratedPost[] = [];
      while (posts.length < count) {
        for (; nextMixed < texts.length && used.has(nextMixed); nextMixed++);
        if (nextMixed >= texts.length) throw new Error(`data/ja has too few unused posts (wanted ${count})`);
        used.add(nextMixed);
        posts.push(await moderate(texts[nextMixed++]!));
      }
      return posts;
    };
    const getJson = async <T>(pathname: string, token: string) => {
      const res = await fetch(url(pathname), { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as T };
    };
    const newContext = (viewport = { width: 1280, height: 800 }) => browser.newContext({ viewport, locale: 'ja-JP', timezoneId: 'UTC' });
    const signedIn = async (name: string, role: TokenRole, viewport?: { width: number; height: number }) => {
      const token = tokens[name] ?? (await createToken(name, role));
      const context = await newContext(viewport);
      const page = await context.newPage();
      await signIn(page, baseUrl, token);
      await settled(page);
      return { context, page };
    };

    return {
      baseUrl,
      url,
      app,
      store: env.store,
      db: env.db,
      browser,
      tokens,
      createToken,
      moderate,
      seedReviews,
      seedPosts,
      getJson,
      newContext,
      newModeratorContext: (name = 'alice', viewport) => signedIn(name, 'moderator', viewport),
      newViewerContext: (name = 'sato', viewport) => signedIn(name, 'viewer', viewport),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A harness for a test file: started in beforeAll (then `setup` seeds it),
 * closed in afterAll. If starting or seeding fails (no chromium, no
 * PostgreSQL), every test calling the returned function fails with that
 * error, rather than being reported as skipped as a failed beforeAll would.
 */
export function useConsoleHarness(options: HarnessOptions = {}, setup?: (h: ConsoleHarness) => Promise<void>): () => ConsoleHarness {
  let harness: ConsoleHarness | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      harness = await startConsoleHarness(options);
      await setup?.(harness);
    } catch (error) {
      failure = error;
    }
  });
  afterAll(async () => {
    await harness?.close();
  });
  return () => {
    if (failure !== undefined) throw failure;
    if (harness === undefined) throw new Error('the console harness is used outside a test (it starts in beforeAll)');
    return harness;
  };
}
