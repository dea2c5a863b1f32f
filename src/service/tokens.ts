// Moderator bearer tokens: random, shown once, stored only as a SHA-256
// (a token has 256 bits of entropy, so a fast hash is enough: nothing to
// brute-force, and lookups stay one indexed equality).
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'modtok_';

export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
