// The dashboard's numbers as text (issue 15): a summary of the window and,
// for every chart, a table of the numbers it draws, so a screen reader (or
// a test, or someone copying into a ticket) gets the same facts as the
// picture. Built from GET /console/api/stats as is; every cell that holds a
// number carries data-key (the field) so its origin is plain.
import { el } from './console-client.js';
import { changeText, count, duration, hourLabel, kappa, percent, revision, timeLabel } from './dashboard-format.js';

/** The hours with any post or label (the others are all zeros and left out of the tables). */
export function activeHours(hourly) {
  return hourly.filter((h) => h.decisions.approve + h.decisions.review + h.decisions.reject + h.labelled > 0);
}

/** Totals over the window: posts by decision, labels, and the window's review and auto-approve rates. */
export function windowTotals(hourly) {
  const totals = { approve: 0, review: 0, reject: 0, labelled: 0 };
  for (const h of hourly) {
    totals.approve += h.decisions.approve;
    totals.review += h.decisions.review;
    totals.reject += h.decisions.reject;
    totals.labelled += h.labelled;
  }
  const posts = totals.approve + totals.review + totals.reject;
  return { ...totals, posts, reviewRate: posts === 0 ? null : totals.review / posts, autoApproveRate: posts === 0 ? null : totals.approve / posts };
}

function table(caption, headers, rows, emptyText) {
  if (rows.length === 0) return el('p', { class: 'empty-table' }, emptyText);
  return el(
    'table',
    { class: 'data' },
    el('caption', { class: 'visually-hidden' }, caption),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', { scope: 'col' }, h)),
      ),
    ),
    el('tbody', {}, rows),
  );
}

const cell = (key, text) => el('td', { 'data-key': key }, text);
const hourCell = (h) => el('th', { scope: 'row', 'data-key': 'hour', 'data-hour': h.hour }, hourLabel(h.hour));

/** The summary line of cards: what a support person asks first. */
export function summary(stats) {
  const t = windowTotals(stats.hourly);
  const a = stats.agreement;
  const item = (key, term, value, detail) => el('div', { class: 'stat' }, el('dt', {}, term), el('dd', { 'data-stat': key }, value), detail ? el('dd', { class: 'stat-detail' }, detail) : null);
  return el(
    'dl',
    { class: 'stats-summary' },
    item('queue-depth', 'Waiting for review', count(stats.queue.depth)),
    item('queue-oldest', 'Oldest waiting', duration(stats.queue.oldestAgeSeconds), stats.queue.oldestEnqueuedAt ? `since ${timeLabel(stats.queue.oldestEnqueuedAt)} UTC` : 'nothing waiting'),
    item('posts', 'Posts moderated', count(t.posts), `${count(t.approve)} approved, ${count(t.review)} to review, ${count(t.reject)} rejected`),
    item('review-rate', 'Sent to review', percent(t.reviewRate)),
    item('auto-approve-rate', 'Approved automatically', percent(t.autoApproveRate)),
    item('labelled', 'Labels given', count(t.labelled)),
    item('kappa', 'Agreement (kappa)', a ? kappa(a.kappa) : 'not measured', a ? `${percent(a.observedAgreement)} of ${count(a.pairs)} pairs agree` : 'no post has two labels yet'),
  );
}

export function decisionsTable(hourly) {
  const rows = activeHours(hourly).map((h) => el('tr', {}, hourCell(h), cell('approve', count(h.decisions.approve)), cell('review', count(h.decisions.review)), cell('reject', count(h.decisions.reject)), cell('labelled', count(h.labelled))));
  return table('Decisions and labels per hour (UTC)', ['Hour (UTC)', 'Approved', 'To review', 'Rejected', 'Labelled'], rows, 'No posts or labels in this window.');
}

