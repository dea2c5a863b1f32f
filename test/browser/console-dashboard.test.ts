// The dashboard in a real browser against the real service (issue 15): after
// Japanese posts are moderated, some labelled by two moderators (so
// agreement is measured) and the service recorded a start and a model swap,
// a viewer's dashboard shows the numbers GET /v1/stats reports (summary,
// the per-hour tables, agreement, the timeline), marks the model change on
// the charts, and shows a new change after Refresh; a moderator sees it too.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { DashboardStats, HourlyStats } from '../../src/moderation/dashboard-stats.js';
import { useConsoleHarness, type ConsoleHarness } from '../support/console-browser.js';

/** How long a condition may take to hold: generous, for a loaded 2-core machine (nothing waits a fixed time). */
const WAIT = { timeout: 60_000 };

const count = (n: number) => n.toLocaleString('en-US');
const percent = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
const active = (hourly: HourlyStats[]) => hourly.filter((h) => h.decisions.approve + h.decisions.review + h.decisions.reject + h.labelled > 0);

/** The rows of a dashboard table, each as { hour, <data-key>: text }. */
async function tableRows(page: Page, container: string): Promise<Record<string, string>[]> {
  return page.locator(`#${container} tbody tr`).evaluateAll((rows) =>
    rows.map((row) => {
      const out: Record<string, string> = {};
      for (const c of row.querySelectorAll('[data-key]')) out[c.getAttribute('data-key')!] = c.getAttribute('data-hour') ?? (c.textContent ?? '').trim();
      return out;
    }),
  );
}

async function openDashboard(page: Page, h: ConsoleHarness): Promise<void> {
  await page.goto(h.url('/console/dashboard'));
  await page.locator('body[data-loaded]').waitFor({ timeout: 60_000 });
}

