// Shared by the console's service tests: a moderator whose decision and
// category are read from the post's text ("review spam m0.2": decision
// review, category spam, margin 0.2), tokens made as `mod service token
// create --role` makes them, and signing in through POST /console/sign-in
// (JSON) with the cookie and CSRF token it answers.
import type { ModerationRequest, ModerationResult } from '../../src/moderation/moderator.js';
import type { buildApp, ServiceModerator } from '../../src/service/app.js';
import { generateToken, hashToken } from '../../src/service/tokens.js';
import type { PostgresStore } from '../../src/store/postgres-store.js';

export const textModerator: ServiceModerator = {
  modelVersion: 'text-rules',
  moderate(request: ModerationRequest): ModerationResult {
    const decision = (/\b(approve|review|reject)\b/.exec(request.text)?.[1] ?? 'review') as ModerationResult['decision'];
    const category = /\b(contact|solicitation|scam|abuse|spam|offplatform_payment|minor)\b/.exec(request.text)?.[1] ?? null;
    const m = /\bm(\d\.\d+)/.exec(request.text);
    return {
      ...(request.id === undefined ? {} : { id: request.id }),
      decision,
      category: category as ModerationResult['category'],
      categories: category ? [{ name: category as ModerationResult['category'] & string, score: 0.6 }] : [],
      score: 0.6,
      reasons: [],
      modelVersion: 'text-rules',
      ...(m ? { margin: Number(m[1]) } : {}),
    };
  },
};

export async function createToken(store: PostgresStore, name: string, role: 'moderator' | 'viewer' = 'moderator', now = new Date()): Promise<string> {
  const token = generateToken();
  await store.saveModeratorToken(name, hashToken(token), now, role);
  return token;
}

export interface Signed {
  cookie: string;
  csrf: string;
  name: string;
  role: string;
}

export async function signIn(app: ReturnType<typeof buildApp>, token: string): Promise<Signed> {
  const res = await app.inject({ method: 'POST', url: '/console/sign-in', payload: { token } });
  if (res.statusCode !== 200) throw new Error(`sign-in answered ${res.statusCode}: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'mod_session');
  if (!cookie) throw new Error('sign-in set no mod_session cookie');
  const body = res.json() as { csrfToken: string; name: string; role: string };
  return { cookie: `mod_session=${cookie.value}`, csrf: body.csrfToken, name: body.name, role: body.role };
}

/** A console API call as the browser's fetch wrapper makes it (cookie, and x-csrf-token on POST). */
export function consoleCall(app: ReturnType<typeof buildApp>, who: Signed, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return app.inject({ method, url, headers: { cookie: who.cookie, ...(method === 'POST' ? { 'x-csrf-token': who.csrf } : {}) }, ...(payload === undefined ? {} : { payload: payload as object }) });
}