export function categoriesTable(hourly, categories) {
  const rows = activeHours(hourly).map((h) =>
    el(
      'tr',
      {},
      hourCell(h),
      categories.map((c) => cell(c, count(h.categories[c] ?? 0))),
    ),
  );
  return table('Posts per top category per hour (UTC)', ['Hour (UTC)', ...categories], rows, 'No posts in this window.');
}

export function ratesTable(hourly) {
  const rows = activeHours(hourly)
    .filter((h) => h.reviewRate !== null)
    .map((h) => el('tr', {}, hourCell(h), cell('posts', count(h.decisions.approve + h.decisions.review + h.decisions.reject)), cell('reviewRate', percent(h.reviewRate)), cell('autoApproveRate', percent(h.autoApproveRate))));
  return table('Review rate and auto-approve rate per hour (UTC)', ['Hour (UTC)', 'Posts', 'Sent to review', 'Approved automatically'], rows, 'No posts in this window.');
}

/** The queue as polled since the page opened: `[{ at, depth, oldestAgeSeconds }]`. */
export function queueTable(history) {
  const rows = [...history].reverse().map((p) => el('tr', {}, el('th', { scope: 'row' }, timeLabel(p.at)), cell('depth', count(p.depth)), cell('oldestAgeSeconds', duration(p.oldestAgeSeconds))));
  return table('Queue depth and oldest item, as polled (UTC)', ['Time (UTC)', 'Waiting', 'Oldest waiting'], rows, 'Not polled yet.');
}

export function agreementTable(agreement) {
  if (!agreement) return el('p', { class: 'empty-table' }, 'Not measured: no post has two labels yet (a share of reviews gets a second opinion, REVIEW_SECOND_OPINION_SHARE).');
  const words = Object.entries(agreement.byCategory);
  return el(
    'div',
    {},
    el(
      'p',
      { class: 'agreement-line' },
      'Kappa ',
      el('strong', { 'data-key': 'kappa' }, kappa(agreement.kappa)),
      ', observed agreement ',
      el('strong', { 'data-key': 'observedAgreement' }, percent(agreement.observedAgreement)),
      ' over ',
      el('strong', { 'data-key': 'pairs' }, count(agreement.pairs)),
      ' pairs (',
      el('span', { 'data-key': 'agreed' }, count(agreement.agreed)),
      ' agreed; ',
      el('span', { 'data-key': 'conflicts' }, count(agreement.conflicts?.count ?? 0)),
      ' conflicts).',
    ),
    table(
      'Agreement per label',
      ['Label', 'Pairs', 'Both chose it', 'Specific agreement'],
      words.map(([word, w]) => el('tr', {}, el('th', { scope: 'row' }, word), cell('pairs', count(w.pairs)), cell('agreed', count(w.agreed)), cell('specificAgreement', percent(w.specificAgreement)))),
      'No labels in the pairs.',
    ),
  );
}

export function timelineTable(timeline) {
  const rows = [...timeline]
    .reverse()
    .map((e) => el('tr', {}, el('th', { scope: 'row', 'data-key': 'at' }, timeLabel(e.at)), cell('instance', e.instance), cell('event', e.event), el('td', { 'data-key': 'revision', title: e.revision ?? '' }, revision(e.revision)), cell('model', e.model)));
  return table('Service starts and model swaps, newest first (UTC)', ['Time (UTC)', 'Instance', 'Event', 'Revision', 'Model'], rows, 'No service started or swapped its model in this window.');
}

/** Where the revision or the model changed, newest first. */
export function changesList(changes) {
  if (changes.length === 0) return el('p', { class: 'empty-table', id: 'changes-empty' }, 'Neither the revision nor the model changed in this window.');
  return el(
    'ol',
    { class: 'changes', reversed: true },
    [...changes].reverse().map((c) => el('li', { 'data-kind': c.kind, 'data-at': c.at }, el('time', { datetime: c.at }, `${timeLabel(c.at)} UTC`), ' ', changeText(c))),
  );
}
