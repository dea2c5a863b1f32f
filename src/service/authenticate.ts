// The bearer token check, a preHandler for the JSON API's routes that need
// a token. The token is looked up by its hash; its owner's name and role are
// left on the request. Each route says which roles it takes: the review
// queue, the label export and a post's full record are for moderators only
// (a viewer's token, made with `mod service token create --role viewer` for
// support staff, gets 403 FORBIDDEN there: viewers see aggregates only), the
// stats for both. Only the
// Authorization header counts: the console's session cookie is never a
// credential here.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';
import type { TokenRole } from '../store/statement-types.js';
import { hashToken } from './tokens.js';

export type { TokenRole };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authenticate preHandler: whose token the request carried. */
    moderatorName?: string;
    /** ... and that token's role. */
    moderatorRole?: TokenRole;
  }
}

/** What the check needs from the database (PostgresStore implements it). */
export interface ModeratorTokenLookup {
  moderatorTokenForHash(tokenHash: string): Promise<{ name: string; role: TokenRole } | null>;
}

export type Authenticate = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** A preHandler accepting a live token of one of `roles` (default: moderators only). */
export function createAuthenticate(tokens: ModeratorTokenLookup, roles: readonly TokenRole[] = ['moderator']): Authenticate {
  return async function authenticate(request, reply) {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      void reply.header('www-authenticate', 'Bearer');
      throw new HttpError('UNAUTHORIZED', 'a moderator token is required: Authorization: Bearer <token> (create one with mod service token create --env <env> --name <name>)');
    }
    const token = await tokens.moderatorTokenForHash(hashToken(match[1]!));
    if (!token) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new HttpError('UNAUTHORIZED', 'the moderator token is not valid: revoked, or made for another database (create one for this env with mod service token create --env <env> --name <name>)');
    }
    if (!roles.includes(token.role)) {
      throw new HttpError('FORBIDDEN', `a ${token.role} token cannot ${token.role === 'viewer' ? 'read posts or the review queue, label or export labels' : 'do this'}; a moderator token can (mod service token create --env <env> --name ${token.name} --role moderator)`);
    }
    request.moderatorName = token.name;
    request.moderatorRole = token.role;
  };
}
