// The review queue page (/console/queue), keyboard first: claims a batch of
// pending posts from the same queue as GET /v1/reviews (through the console
// API, filtered by category and decision), shows them, and labels them with
// the keys of queue-keys.js (or the buttons): one post, or the selected ones
// in bulk; `u` undoes the last label (or the last bulk label) while the
// claim is live. Every outcome is announced in the aria-live status line and
// shown on the post itself; the claim's expiry counts down and an expired
// claim says so, offering to claim again.
import { announce, api, ConsoleApiError, el, loadSession, renderHeader } from './console-client.js';
import { CATEGORIES, KEYMAP, actionOf, labelOf } from './queue-keys.js';
import { formatTime, labelButtons, labelText, renderItem } from './queue-render.js';
import { explainRefusal, isRefusal } from './queue-outcomes.js';

const CLAIM_LIMIT = 20;
/** Below this many seconds left the claim status turns to a warning (and says so once). */
const EXPIRING_SECONDS = 60;

const $ = (id) => document.getElementById(id);
const page = {
  header: $('console-header'),
  filters: $('filters'),
  category: $('filter-category'),
  decision: $('filter-decision'),
  claimStatus: $('claim-status'),
  bulkBar: $('bulk-bar'),
  bulkCount: $('bulk-count'),
  bulkActions: $('bulk-actions'),
  queue: $('queue'),
  empty: $('empty'),
  live: $('live'),
  help: $('help'),
  helpButton: $('help-button'),
  helpKeys: $('help-keys'),
  categoryKeys: $('category-keys'),
};

const state = {
  /** `{ key, review, status: 'pending'|'busy'|'labelled'|'awaiting'|'refused', label, message, selected, undoable }` in queue order. */
  items: [],
  current: 0,
  /** Groups of post ids labelled together (one key press), newest last: what `u` undoes. */
  undo: [],
  nextKey: 0,
  claiming: false,
  /** A claim asked for while one was under way: `{ replace }`, run when it ends. */
  again: null,
  /** The claim-expiry warnings already announced (so each is said once). */
  said: { expiring: false, expired: false },
  error: null,
  /** The last claim was refused for want of a live session (the page offers to sign in). */
  signedOut: false,
};

const say = (message, tone) => announce(page.live, message, tone);
const pendingItems = () => state.items.filter((item) => item.status === 'pending');
const selectedItems = () => state.items.filter((item) => item.selected && item.status === 'pending');
const itemByKey = (key) => state.items.find((item) => item.key === key);

// ---- rendering -------------------------------------------------------------

function liOf(item) {
  return page.queue.querySelector(`li[data-key="${item.key}"]`);
}

function renderOne(item) {
  const li = liOf(item);
  if (!li) return;
  const index = state.items.indexOf(item);
  const hadFocus = li.contains(document.activeElement) && document.activeElement !== li;
  renderItem(li, item, index + 1, state.items.length, index === state.current);
  if (hadFocus && !li.contains(document.activeElement)) li.focus({ preventScroll: true });
}

function renderAll() {
  const lis = state.items.map((item) => {
    const li = liOf(item) ?? el('li', { 'data-key': item.key });
    return li;
  });
  page.queue.replaceChildren(...lis);
  state.items.forEach(renderOne);
  page.empty.hidden = state.items.length > 0 || state.claiming;
  if (state.items.length === 0 && !state.claiming) {
    page.empty.replaceChildren(
      state.error ?? 'No post to review with these filters: none is pending, or other moderators hold them all. Press r (or Claim posts) to look again.',
      state.signedOut ? el('span', {}, ' ', el('a', { href: '/console/sign-in' }, 'Sign in again')) : '',
    );
  }
  renderSelection();
  renderClaimStatus();
}

function renderSelection() {
  const selected = selectedItems();
  page.bulkBar.hidden = selected.length === 0;
  page.bulkCount.textContent = `${selected.length} selected: o, n or 1-7 label them all; Esc or Shift+A clears the selection.`;
}

