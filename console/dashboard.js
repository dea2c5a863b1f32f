// The dashboard page (/console/dashboard), for moderators and support staff
// (viewers): reads GET /console/api/stats (the same numbers as GET
// /v1/stats) for the chosen window and draws decisions and categories per
// hour, the review and auto-approve rates, the review queue (polled while
// the page is open: the API gives its depth now), agreement between
// moderators and the revision / model timeline, each chart with its numbers
// as text under it. Refreshes every minute and on demand; the window is in
// the address (?hours=24), so a link shows the same view.
import { ConsoleApiError, api, loadSession, renderHeader } from './console-client.js';
import { categoriesChart, decisionsChart, queueChart, ratesChart, timelineChart } from './dashboard-charts.js';
import { count, duration, percent, plural, timeLabel } from './dashboard-format.js';
import { agreementTable, categoriesTable, changesList, decisionsTable, queueTable, ratesTable, summary, timelineTable, windowTotals } from './dashboard-tables.js';

const REFRESH_MS = 60_000;
const HOURS = ['24', '72', '168', '720'];
/** Queue polls kept for the queue chart (a day at one a minute). */
const MAX_QUEUE_POINTS = 1440;

const $ = (id) => document.getElementById(id);
const state = { queue: [], unmount: [], timer: null };

function hoursFromAddress() {
  const hours = new URLSearchParams(window.location.search).get('hours');
  return HOURS.includes(hours) ? hours : '24';
}

function showError(error) {
  const box = $('error');
  if (error === null) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.hidden = false;
  box.textContent = error instanceof ConsoleApiError ? `The numbers could not be loaded: ${error.message}` : `The dashboard failed: ${error instanceof Error ? error.message : String(error)}; reload the page`;
}

function render(stats) {
  for (const unmount of state.unmount.splice(0)) unmount();
  const categories = Object.keys(stats.hourly[0]?.categories ?? {});
  const totals = windowTotals(stats.hourly);
  const hours = stats.hourly.length;

  $('summary').replaceChildren(summary(stats));

  state.unmount.push(decisionsChart($('decisions-chart'), stats));
  $('decisions-summary').textContent = `Over the last ${hours} hours: ${count(totals.posts)} posts, ${count(totals.approve)} approved, ${count(totals.review)} sent to review, ${count(totals.reject)} rejected; ${count(totals.labelled)} labels given.`;
  $('decisions-table').replaceChildren(decisionsTable(stats.hourly));

  state.unmount.push(ratesChart($('rates-chart'), stats));
  $('rates-summary').textContent = `Over the window ${percent(totals.reviewRate)} of posts went to review and ${percent(totals.autoApproveRate)} were approved without a moderator.`;
  $('rates-table').replaceChildren(ratesTable(stats.hourly));

  state.unmount.push(categoriesChart($('categories-chart'), stats, categories));
  const byCategory = categories.map((c) => [c, stats.hourly.reduce((n, h) => n + (h.categories[c] ?? 0), 0)]).filter(([, n]) => n > 0);
  $('categories-summary').textContent = byCategory.length === 0 ? 'No post had a top category in the window.' : `Top categories over the window: ${byCategory.map(([c, n]) => `${c} ${count(n)}`).join(', ')}.`;
  $('categories-table').replaceChildren(categoriesTable(stats.hourly, categories));

  state.unmount.push(queueChart($('queue-chart'), stats, state.queue));
  $('queue-summary').textContent = stats.queue.depth === 0 ? 'Nothing is waiting for review now.' : `${plural(stats.queue.depth, 'post', 'posts')} waiting for review now; the oldest has waited ${duration(stats.queue.oldestAgeSeconds)}.`;
  $('queue-table').replaceChildren(queueTable(state.queue));

  $('agreement').replaceChildren(agreementTable(stats.agreement));

  state.unmount.push(timelineChart($('timeline-chart'), stats));
  const instances = new Set(stats.timeline.map((e) => e.instance)).size;
  $('timeline-summary').textContent =
    `${plural(stats.timeline.length, 'service start or model swap', 'service starts and model swaps')} on ${plural(instances, 'instance', 'instances')} in the window; ${plural(stats.changes.length, 'change', 'changes')} of revision or model, marked on every chart.`;
  $('changes').replaceChildren(changesList(stats.changes));
  $('timeline-table').replaceChildren(timelineTable(stats.timeline));

  $('updated').textContent = `Updated ${timeLabel(stats.generatedAt)} UTC (window ${timeLabel(stats.from)} to ${timeLabel(stats.to)} UTC).`;
  document.body.dataset.loaded = stats.generatedAt;
}

async function refresh() {
  const hours = $('hours').value;
  try {
    const stats = await api(`/console/api/stats?hours=${encodeURIComponent(hours)}`);
    state.queue.push({ at: stats.generatedAt, depth: stats.queue.depth, oldestAgeSeconds: stats.queue.oldestAgeSeconds });
    if (state.queue.length > MAX_QUEUE_POINTS) state.queue.shift();
    showError(null);
    render(stats);
  } catch (error) {
    showError(error);
    $('updated').textContent = 'Not updated: see the error above.';
  }
}

function schedule() {
  window.clearTimeout(state.timer);
  state.timer = window.setTimeout(async () => {
    await refresh();
    schedule();
  }, REFRESH_MS);
}

async function start() {
  const session = await loadSession();
  if (session === null) return;
  renderHeader($('console-header'), session, '/console/dashboard');
  $('hours').value = hoursFromAddress();
  $('window-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const url = new URL(window.location.href);
    url.searchParams.set('hours', $('hours').value);
    window.history.replaceState(null, '', url);
    await refresh();
    schedule();
  });
  $('hours').addEventListener('change', () => $('window-form').requestSubmit());
  await refresh();
  schedule();
}

start().catch(showError);
