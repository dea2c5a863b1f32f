// How a claimed post looks in the review queue: its text (lang="ja") with
// the rule spans as <mark>, decision, category, score, margin and why it is
// in the queue, the category shares, the reasons, its times, the label
// buttons (the same actions as the keys, for a pointer), and the outcome of
// the last action on it in place (a label, an undo, or why the service
// refused it: a 409 is explained on the post, not only announced).
import { el } from './console-client.js';
import { CATEGORIES } from './queue-keys.js';
import { segmentsOf } from './queue-highlight.js';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export const formatTime = (date) => timeFormat.format(date);

/** Why the queue served this post (the claim's `reason`). */
const WHY = {
  overdue: 'overdue (waited past the maximum wait)',
  uncertain: 'uncertain (small margin)',
  oldest: 'oldest',
};

/** A label in words: "OK", "NG", "NG: contact". */
export function labelText({ label, category }) {
  if (label === 'ok') return 'OK';
  return category ? `NG: ${category}` : 'NG';
}

/** What an item's state badge says. */
function stateText(item) {
  switch (item.status) {
    case 'busy':
      return 'sending…';
    case 'labelled':
      return `labelled ${labelText(item.label)}`;
    case 'awaiting':
      return `labelled ${labelText(item.label)}, waits for a second opinion`;
    case 'refused':
      return 'not labelled';
    default:
      return 'to label';
  }
}

/** The post text with each run covered by rule spans in a <mark> (title: the reasons' messages). */
function postText(review) {
  const reasons = review.reasons ?? [];
  const parts = segmentsOf(review.text, reasons).map((segment) => {
    if (segment.reasons.length === 0) return segment.text;
    const about = segment.reasons.map((i) => `${i + 1}. ${reasons[i].code}: ${reasons[i].message}`).join('\n');
    return el('mark', { class: segment.reasons.length > 1 ? 'overlap' : null, title: about, 'data-reasons': segment.reasons.map((i) => i + 1).join(' ') }, segment.text);
  });
  return el('p', { class: 'post-text', lang: 'ja' }, parts);
}

function fact(term, ...value) {
  return el('div', {}, el('dt', {}, term), el('dd', {}, ...value));
}

function timeElement(iso, format = dateTimeFormat) {
  return el('time', { datetime: iso }, format.format(new Date(iso)));
}

/** The label buttons (OK, NG, the seven categories with their keys); `scope` names what they act on for assistive tech. */
export function labelButtons(scope) {
  const button = (action, className, key, text) => el('button', { type: 'button', class: className, 'data-action': action, 'aria-keyshortcuts': key, 'aria-label': `${text} (${scope}), key ${key}` }, el('kbd', {}, key), ' ', text);
  return [button('ok', 'label-ok', 'o', 'OK'), button('ng', 'label-ng', 'n', 'NG'), ...CATEGORIES.map((category, i) => button(`category:${category}`, 'label-category', String(i + 1), category))];
}

/**
 * Fills `li` for `item` (`{ key, review, status, label, message, selected, undoable }`;
 * `key` names its elements: post ids may hold any character, spaces too),
 * the post at `position` (1-based) of `total`; `current`: the post the keys act on.
 */
export function renderItem(li, item, position, total, current) {
  const { review } = item;
  const prefix = `item-${item.key}`;
  const pending = item.status === 'pending';
  li.className = ['item', item.status, current ? 'current' : null, item.selected ? 'selected' : null].filter(Boolean).join(' ');
  li.dataset.id = review.id;
  li.tabIndex = current ? 0 : -1;
  li.setAttribute('aria-labelledby', `${prefix}-title ${prefix}-state`);
  li.setAttribute('aria-describedby', `${prefix}-outcome`);

  const head = el(
    'div',
    { class: 'item-head' },
    el('h2', { id: `${prefix}-title` }, `Post ${position} of ${total} `, el('code', {}, review.id)),
    el('span', { class: `badge decision-${review.decision}` }, review.decision),
    review.category ? el('span', { class: 'badge' }, review.category) : null,
    el('span', { class: 'badge state', id: `${prefix}-state` }, stateText(item)),
  );

  const facts = el(
    'dl',
    { class: 'facts' },
    fact('Score', review.score.toFixed(3)),
    fact('Margin', review.margin === null || review.margin === undefined ? 'unknown' : review.margin.toFixed(3)),
    fact('Why here', WHY[review.reason] ?? review.reason ?? 'unknown'),
    fact('Posted', timeElement(review.createdAt)),
    review.kind ? fact('Kind', review.kind) : null,
    fact('Model', el('code', {}, review.modelVersion ?? 'unknown')),
  );

  const categories = (review.categories ?? []).length
    ? el(
        'div',
        {},
        el('h3', { class: 'visually-hidden' }, 'Category shares'),
        el(
          'ul',
          { class: 'categories', 'aria-label': 'Category shares of the NG score' },
          review.categories.map((c) => el('li', {}, `${c.name} `, el('strong', {}, c.score.toFixed(2)))),
        ),
      )
    : null;

  const reasons = (review.reasons ?? []).length
    ? el(
        'ol',
        { class: 'reasons', 'aria-label': 'Reasons' },
        review.reasons.map((r) => el('li', {}, el('code', {}, r.code), ': ', r.message)),
      )
    : null;

  const actions = el('div', { class: 'item-actions', role: 'group', 'aria-label': `Label post ${position}` });
  if (pending) {
    const box = el('input', { type: 'checkbox', id: `${prefix}-select`, 'data-action': 'toggle-select', 'aria-keyshortcuts': 'x' });
    box.checked = item.selected;
    actions.append(el('label', { class: 'select', for: `${prefix}-select` }, box, 'Select ', el('kbd', {}, 'x')), ...labelButtons(`post ${position}`));
  } else if (item.undoable) {
    actions.append(el('button', { type: 'button', class: 'secondary', 'data-action': 'undo-item', 'aria-keyshortcuts': 'u' }, 'Undo this label'));
  }

  const outcome = el('p', { class: `item-outcome ${item.message?.tone ?? ''}`, id: `${prefix}-outcome` }, item.message?.text ?? '');

  li.replaceChildren(el('article', { 'aria-labelledby': `${prefix}-title` }, head, postText(review), facts, categories, reasons, actions, outcome));
}