/** The earliest claim expiry among the posts still to label (the batch's claim). */
function claimExpiry() {
  const times = pendingItems().map((item) => new Date(item.review.claimedUntil).getTime());
  return times.length ? Math.min(...times) : null;
}

function renderClaimStatus() {
  const status = page.claimStatus;
  if (state.claiming) {
    status.className = 'claim-status';
    status.textContent = 'Claiming posts…';
    return;
  }
  const until = claimExpiry();
  if (until === null) {
    status.className = 'claim-status';
    status.textContent = state.items.length ? 'Every post of this claim is labelled. Press r to claim more.' : 'Nothing claimed.';
    return;
  }
  const left = Math.round((until - Date.now()) / 1000);
  const count = pendingItems().length;
  if (left <= 0) {
    status.className = 'claim-status expired';
    status.replaceChildren(
      `Your claim expired at ${formatTime(new Date(until))}: other moderators may take these ${count} posts now, and a label on one of them is refused if someone has. `,
      el('button', { type: 'button', 'data-action': 'refresh' }, 'Claim again ', el('kbd', {}, 'r')),
    );
    if (!state.said.expired) {
      state.said.expired = true;
      say('Your claim has expired: press r to claim again.', 'error');
    }
    return;
  }
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, '0');
  status.className = left <= EXPIRING_SECONDS ? 'claim-status expiring' : 'claim-status';
  status.replaceChildren(`${count} ${count === 1 ? 'post' : 'posts'} claimed for you until ${formatTime(new Date(until))} (`, el('span', { class: 'countdown' }, `${minutes}:${seconds}`), ' left).');
  if (left <= EXPIRING_SECONDS && !state.said.expiring) {
    state.said.expiring = true;
    say(`Your claim expires in ${left} seconds: press r to renew it.`, 'info');
  }
}

/** Moves the keys' target to `index` (focus follows and scrolls into view). */
function moveTo(index, { focus = true } = {}) {
  if (state.items.length === 0) return;
  const previous = state.items[state.current];
  state.current = Math.max(0, Math.min(index, state.items.length - 1));
  if (previous) renderOne(previous);
  const item = state.items[state.current];
  renderOne(item);
  if (focus) {
    const li = liOf(item);
    li.focus({ preventScroll: true });
    li.scrollIntoView({ block: 'nearest' });
  }
}

/** After a label: the next post still to label (after the current one, else the first), or stay. */
function moveToNextPending() {
  const after = state.items.findIndex((item, i) => i > state.current && item.status === 'pending');
  const first = state.items.findIndex((item) => item.status === 'pending');
  const next = after !== -1 ? after : first;
  if (next !== -1) moveTo(next);
  else moveTo(state.current);
}

// ---- claiming --------------------------------------------------------------

function filterQuery() {
  const query = new URLSearchParams({ limit: String(CLAIM_LIMIT) });
  if (page.category.value) query.set('category', page.category.value);
  if (page.decision.value) query.set('decision', page.decision.value);
  return query;
}

/** Keeps the filters in the address (a reload claims with the same ones). */
function rememberFilters() {
  const url = new URL(window.location.href);
  for (const name of ['category', 'decision']) {
    const value = page[name].value;
    if (value) url.searchParams.set(name, value);
    else url.searchParams.delete(name);
  }
  window.history.replaceState(null, '', url);
}

const fresh = (review) => ({ key: state.nextKey++, review, status: 'pending', label: null, message: null, selected: false, undoable: false, inflight: null });

/**
 * Claims a batch. `replace` (the filters changed): the list becomes what the
 * claim answered, and the service frees the posts the page dropped. Otherwise
 * (r): the posts still to label are sent as `held` and stay when the service
 * renewed their claim; labelled posts whose undo is still possible stay with
 * their undo history; new posts are added up to the limit (the service never
 * lets one moderator hold more).
 */
