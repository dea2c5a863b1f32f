// Writes the README's pictures of the moderator console (issue 15):
// docs/console-queue.png (a moderator's review queue) and
// docs/console-dashboard.png (a viewer's dashboard), both 1280x800. It runs
// the real service and chromium through the browser tests' harness
// (test/support/console-browser.ts: PostgreSQL at DATABASE_URL, chromium at
// CHROMIUM_PATH or /usr/bin/chromium, Japanese fonts from fonts-noto-cjk),
// seeded with a day of Japanese posts from data/ja moderated by the shipped
// model: the service's clock is moved back hour by hour while posting, so
// the charts have a day's shape, and two moderators label some reviews.
//
//   npm run screenshots      (tsx tools/console-screenshots.ts)
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../test/support/fixture-app.js';
import { startConsoleHarness, type ConsoleHarness, type ModeratedPost } from '../test/support/console-browser.js';

const HOUR = 3_600_000;
const DOCS = path.join(REPO_ROOT, 'docs');

let offsetMs = 0;
const clock = () => new Date(Date.now() - offsetMs);

async function decide(h: ConsoleHarness, name: string, post: { id: string; category: string | null }, agree: boolean): Promise<void> {
  const label = agree && post.category !== null ? post.category : 'ok';
  const res = await fetch(h.url(`/v1/reviews/${encodeURIComponent(post.id)}/decision`), { method: 'POST', headers: { authorization: `Bearer ${h.tokens[name]}`, 'content-type': 'application/json' }, body: JSON.stringify({ label }) });
  if (res.status !== 200) throw new Error(`labelling ${post.id} as ${name} answered ${res.status}: ${await res.text()}`);
}

async function claim(h: ConsoleHarness, name: string, limit: number): Promise<{ id: string; category: string | null }[]> {
  const res = await h.getJson<{ items: { id: string; category: string | null }[] }>(`/v1/reviews?limit=${limit}`, h.tokens[name]!);
  if (res.status !== 200) throw new Error(`claiming as ${name} answered ${res.status}`);
  return res.body.items;
}

async function seedDay(h: ConsoleHarness): Promise<void> {
  await h.createToken('tanaka');
  await h.createToken('suzuki');
  await h.createToken('sato', 'viewer');
  const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * HOUR);
  for (const instance of ['i-0a41c2', 'i-0b93d7']) {
    await h.store.recordServiceEvent({ at: at(23.5), instance, revision: '3e20ac6f1d2b4c5a', model: '20261201-5f3e9a10', event: 'start' });
    await h.store.recordServiceEvent({ at: at(9.2), instance, revision: '797f8447a0c1e2d3', model: '20261201-5f3e9a10', event: 'start' });
    await h.store.recordServiceEvent({ at: at(4.4), instance, revision: '797f8447a0c1e2d3', model: '20261202-6542a508', event: 'model-swap' });
  }
  for (let hoursAgo = 23; hoursAgo >= 1; hoursAgo--) {
    offsetMs = hoursAgo * HOUR - 10 * 60_000;
    // Busier in the evening (Japan time, UTC+9) than at night.
    const jstHour = (new Date(Date.now() - offsetMs).getUTCHours() + 9) % 24;
    const busy = jstHour >= 19 || jstHour <= 1 ? 3 : jstHour >= 8 ? 2 : 1;
    const posts: ModeratedPost[] = [...(await h.seedPosts(6 * busy + (hoursAgo % 4))), ...(await h.seedReviews(busy))];
    if (posts.length === 0) continue;
    // Moderators work through the queue some twenty minutes later.
    offsetMs -= 20 * 60_000;
    if (hoursAgo % 3 !== 0) {
      for (const [i, item] of (await claim(h, 'tanaka', busy)).entries()) await decide(h, 'tanaka', item, i % 3 !== 2);
      for (const [i, item] of (await claim(h, 'suzuki', 1)).entries()) await decide(h, 'suzuki', item, i % 2 === 0);
    }
  }
  offsetMs = 0;
  await h.seedPosts(8);
  await h.seedReviews(6);
}

async function main(): Promise<void> {
  const h = await startConsoleHarness({ app: { clock, reviewQueue: { secondOpinionShare: 0.3 } } });
  try {
    await seedDay(h);
    await mkdir(DOCS, { recursive: true });
    const moderator = await h.newModeratorContext('tanaka');
    await moderator.page.goto(h.url('/console/queue'));
    await moderator.page.locator('#queue .item').first().waitFor({ timeout: 60_000 });
    await moderator.page.screenshot({ path: path.join(DOCS, 'console-queue.png') });
    const viewer = await h.newViewerContext('sato');
    await viewer.page.goto(h.url('/console/dashboard'));
    await viewer.page.locator('body[data-loaded]').waitFor({ timeout: 60_000 });
    await viewer.page.screenshot({ path: path.join(DOCS, 'console-dashboard.png') });
    console.log(`wrote ${path.relative(REPO_ROOT, path.join(DOCS, 'console-queue.png'))} and ${path.relative(REPO_ROOT, path.join(DOCS, 'console-dashboard.png'))}`);
  } finally {
    await h.close();
  }
}

main().catch((error: unknown) => {
  console.error(`screenshots failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
