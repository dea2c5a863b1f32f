// The review queue page (/console/queue) in a real chromium against the real
// service and PostgreSQL (test/support/console-browser.ts): a moderator
// signs in through the form and labels posts with the keyboard alone, undoes
// a label (the review is pending again and the label export does not have
// it), labels a selection in bulk, two moderators never see the same post,
// a post another moderator decided first says so in place (409), filters
// narrow the claim, an expired claim says so and claims again, and the page
// works in a narrow window. Every outcome is checked in the database or the
// JSON API, not only on the page.
import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startConsoleHarness, type ConsoleHarness, type ModeratedPost } from '../support/console-browser.js';

const CLAIM_SECONDS = 600;
/** How long a condition may take to hold: generous, for a loaded 2-core machine (nothing waits a fixed time). */
const WAIT = { timeout: 60_000 };

// The functions given to page.evaluate/$$eval/waitForFunction run in the
// browser (playwright serialises them); the type checker has no DOM library,
// so these say what they use of the browser's globals.
interface BrowserElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  closest(selector: string): BrowserElement | null;
  querySelector(selector: string): BrowserElement | null;
}
declare const document: {
  activeElement: BrowserElement | null;
  documentElement: { scrollWidth: number };
  getElementById(id: string): BrowserElement | null;
  querySelectorAll(selector: string): { length: number };
};
declare const window: { innerWidth: number };
declare function getComputedStyle(node: unknown): { fontFamily: string };

let harness: ConsoleHarness | undefined;
/** Moves the service's clock (not the browser's) by this many ms: claims expire for the service, not on the page. */
let serverShiftMs = 0;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  serverShiftMs = 0;
});

/** A harness whose service decides every review with one label (no second opinions) and runs on a clock the test can move. */
async function start(): Promise<ConsoleHarness> {
  harness = await startConsoleHarness({
    app: { reviewClaimSeconds: CLAIM_SECONDS, reviewQueue: { secondOpinionShare: 0 }, clock: () => new Date(Date.now() + serverShiftMs) },
  });
  return harness;
}

interface ShownItem {
  id: string;
  state: string;
  outcome: string;
}

/** The posts the page shows, in order, with their state badge and in-place outcome. */
function shown(page: Page): Promise<ShownItem[]> {
  return page.$$eval('#queue > li', (lis) =>
    lis.map((li) => ({
      id: (li as unknown as BrowserElement).dataset.id ?? '',
      state: li.querySelector('.badge.state')?.textContent ?? '',
      outcome: li.querySelector('.item-outcome')?.textContent ?? '',
    })),
  );
}

async function openQueue(page: Page, h: ConsoleHarness, count: number, query = ''): Promise<ShownItem[]> {
  await page.goto(h.url(`/console/queue${query}`));
  await page.waitForFunction((n) => document.querySelectorAll('#queue > li').length === n && !/Claiming/.test(document.getElementById('claim-status')?.textContent ?? ''), count, WAIT);
  return shown(page);
}

const item = (page: Page, id: string) => page.locator(`#queue > li[data-id="${id}"]`);
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.closest('li')?.dataset.id ?? null);

async function waitForState(page: Page, id: string, pattern: RegExp): Promise<void> {
  await expect.poll(async () => (await item(page, id).locator('.badge.state').textContent()) ?? '', WAIT).toMatch(pattern);
}

async function review(h: ConsoleHarness, id: string) {
  const { rows } = await h.db.admin('SELECT state, label, category, claimed_by, decided_by, claimed_until FROM reviews WHERE post_id = $1', [id]);
  return rows[0] as { state: string; label: string | null; category: string | null; claimed_by: string | null; decided_by: string | null; claimed_until: Date | null };
}

async function labelsOf(h: ConsoleHarness, moderator: string): Promise<{ post_id: string; label: string; category: string | null }[]> {
  const { rows } = await h.db.admin('SELECT post_id, label, category FROM review_labels WHERE moderator = $1 ORDER BY post_id', [moderator]);
  return rows as { post_id: string; label: string; category: string | null }[];
}

async function claimedBy(h: ConsoleHarness, moderator: string): Promise<string[]> {
  const { rows } = await h.db.admin("SELECT post_id FROM reviews WHERE claimed_by = $1 AND state = 'pending' AND claimed_until > now() ORDER BY post_id", [moderator]);
  return rows.map((r: { post_id: string }) => r.post_id);
}