async function claim({ replace }) {
  if (state.claiming) {
    // A filter changed (or r pressed) while claiming: claim again after, with the filters as they are then.
    state.again = { replace: replace || (state.again?.replace ?? false) };
    return;
  }
  state.claiming = true;
  state.error = null;
  state.signedOut = false;
  renderClaimStatus();
  try {
    const query = filterQuery();
    if (!replace) for (const item of state.items) if (item.status === 'pending' || item.status === 'busy') query.append('held', item.review.id);
    const answer = await api(`/console/api/reviews?${query}`);
    const reviews = answer.items ?? [];
    const renewed = new Set(answer.renewed ?? []);
    const now = Date.now();
    let kept = [];
    if (!replace) {
      kept = state.items.filter((item) => renewed.has(item.review.id) || item.status === 'busy' || (item.undoable && new Date(item.review.claimedUntil).getTime() > now));
      for (const item of kept) {
        if (!renewed.has(item.review.id)) continue;
        item.review = { ...item.review, claimedUntil: answer.claimedUntil };
        item.message = null;
      }
    }
    const keptKeys = new Set(kept.map((item) => item.key));
    const keptIds = new Set(kept.map((item) => item.review.id));
    const added = reviews.filter((review) => !keptIds.has(review.id)).map(fresh);
    state.items = [...kept, ...added];
    state.undo = state.undo.map((group) => group.filter((key) => keptKeys.has(key))).filter((group) => group.length);
    state.current = 0;
    state.claiming = false;
    // A claim that has run out on arrival (the service's clock is ahead) is said in the same announcement.
    const until = claimExpiry();
    const expired = until !== null && until <= Date.now();
    state.said = { expiring: expired, expired };
    renderAll();
    const filters = [page.category.value && `category ${page.category.value}`, page.decision.value && `decision ${page.decision.value}`].filter(Boolean).join(', ');
    const held = state.items.filter((item) => item.status === 'pending' || item.status === 'busy').length;
    const claimed = held ? `${held} ${held === 1 ? 'post' : 'posts'} claimed${filters ? ` (${filters})` : ''}; ${added.length} new.` : `No post to review${filters ? ` with ${filters}` : ''}.`;
    say(expired ? `${claimed} Your claim has expired already: press r to claim again.` : claimed, expired ? 'error' : 'ok');
    if (state.items.length) moveTo(0, { focus: document.activeElement === document.body || page.queue.contains(document.activeElement) || page.claimStatus.contains(document.activeElement) });
  } catch (error) {
    state.claiming = false;
    state.error = `Could not claim posts: ${messageOf(error)}`;
    state.signedOut = error instanceof ConsoleApiError && error.status === 401;
    renderAll();
    say(state.error, 'error');
  }
  const again = state.again;
  state.again = null;
  if (again) await claim(again);
}

function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

// ---- labelling -------------------------------------------------------------

const bodyOf = (label) => (label.category ? { label: 'ng', category: label.category } : { label: label.label });

/** Marks `item` labelled from a decision answer (`state` pending: it waits for a second opinion). */
function labelled(item, label, answer) {
  const awaiting = answer && answer.state === 'pending';
  item.status = awaiting ? 'awaiting' : 'labelled';
  item.label = label;
  item.selected = false;
  // A label given after the claim ended is kept by the service (nobody else took the post) but cannot be undone.
  item.undoable = new Date(item.review.claimedUntil).getTime() > Date.now();
  const undo = item.undoable ? '; press u to undo' : ' (your claim had ended: it cannot be undone)';
  item.message = { tone: 'ok', text: awaiting ? `Labelled ${labelText(label)}. This post needs a second moderator's label too${undo}.` : `Labelled ${labelText(label)}${undo}.` };
}

/** Marks `item` refused (the message says why, in place) or, for a failure that is not a refusal, back to label with the error. */
function refused(item, error) {
  if (error instanceof ConsoleApiError && isRefusal(error.code)) {
    item.status = 'refused';
    item.selected = false;
    item.message = { tone: 'error', text: explainRefusal(error.code, error.message) };
  } else {
    item.status = 'pending';
    item.message = { tone: 'error', text: `Not labelled: ${messageOf(error)}` };
  }
}

