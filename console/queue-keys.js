// The review queue's keyboard map, one table for the key handler and the
// help overlay (so what `?` shows is what the keys do), and the categories
// the number keys label with: the order of src/moderation/categories.ts
// (test/unit/console-queue-modules.test.ts checks they are the same).

export const CATEGORIES = ['contact', 'solicitation', 'scam', 'abuse', 'spam', 'offplatform_payment', 'minor'];

/** Each action's keys (KeyboardEvent.key values) and what the help overlay says of it. */
export const KEYMAP = [
  { action: 'next', keys: ['j'], help: 'next post' },
  { action: 'previous', keys: ['k'], help: 'previous post' },
  { action: 'ok', keys: ['o'], help: 'label OK (may be published)' },
  { action: 'ng', keys: ['n'], help: 'label NG (breaks the policy, no category)' },
  ...CATEGORIES.map((category, i) => ({ action: `category:${category}`, keys: [String(i + 1)], help: `label NG of category ${category}` })),
  { action: 'undo', keys: ['u'], help: 'undo your last label (or last bulk label) in this claim' },
  { action: 'select', keys: ['x'], help: 'select or unselect the post for bulk labelling' },
  { action: 'select-all', keys: ['A'], help: 'select every unlabelled post shown (Shift+A); again: unselect all' },
  { action: 'refresh', keys: ['r'], help: 'claim again: renews your claim and fetches more posts' },
  { action: 'help', keys: ['?'], help: 'show or hide this help' },
  { action: 'escape', keys: ['Escape'], help: 'close the help, or clear the selection' },
];

const BY_KEY = new Map(KEYMAP.flatMap(({ action, keys }) => keys.map((key) => [key, action])));

/** The label an action stands for: `{ label: 'ok' }`, `{ label: 'ng' }`, `{ label: 'ng', category }`, or null for other actions. */
export function labelOf(action) {
  if (action === 'ok') return { label: 'ok' };
  if (action === 'ng') return { label: 'ng' };
  if (typeof action === 'string' && action.startsWith('category:')) return { label: 'ng', category: action.slice('category:'.length) };
  return null;
}

const TEXT_INPUT_TYPES = new Set(['text', 'search', 'email', 'url', 'tel', 'password', 'number', 'date', 'datetime-local', 'month', 'time', 'week']);

/** Whether a key pressed in `target` belongs to the control (typing, choosing in a list) rather than to the queue. */
export function isTypingTarget(target) {
  if (!target || typeof target !== 'object') return false;
  if (target.isContentEditable) return true;
  const tag = typeof target.tagName === 'string' ? target.tagName.toLowerCase() : '';
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') return TEXT_INPUT_TYPES.has(String(target.type || 'text').toLowerCase());
  return false;
}

/**
 * The queue action of a keydown, or null when the key is not the queue's:
 * unknown keys, keys with Ctrl/Alt/Meta (browser shortcuts), and keys typed
 * into a control.
 */
export function actionOf(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  if (isTypingTarget(event.target)) return null;
  return BY_KEY.get(event.key) ?? null;
}