describe('the dashboard', () => {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);

  // Every review needs two labels, so the labels below give agreement pairs.
  const harness = useConsoleHarness({ app: { reviewQueue: { secondOpinionShare: 1 } } }, async (h) => {
    await h.seedReviews(6);
    await h.seedPosts(40);
    const alice = await h.createToken('alice');
    const bob = await h.createToken('bob');
    await h.createToken('sato', 'viewer');
    // Alice labels three posts; Bob gives them a second opinion, agreeing on two.
    const claimed = await h.getJson<{ items: { id: string }[] }>('/v1/reviews?limit=3', alice);
    expect(claimed.status).toBe(200);
    const labels: Record<string, string> = {};
    const decide = async (token: string, id: string, label: string) => {
      const res = await fetch(h.url(`/v1/reviews/${encodeURIComponent(id)}/decision`), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ label }) });
      expect(res.status, await res.text()).toBe(200);
    };
    for (const [i, item] of claimed.body.items.entries()) {
      labels[item.id] = i === 0 ? 'contact' : 'ok';
      await decide(alice, item.id, labels[item.id]!);
    }
    const second = await h.getJson<{ items: { id: string }[] }>('/v1/reviews?limit=100', bob);
    const again = second.body.items.filter((item) => item.id in labels);
    expect(again).toHaveLength(3);
    for (const [i, item] of again.entries()) await decide(bob, item.id, i === 0 ? 'ok' : labels[item.id]!);
    // What the service records at start and at a model swap (service-events.ts).
    await h.store.recordServiceEvent({ at: at(90), instance: 'i-0abc', revision: 'a1b2c3d4e5f6a7b8', model: '20261201-aaaa1111', event: 'start' });
    await h.store.recordServiceEvent({ at: at(30), instance: 'i-0abc', revision: 'a1b2c3d4e5f6a7b8', model: '20261202-bbbb2222', event: 'model-swap' });
  });

  it('shows a viewer the numbers GET /v1/stats reports, and marks the model swap', async () => {
    const h = harness();
    const { context, page } = await h.newViewerContext('sato');
    await openDashboard(page, h);
    const api = await h.getJson<DashboardStats>('/v1/stats?hours=24', h.tokens.sato!);
    expect(api.status).toBe(200);
    const stats = api.body;
    const hours = active(stats.hourly);
    expect(hours.length).toBeGreaterThan(0);
    const sum = (f: (x: HourlyStats) => number) => stats.hourly.reduce((n, x) => n + f(x), 0);
    const posts = sum((x) => x.decisions.approve + x.decisions.review + x.decisions.reject);
    expect(posts).toBe(46);
    expect(sum((x) => x.labelled)).toBe(6);

    const stat = (key: string) => page.locator(`[data-stat="${key}"]`).innerText();
    expect(await stat('queue-depth')).toBe(count(stats.queue.depth));
    expect(await stat('posts')).toBe(count(posts));
    expect(await stat('review-rate')).toBe(percent(sum((x) => x.decisions.review) / posts));
    expect(await stat('auto-approve-rate')).toBe(percent(sum((x) => x.decisions.approve) / posts));
    expect(await stat('labelled')).toBe(count(6));
    expect(stats.agreement).not.toBeNull();
    expect(stats.agreement!.pairs).toBe(3);
    expect(await stat('kappa')).toBe(stats.agreement!.kappa === null ? '–' : stats.agreement!.kappa.toFixed(3));

    // Each table has a row per hour with posts or labels, with the API's numbers.
    expect(await tableRows(page, 'decisions-table')).toEqual(hours.map((x) => ({ hour: x.hour, approve: count(x.decisions.approve), review: count(x.decisions.review), reject: count(x.decisions.reject), labelled: count(x.labelled) })));
    expect(await tableRows(page, 'rates-table')).toEqual(
      hours.filter((x) => x.reviewRate !== null).map((x) => ({ hour: x.hour, posts: count(x.decisions.approve + x.decisions.review + x.decisions.reject), reviewRate: percent(x.reviewRate), autoApproveRate: percent(x.autoApproveRate) })),
    );
    expect(await tableRows(page, 'categories-table')).toEqual(hours.map((x) => ({ hour: x.hour, ...Object.fromEntries(Object.entries(x.categories).map(([c, n]) => [c, count(n)])) })));
    const agreement = page.locator('#agreement');
    expect(await agreement.locator('[data-key="pairs"]').first().innerText()).toBe(count(stats.agreement!.pairs));
    expect(await agreement.locator('[data-key="observedAgreement"]').innerText()).toBe(percent(stats.agreement!.observedAgreement));

    // The timeline: both events, the model change listed and marked on the charts.
    expect(stats.changes).toEqual([expect.objectContaining({ kind: 'model', from: '20261201-aaaa1111', to: '20261202-bbbb2222' })]);
    expect((await tableRows(page, 'timeline-table')).map((r) => [r.event, r.model])).toEqual([
      ['model-swap', '20261202-bbbb2222'],
      ['start', '20261201-aaaa1111'],
    ]);
    const changes = page.locator('#changes li');
    await expect.poll(() => changes.count(), WAIT).toBe(1);
    expect(await changes.first().innerText()).toContain('model 20261201-aaaa1111 → 20261202-bbbb2222');
    expect(await changes.first().getAttribute('data-at')).toBe(stats.changes[0]!.at);
    for (const chart of ['decisions-chart', 'rates-chart', 'categories-chart', 'timeline-chart']) {
      const marker = page.locator(`#${chart} .change-marker[data-kind="model"]`);
      await expect.poll(() => marker.count(), WAIT).toBe(1);
      expect(await marker.getAttribute('title')).toContain('20261202-bbbb2222');
    }
    // uPlot drew every chart (from /console/assets/vendor/uplot.esm.js).
    expect(await page.locator('.chart .uplot canvas').count()).toBe(5);
    await context.close();
  });

  it('shows a new revision after Refresh, and moderators see the dashboard too', async () => {
    const h = harness();
    const { context, page } = await h.newModeratorContext('alice');
    await openDashboard(page, h);
    await expect.poll(() => page.locator('#changes li').count(), WAIT).toBe(1);
    const before = await page.locator('body').getAttribute('data-loaded');
    await h.store.recordServiceEvent({ at: at(5), instance: 'i-0abc', revision: 'f0e1d2c3b4a59687', model: '20261202-bbbb2222', event: 'start' });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => page.locator('body').getAttribute('data-loaded'), WAIT).not.toBe(before);
    const changes = page.locator('#changes li');
    await expect.poll(() => changes.count(), WAIT).toBe(2);
    // Newest first.
    expect(await changes.first().getAttribute('data-kind')).toBe('revision');
    expect(await changes.first().innerText()).toContain('revision a1b2c3d4e5f6 → f0e1d2c3b4a5');
    await expect.poll(() => page.locator('#timeline-chart .change-marker').count(), WAIT).toBe(2);
    // A moderator's header links the queue too; a viewer's only the dashboard (console-security.test.ts).
    await expect.poll(() => page.locator('header nav a').allInnerTexts(), WAIT).toEqual(['Review queue', 'Dashboard']);
    await context.close();
  });
});