/**
 * Labels one post. The keys move on to the next post at once (typing o o o
 * labels three posts); the answer lands on the post itself. The undo stack
 * takes the label when it is sent, so `u` undoes the last one pressed even
 * when the answers come back in another order.
 */
function labelOne(item, label) {
  if (item.status !== 'pending') {
    say(item.status === 'busy' ? 'That post is being labelled already.' : `This post is ${item.status === 'refused' ? 'not labellable (see why on it)' : 'labelled already: press u to undo first'}.`, 'info');
    return;
  }
  item.status = 'busy';
  item.message = null;
  item.selected = false;
  renderOne(item);
  renderSelection();
  const group = [item.key];
  state.undo.push(group);
  if (state.items[state.current] === item) moveToNextPending();
  item.inflight = (async () => {
    try {
      const answer = await api(`/console/api/reviews/${encodeURIComponent(item.review.id)}/decision`, { method: 'POST', body: bodyOf(label) });
      labelled(item, label, answer);
      say(`Post ${item.review.id} labelled ${labelText(label)}.`, 'ok');
    } catch (error) {
      dropFromUndo(item.key);
      refused(item, error);
      say(`Post ${item.review.id} not labelled: ${item.message.text}`, 'error');
    }
    renderOne(item);
    renderClaimStatus();
  })();
  return item.inflight;
}

/** Labels the selected posts in one request (POST /console/api/reviews/bulk); each post's outcome lands on it. */
function labelSelection(items, label) {
  for (const item of items) {
    item.status = 'busy';
    item.message = null;
    item.selected = false;
    renderOne(item);
  }
  renderSelection();
  state.undo.push(items.map((item) => item.key));
  moveToNextPending();
  const inflight = (async () => {
    try {
      const answer = await api('/console/api/reviews/bulk', { method: 'POST', body: { ids: items.map((item) => item.review.id), ...bodyOf(label) } });
      const results = new Map((answer.results ?? []).map((result) => [result.id, result]));
      const notDone = [];
      for (const item of items) {
        const result = results.get(item.review.id);
        if (result && result.outcome === 'decided') labelled(item, label, result);
        else {
          dropFromUndo(item.key);
          refused(item, new ConsoleApiError(409, result ? result.outcome : 'MISSING', result?.message ?? 'the bulk answer did not mention this post'));
          notDone.push(item);
        }
        renderOne(item);
      }
      const why = notDone.map((item) => `${item.review.id} (${item.message.text})`).join('; ');
      say(`${items.length - notDone.length} of ${items.length} posts labelled ${labelText(label)}${notDone.length ? `; not labelled: ${why}` : ''}.`, notDone.length ? 'error' : 'ok');
    } catch (error) {
      for (const item of items) {
        dropFromUndo(item.key);
        item.status = 'pending';
        item.message = { tone: 'error', text: `Not labelled: ${messageOf(error)}` };
        renderOne(item);
      }
      say(`The bulk label failed, nothing was labelled: ${messageOf(error)}`, 'error');
    }
    renderSelection();
    renderClaimStatus();
  })();
  for (const item of items) item.inflight = inflight;
  return inflight;
}

/** Takes a post out of the undo stack (its label was refused, or it was undone on its own). */
function dropFromUndo(key) {
  state.undo = state.undo.map((group) => group.filter((k) => k !== key)).filter((group) => group.length);
}