/** The label export (JSONL, bearer token) as `{ postId: label word }`. */
async function exported(h: ConsoleHarness, token: string): Promise<Record<string, string>> {
  const res = await fetch(h.url('/v1/labels/export?format=jsonl'), { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const lines = (await res.text()).split('\n').filter((line) => line !== '');
  return Object.fromEntries(lines.map((line) => JSON.parse(line) as { postId: string; label: string }).map((l) => [l.postId, l.label]));
}

const ids = (posts: ModeratedPost[]) => posts.map((p) => p.id).sort();

describe('the review queue page', () => {
  it('labels posts with the keyboard alone, and undo puts the last label back (database and label export agree)', async () => {
    const h = await start();
    const posts = await h.seedReviews(4);
    const token = await h.createToken('alice', 'moderator');
    const { page } = await h.newModeratorContext('alice');
    const items = await openQueue(page, h, 4);

    // The page shows the posts the service claimed for alice, and nothing else.
    expect(items.map((i) => i.id).sort()).toEqual(ids(posts));
    expect(await claimedBy(h, 'alice')).toEqual(ids(posts));
    const [first, second, third, fourth] = items.map((i) => i.id) as [string, string, string, string];
    // The first post has the focus: the keys act on it.
    await expect.poll(() => focusedId(page), WAIT).toBe(first);

    // o: OK, then 1: NG of the first category (contact), then n: NG; focus moves on each time.
    await page.keyboard.press('o');
    await expect.poll(() => focusedId(page), WAIT).toBe(second);
    await page.keyboard.press('1');
    await expect.poll(() => focusedId(page), WAIT).toBe(third);
    await page.keyboard.press('n');
    await expect.poll(() => focusedId(page), WAIT).toBe(fourth);
    await waitForState(page, first, /^labelled OK$/);
    await waitForState(page, second, /^labelled NG: contact$/);
    await waitForState(page, third, /^labelled NG$/);
    // The three labels are in flight together and may be answered in any order: the live region announces whichever came last.
    await expect.poll(() => page.locator('#live').textContent(), WAIT).toMatch(new RegExp(`^Post (${first} labelled OK|${second} labelled NG: contact|${third} labelled NG)\\.$`));

    expect(await labelsOf(h, 'alice')).toEqual(
      [
        { post_id: first, label: 'ok', category: null },
        { post_id: second, label: 'ng', category: 'contact' },
        { post_id: third, label: 'ng', category: null },
      ].sort((a, b) => a.post_id.localeCompare(b.post_id)),
    );
    expect(await review(h, second)).toMatchObject({ state: 'decided', label: 'ng', category: 'contact', decided_by: 'alice' });
    const before = await exported(h, token);
    expect(before[third]).toBe('ng');

    // u: the last label (the third post's NG) is undone: pending again, still alice's, out of the export.
    await page.keyboard.press('u');
    await waitForState(page, third, /^to label$/);
    await expect.poll(() => focusedId(page), WAIT).toBe(third);
    await expect.poll(() => page.locator('#live').textContent(), WAIT).toMatch(/undone/);
    expect(await item(page, third).locator('.item-outcome').textContent()).toMatch(/Label undone/);
    expect(await review(h, third)).toMatchObject({ state: 'pending', label: null, claimed_by: 'alice' });
    expect((await labelsOf(h, 'alice')).map((l) => l.post_id)).not.toContain(third);
    const after = await exported(h, token);
    expect(after[third]).toBeUndefined();
    expect(after[first]).toBe('ok');
    expect(after[second]).toBe('contact');

    // The undone post takes a new label: 5 is the fifth category (spam).
    await page.keyboard.press('5');
    await waitForState(page, third, /^labelled NG: spam$/);
    expect(await review(h, third)).toMatchObject({ state: 'decided', label: 'ng', category: 'spam', decided_by: 'alice' });
    expect((await exported(h, token))[third]).toBe('spam');
    // The fourth is still alice's to label.
    expect(await review(h, fourth)).toMatchObject({ state: 'pending', claimed_by: 'alice' });
  });

  it('labels a selection in bulk (x, Shift+A) and undoes a bulk label as one', async () => {
    const h = await start();
    const posts = await h.seedReviews(5);
    await h.createToken('alice', 'moderator');
    const { page } = await h.newModeratorContext('alice');
    const items = (await openQueue(page, h, 5)).map((i) => i.id) as [string, string, string, string, string];
    expect([...items].sort()).toEqual(ids(posts));
    await expect.poll(() => focusedId(page), WAIT).toBe(items[0]);

    // x on the first, j, x on the second: two selected; 3 labels both NG of scam (the third category).
    await page.keyboard.press('x');
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    await expect.poll(() => page.locator('#bulk-bar').isVisible(), WAIT).toBe(true);
    expect(await page.locator('#bulk-count').textContent()).toMatch(/^2 selected/);
    await page.keyboard.press('3');
    await waitForState(page, items[0], /^labelled NG: scam$/);
    await waitForState(page, items[1], /^labelled NG: scam$/);
    await expect.poll(() => page.locator('#live').textContent(), WAIT).toMatch(/2 of 2 posts labelled NG: scam/);
    for (const id of items.slice(0, 2)) expect(await review(h, id)).toMatchObject({ state: 'decided', label: 'ng', category: 'scam', decided_by: 'alice' });
    for (const id of items.slice(2)) expect(await review(h, id)).toMatchObject({ state: 'pending', claimed_by: 'alice' });

    // Shift+A selects every post still to label (the other three); o labels them OK in one request.
    await page.keyboard.press('Shift+A');
    expect(await page.locator('#bulk-count').textContent()).toMatch(/^3 selected/);
    await page.keyboard.press('o');
    for (const id of items.slice(2)) await waitForState(page, id, /^labelled OK$/);
    expect((await labelsOf(h, 'alice')).map((l) => [l.post_id, l.label, l.category])).toEqual([...items].sort().map((id) => (items.indexOf(id) < 2 ? [id, 'ng', 'scam'] : [id, 'ok', null])));

    // u undoes the whole bulk label of three; the earlier bulk label stays.
    await page.keyboard.press('u');
    for (const id of items.slice(2)) await waitForState(page, id, /^to label$/);
    for (const id of items.slice(2)) expect(await review(h, id)).toMatchObject({ state: 'pending', label: null, claimed_by: 'alice' });
    expect((await labelsOf(h, 'alice')).map((l) => l.post_id)).toEqual(items.slice(0, 2).sort());
  });

  it('never shows two moderators the same post', async () => {
    const h = await start();
    const posts = await h.seedReviews(26);
    const [alice, bob] = await Promise.all([h.newModeratorContext('alice'), h.newModeratorContext('bob')]);
    // Both open the queue at once; a claim takes up to 20.
    await Promise.all([alice.page.goto(h.url('/console/queue')), bob.page.goto(h.url('/console/queue'))]);
    const settled = (page: Page) => page.waitForFunction(() => !/Claiming/.test(document.getElementById('claim-status')?.textContent ?? '') && document.querySelectorAll('#queue > li').length > 0, undefined, WAIT);
    await Promise.all([settled(alice.page), settled(bob.page)]);
    const disjoint = async () => {
      const a = (await shown(alice.page)).map((i) => i.id);
      const b = (await shown(bob.page)).map((i) => i.id);
      expect(a.filter((id) => b.includes(id))).toEqual([]);
      expect(await claimedBy(h, 'alice')).toEqual([...a].sort());
      expect(await claimedBy(h, 'bob')).toEqual([...b].sort());
      return [...a, ...b];
    };
    await disjoint();

    // Claiming again (r, one after the other) renews each one's own posts, adds free ones, and never takes the other's.
    for (const { page } of [alice, bob]) {
      await page.evaluate(() => (document.getElementById('live')!.textContent = ''));
      await page.keyboard.press('r');
      await expect.poll(() => page.locator('#live').textContent(), WAIT).toMatch(/claimed/);
    }
    expect((await disjoint()).sort()).toEqual(ids(posts));
  });

  it('explains in place a post another moderator decided first, or holds now (409)', async () => {
    const h = await start();
    await h.seedReviews(3);
    await h.createToken('alice', 'moderator');
    const bob = await h.createToken('bob', 'moderator');
    const { page } = await h.newModeratorContext('alice');
    const [first, second, third] = (await openQueue(page, h, 3)).map((i) => i.id) as [string, string, string];

    // For the service, alice's claim has run out; bob claims the posts through the JSON API and decides the first.
    serverShiftMs = (CLAIM_SECONDS + 60) * 1000;
    const claim = await h.getJson<{ items: { id: string }[] }>('/v1/reviews?limit=2&order=oldest', bob);
    expect(claim.status).toBe(200);
    const bobs = claim.body.items.map((i) => i.id);
    expect(bobs).toHaveLength(2);
    const decided = await fetch(h.url(`/v1/reviews/${encodeURIComponent(bobs[0]!)}/decision`), { method: 'POST', headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'ok' }) });
    expect(decided.status).toBe(200);

    // alice labels all three NG: the one bob decided is ALREADY_DECIDED, the one he holds CLAIMED_BY_OTHER, the third is hers.
    const free = [first, second, third].find((id) => !bobs.includes(id))!;
    for (const _ of [first, second, third]) await page.keyboard.press('n');
    await waitForState(page, bobs[0]!, /^not labelled$/);
    await waitForState(page, bobs[1]!, /^not labelled$/);
    await waitForState(page, free, /^labelled NG$/);
    expect(await item(page, bobs[0]!).locator('.item-outcome').textContent()).toMatch(/Someone else labelled this post first.*already been labelled/);
    expect(await item(page, bobs[1]!).locator('.item-outcome').textContent()).toMatch(/Another moderator holds this post now.*claimed by another moderator/);
    await expect.poll(() => page.locator('#live').textContent(), WAIT).toMatch(/not labelled|labelled NG/);
    // Neither refused post takes the keys any more (no label buttons), and the database has only bob's label on the first.
    expect(await item(page, bobs[0]!).locator('button[data-action="ok"]').count()).toBe(0);
    expect(await review(h, bobs[0]!)).toMatchObject({ state: 'decided', label: 'ok', decided_by: 'bob' });
    expect(await review(h, bobs[1]!)).toMatchObject({ state: 'pending', claimed_by: 'bob' });
    expect((await labelsOf(h, 'alice')).map((l) => l.post_id)).toEqual([free]);
  });

  it('narrows the claim with the category and decision filters', async () => {
    const h = await start();
    await h.createToken('alice', 'moderator');
    // Signed in before the posts arrive (the harness waits for the landing page's claim): that claim takes nothing.
    const { page } = await h.newModeratorContext('alice');
    expect(await claimedBy(h, 'alice')).toEqual([]);
    const posts = await h.seedReviews(12);
    const counts = new Map<string, number>();
    for (const p of posts) if (p.category) counts.set(p.category, (counts.get(p.category) ?? 0) + 1);
    // The category most of the seeded reviews have, and the posts of it.
    const [category] = [...counts.entries()].sort((x, y) => y[1] - x[1])[0]!;
    const ofCategory = posts.filter((p) => p.category === category);
    expect(ofCategory.length).toBeLessThan(posts.length);

    // The filters in the address claim only that category's posts; the others stay free for anyone.
    const items = await openQueue(page, h, ofCategory.length, `?category=${category}`);
    expect(items.map((i) => i.id).sort()).toEqual(ids(ofCategory));
    expect(await claimedBy(h, 'alice')).toEqual(ids(ofCategory));
    expect(await page.locator('#filter-category').inputValue()).toBe(category);
    const { rows } = await h.db.admin('SELECT count(*)::int AS n FROM reviews WHERE claimed_by IS NULL');
    expect(rows[0].n).toBe(posts.length - ofCategory.length);

    // Decision reject: no queued post is a reject, so nothing is claimed and the page says so.
    await page.locator('#filter-decision').selectOption('reject');
    await expect.poll(() => page.locator('#empty').textContent(), WAIT).toMatch(/No post to review with these filters/);
    expect(await page.locator('#queue > li').count()).toBe(0);
    // The posts the filter change dropped are free at once: bob claims them through the JSON API.
    expect(await claimedBy(h, 'alice')).toEqual([]);
    const bob = await h.createToken('bob', 'moderator');
    const bobs = await h.getJson<{ items: { id: string }[] }>(`/v1/reviews?limit=100`, bob);
    expect(bobs.body.items.map((i) => i.id).sort()).toEqual(ids(posts));
    await h.db.admin("UPDATE reviews SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = 'bob'");
    expect(new URL(page.url()).searchParams.get('decision')).toBe('reject');
    // Keys typed while a filter has focus are the control's, not the queue's.
    await page.locator('#filter-decision').focus();
    await page.keyboard.press('o');
    expect(await labelsOf(h, 'alice')).toEqual([]);

    // Any category, decision review: every seeded post is alice's.
    await page.locator('#filter-decision').selectOption('review');
    await page.locator('#filter-category').selectOption('');
    await page.waitForFunction((n) => document.querySelectorAll('#queue > li').length === n, posts.length, WAIT);
    expect(await claimedBy(h, 'alice')).toEqual(ids(posts));
  });

  it('shows the claim running out, says when it has expired, and claims again', async () => {
    const h = await start();
    await h.seedReviews(2);
    await h.createToken('alice', 'moderator');
    const { page } = await h.newModeratorContext('alice');
    // The service claims as if it were 11 minutes ago: the claim the page gets has already run out.
    serverShiftMs = -(CLAIM_SECONDS + 60) * 1000;
    await openQueue(page, h, 2);
    await expect.poll(() => page.locator('#claim-status').textContent(), WAIT).toMatch(/Your claim expired at .*: other moderators may take these 2 posts now/);
    await expect.poll(() => page.locator('#live').textContent(), WAIT).toMatch(/claim has expired/);

    // Claim again (the button in the status; r does the same): a live claim with its countdown.
    serverShiftMs = 0;
    await page.locator('#claim-status button', { hasText: 'Claim again' }).click();
    await expect.poll(() => page.locator('#claim-status').textContent(), WAIT).toMatch(/^2 posts claimed for you until .* \(\d+:\d\d left\)\.$/);
    expect((await claimedBy(h, 'alice')).length).toBe(2);
  });

  it('keeps the undo history across r, never holds more than a batch, and frees the posts still to label when the page is left', async () => {
    const h = await start();
    const posts = await h.seedReviews(24);
    await h.createToken('alice', 'moderator');
    const { page } = await h.newModeratorContext('alice');
    const first = (await openQueue(page, h, 20)).map((i) => i.id);
    await expect.poll(() => focusedId(page), WAIT).toBe(first[0]);
    await page.keyboard.press('o');
    await waitForState(page, first[0]!, /^labelled OK$/);

    // r: the 19 still to label are renewed, one new post fills the batch (20 held, never more), the labelled post stays undoable.
    await page.evaluate(() => (document.getElementById('live')!.textContent = ''));
    await page.keyboard.press('r');
    await expect.poll(() => page.locator('#live').textContent(), WAIT).toMatch(/claimed.*1 new/);
    const held = await claimedBy(h, 'alice');
    expect(held).toHaveLength(20);
    expect(held).not.toContain(first[0]);
    expect(held).toEqual(expect.arrayContaining(first.slice(1)));
    await waitForState(page, first[0]!, /^labelled OK$/);
    await page.keyboard.press('u');
    await waitForState(page, first[0]!, /^to label$/);
    expect(await review(h, first[0]!)).toMatchObject({ state: 'pending', label: null, claimed_by: 'alice' });
    expect(await labelsOf(h, 'alice')).toEqual([]);

    // Leaving the page (pagehide) frees every post still to label for the others at once.
    await page.goto(h.url('/console/dashboard'));
    await expect.poll(() => claimedBy(h, 'alice'), WAIT).toEqual([]);
    const { rows } = await h.db.admin('SELECT count(*)::int AS n FROM reviews WHERE claimed_by IS NULL');
    expect(rows[0].n).toBe(posts.length);
  });

  it('shows the text with its rule spans, the help overlay, and fits a narrow window', async () => {
    const h = await start();
    const posts = await h.seedReviews(6);
    await h.createToken('alice', 'moderator');
    const { page } = await h.newModeratorContext('alice', { width: 400, height: 800 });
    await openQueue(page, h, posts.length);

    // Every span a reason carries is a <mark> in the text (lang="ja", a Japanese font first).
    const { rows } = await h.db.admin('SELECT id, text, reasons FROM posts');
    const spans = (rows as { id: string; text: string; reasons: { span?: { start: number; end: number } }[] }[]).flatMap((r) => r.reasons.filter((x) => x.span).map((x) => ({ id: r.id, text: r.text.slice(x.span!.start, x.span!.end) })));
    expect(spans.length).toBeGreaterThan(0);
    for (const span of spans) {
      const marked = await item(page, span.id).locator('.post-text mark').allTextContents();
      expect(marked.join('')).toContain(span.text);
    }
    const text = item(page, posts[0]!.id).locator('.post-text');
    expect(await text.getAttribute('lang')).toBe('ja');
    expect(await text.evaluate((node) => getComputedStyle(node).fontFamily)).toMatch(/^"Noto Sans CJK JP"/);

    // No sideways scrolling at 400 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    // ? opens the keys' help (1-7 named by category), Esc closes it, and no key labels anything meanwhile.
    await page.keyboard.press('?');
    await expect.poll(() => page.locator('#help').isVisible(), WAIT).toBe(true);
    expect(await page.locator('#help-keys').textContent()).toMatch(/1label NG of category contact.*7label NG of category minor/);
    await page.keyboard.press('o');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('#help').isVisible(), WAIT).toBe(false);
    expect(await labelsOf(h, 'alice')).toEqual([]);
    // The landmarks and the signed-in header.
    expect(await page.locator('header nav a[aria-current="page"]').textContent()).toBe('Review queue');
    expect(await page.locator('main h1').textContent()).toBe('Review queue');
    expect(await page.locator('header .who').textContent()).toMatch(/alice \(moderator\)/);
  });
});
