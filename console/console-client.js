// What every console page shares (served as is, no build step): the signed-in
// session (GET /console/api/session), a fetch wrapper for the console JSON
// API that sends the session's CSRF token on every state-changing request
// and turns the service's `{ error: { code, message } }` answers into
// ConsoleApiError, and the page header: role-aware navigation (the queue is
// for moderators only) and a sign-out form carrying `_csrf`.

/** An error answer of the console API: `status`, `code` (the registry's, e.g. CLAIMED_BY_OTHER) and its message. */
export class ConsoleApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ConsoleApiError';
    this.status = status;
    this.code = code;
  }
}

const SIGN_IN = '/console/sign-in';
let csrfToken = null;

/** Reads a response body as JSON, or null when it has none (or is not JSON). */
async function jsonBody(response) {
  const text = await response.text();
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The error a failed answer stands for, with a message a person can act on. */
function apiError(status, body) {
  const error = body && typeof body === 'object' ? body.error : null;
  if (error && typeof error.code === 'string') {
    const message = status === 401 ? `${error.message ?? 'you are not signed in'}: sign in again` : (error.message ?? error.code);
    return new ConsoleApiError(status, error.code, message);
  }
  if (status === 401) return new ConsoleApiError(401, 'UNAUTHORIZED', 'your session has ended (signed out or expired): sign in again');
  return new ConsoleApiError(status, 'HTTP_' + status, `the service answered ${status} without an explanation; try again, or reload the page`);
}

/**
 * Calls the console API: JSON in and out, the session cookie (same origin),
 * `x-csrf-token` on every method but GET/HEAD. Resolves to the parsed body;
 * rejects with ConsoleApiError for an error answer (network failures too,
 * as status 0 / NETWORK_ERROR). `keepalive`: the request outlives the page
 * (a release sent on pagehide; sendBeacon cannot set the CSRF header).
 */
export async function api(path, { method = 'GET', body, keepalive = false } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrfToken === null) await loadSession();
    headers['x-csrf-token'] = csrfToken ?? '';
  }
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin', keepalive, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ConsoleApiError(0, 'NETWORK_ERROR', `the service could not be reached (${error instanceof Error ? error.message : String(error)}); check your connection and try again`);
  }
  const parsed = await jsonBody(response);
  if (!response.ok) throw apiError(response.status, parsed);
  return parsed;
}

/**
 * The signed-in session `{ name, role, csrfToken, expiresAt }`, or null after
 * sending the browser to the sign-in page (no live session).
 */
export async function loadSession() {
  try {
    const session = await api('/console/api/session');
    csrfToken = session.csrfToken;
    return session;
  } catch (error) {
    if (error instanceof ConsoleApiError && error.status === 401) {
      window.location.assign(SIGN_IN);
      return null;
    }
    throw error;
  }
}

/** Creates an element with attributes (`class`, `for`, `aria-*`, ...) and children (strings or nodes). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const PAGES = [
  { href: '/console/queue', label: 'Review queue', roles: ['moderator'] },
  { href: '/console/dashboard', label: 'Dashboard', roles: ['moderator', 'viewer'] },
];

/**
 * Fills the page header: the console's name, the pages this role may open
 * (the current one marked aria-current), who is signed in, and a sign-out
 * button (a POST form with the session's `_csrf`).
 */
export function renderHeader(container, session, current) {
  const links = PAGES.filter((page) => page.roles.includes(session.role)).map((page) => el('li', {}, el('a', { href: page.href, 'aria-current': page.href === current ? 'page' : null }, page.label)));
  const signOut = el('form', { method: 'post', action: '/console/sign-out', class: 'sign-out' }, el('input', { type: 'hidden', name: '_csrf', value: session.csrfToken }), el('button', { type: 'submit', class: 'button secondary' }, 'Sign out'));
  container.replaceChildren(
    el('a', { class: 'brand', href: '/console' }, 'mod console'),
    el('nav', { 'aria-label': 'Console pages' }, el('ul', { class: 'nav-links' }, links)),
    el('p', { class: 'who' }, 'Signed in as ', el('strong', {}, session.name), ` (${session.role})`),
    signOut,
  );
}

/** Says `message` in the page's aria-live region (replacing what it said), `tone` 'ok' | 'error' | 'info'. */
export function announce(region, message, tone = 'info') {
  region.dataset.tone = tone;
  // A change of text is what screen readers announce; clear first so the same message twice is said twice.
  region.textContent = '';
  window.setTimeout(() => {
    region.textContent = message;
  }, 30);
}