/** Undoes the labels of `keys` (one group): each post back to label, or why not, in place. */
async function undoGroup(keys) {
  // A label still on its way is waited for: its undo comes after it.
  await Promise.all(keys.map((key) => itemByKey(key)?.inflight));
  const items = keys.map(itemByKey).filter((item) => item && (item.status === 'labelled' || item.status === 'awaiting'));
  if (items.length === 0) {
    say('Nothing to undo in this claim.', 'info');
    return;
  }
  const failed = [];
  for (const item of items) {
    try {
      const answer = await api(`/console/api/reviews/${encodeURIComponent(item.review.id)}/undo`, { method: 'POST', body: {} });
      if (answer && typeof answer.claimedUntil === 'string') item.review = { ...item.review, claimedUntil: answer.claimedUntil };
      item.status = 'pending';
      item.label = null;
      item.undoable = false;
      item.message = { tone: 'ok', text: 'Label undone: the post is yours to label again.' };
    } catch (error) {
      item.undoable = false;
      item.message = { tone: 'error', text: `Not undone: ${error instanceof ConsoleApiError ? explainRefusal(error.code, error.message) : messageOf(error)}` };
      failed.push(item);
    }
    renderOne(item);
  }
  const undone = items.length - failed.length;
  say(failed.length ? `${undone} of ${items.length} labels undone; ${failed.map((item) => `${item.review.id}: ${item.message.text}`).join('; ')}` : `${undone === 1 ? `Label of post ${items[0].review.id}` : `${undone} labels`} undone.`, failed.length ? 'error' : 'ok');
  renderSelection();
  renderClaimStatus();
  const first = items.find((item) => item.status === 'pending');
  if (first) moveTo(state.items.indexOf(first));
}

function undoLast() {
  const group = state.undo.pop();
  if (!group) {
    say('Nothing to undo in this claim.', 'info');
    return;
  }
  return undoGroup(group);
}

function undoItem(item) {
  dropFromUndo(item.key);
  return undoGroup([item.key]);
}

// ---- selection -------------------------------------------------------------

function toggleSelect(item) {
  if (!item) return;
  if (item.status !== 'pending') {
    say('Only a post still to label can be selected.', 'info');
    return;
  }
  item.selected = !item.selected;
  renderOne(item);
  renderSelection();
  say(`Post ${item.review.id} ${item.selected ? 'selected' : 'unselected'}; ${selectedItems().length} selected.`, 'info');
}

function toggleSelectAll() {
  const pending = pendingItems();
  const all = pending.length > 0 && pending.every((item) => item.selected);
  for (const item of pending) item.selected = !all;
  pending.forEach(renderOne);
  renderSelection();
  say(all ? 'Selection cleared.' : `${pending.length} posts selected.`, 'info');
}

function clearSelection() {
  const selected = selectedItems();
  if (selected.length === 0) return;
  for (const item of selected) item.selected = false;
  selected.forEach(renderOne);
  renderSelection();
  say('Selection cleared.', 'info');
}

// ---- actions and keys ------------------------------------------------------

function toggleHelp() {
  if (page.help.open) page.help.close();
  else page.help.showModal();
}

/** Runs a queue action (a key's or a button's); `item`: the post a button belongs to (keys: the current one, or the selection). */
function run(action, item) {
  const label = labelOf(action);
  if (label) {
    const selection = selectedItems();
    if (!item && selection.length) return labelSelection(selection, label);
    const target = item ?? state.items[state.current];
    if (!target) return say('No post to label: press r to claim some.', 'info');
    return labelOne(target, label);
  }
  switch (action) {
    case 'next':
      return moveTo(state.current + 1);
    case 'previous':
      return moveTo(state.current - 1);
    case 'undo':
      return undoLast();
    case 'undo-item':
      return item && undoItem(item);
    case 'select':
      return toggleSelect(state.items[state.current]);
    case 'toggle-select':
      return toggleSelect(item);
    case 'select-all':
      return toggleSelectAll();
    case 'refresh':
      return claim({ replace: false });
    case 'help':
      return toggleHelp();
    case 'escape':
      return clearSelection();
  }
}

function onKeyDown(event) {
  if (page.help.open) {
    // The dialog closes itself on Escape; ? closes it too.
    if (event.key === '?') {
      event.preventDefault();
      page.help.close();
    }
    return;
  }
  const action = actionOf(event);
  if (!action) return;
  event.preventDefault();
  void run(action);
}

/** A click on a post's (or the bulk bar's, or the claim status's) button: the same actions as the keys. */
function onClick(event) {
  const button = event.target.closest('[data-action]');
  if (!button) return;
  const li = button.closest('li[data-key]');
  const item = li ? itemByKey(Number(li.dataset.key)) : null;
  if (item) state.current = state.items.indexOf(item);
  const action = button.dataset.action;
  if (action === 'toggle-select') {
    event.preventDefault();
    return void run(action, item);
  }
  void run(action, li ? item : undefined);
}

function onFocusIn(event) {
  const li = event.target.closest('li[data-key]');
  if (!li) return;
  const index = state.items.findIndex((item) => item.key === Number(li.dataset.key));
  if (index === -1 || index === state.current) return;
  const previous = state.items[state.current];
  state.current = index;
  if (previous) renderOne(previous);
  // The focused element is inside the li: renderOne keeps focus on it or the li.
  li.classList.add('current');
  li.tabIndex = 0;
}

function setUpControls() {
  for (const [i, category] of CATEGORIES.entries()) page.category.append(el('option', { value: category }, `${i + 1} ${category}`));
  page.categoryKeys.replaceChildren(...CATEGORIES.flatMap((category, i) => [i ? ', ' : '', el('kbd', {}, String(i + 1)), ` ${category}`]));
  page.helpKeys.replaceChildren(
    ...KEYMAP.map(({ keys, help }) =>
      el(
        'tr',
        {},
        el(
          'td',
          {},
          keys.map((key) => el('kbd', {}, key === 'A' ? 'Shift+A' : key)),
        ),
        el('td', {}, help),
      ),
    ),
  );
  page.bulkActions.replaceChildren(...labelButtons('the selected posts'));
  const url = new URL(window.location.href);
  for (const name of ['category', 'decision']) {
    const value = url.searchParams.get(name);
    if (value && [...page[name].options].some((option) => option.value === value)) page[name].value = value;
  }
  page.filters.addEventListener('submit', (event) => {
    event.preventDefault();
    void claim({ replace: false });
  });
  for (const select of [page.category, page.decision])
    select.addEventListener('change', () => {
      rememberFilters();
      void claim({ replace: true });
    });
  page.helpButton.addEventListener('click', toggleHelp);
  document.addEventListener('keydown', onKeyDown);
  page.queue.addEventListener('click', onClick);
  page.bulkBar.addEventListener('click', onClick);
  page.claimStatus.addEventListener('click', onClick);
  page.queue.addEventListener('focusin', onFocusIn);
  window.setInterval(renderClaimStatus, 1000);
  // Leaving the page frees the posts still to label at once (not at the claim's end).
  window.addEventListener('pagehide', releaseOnExit);
}

/** Frees the posts still to label, in a request that outlives the page. */
function releaseOnExit() {
  const pending = state.items.filter((item) => item.status === 'pending');
  if (pending.length === 0) return;
  // The latest claim end among them: a newer claim of the same posts (the reload this page is leaving for) ends later and stays.
  const claimedUntil = new Date(Math.max(...pending.map((item) => new Date(item.review.claimedUntil).getTime()))).toISOString();
  api('/console/api/reviews/release', { method: 'POST', body: { ids: pending.map((item) => item.review.id), claimedUntil }, keepalive: true }).catch(() => {});
}

async function start() {
  let session;
  try {
    session = await loadSession();
  } catch (error) {
    say(`Could not read your session: ${messageOf(error)}`, 'error');
    return;
  }
  if (!session) return;
  renderHeader(page.header, session, '/console/queue');
  if (session.role !== 'moderator') {
    page.claimStatus.textContent = 'You are signed in as a viewer: viewers cannot label posts. The dashboard shows the queue.';
    page.filters.hidden = true;
    return;
  }
  setUpControls();
  await claim({ replace: true });
}

void start();
