// The moderator's bearer token check, a preHandler for the routes only
// moderators may call (the review queue and the label export). The token is
// looked up by its hash; the moderator's name is left on the request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors.js';
import { hashToken } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authenticate preHandler: whose token the request carried. */
    moderatorName?: string;
  }
}

/** What the check needs from the database (PostgresStore implements it). */
export interface ModeratorTokenLookup {
  moderatorForTokenHash(tokenHash: string): Promise<string | null>;
}

export type Authenticate = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export function createAuthenticate(tokens: ModeratorTokenLookup): Authenticate {
  return async function authenticate(request, reply) {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      void reply.header('www-authenticate', 'Bearer');
      throw new HttpError('UNAUTHORIZED', 'a moderator token is required: Authorization: Bearer <token> (create one with mod service token create --env <env> --name <name>)');
    }
    const name = await tokens.moderatorForTokenHash(hashToken(match[1]!));
    if (!name) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new HttpError('UNAUTHORIZED', 'the moderator token is not valid: revoked, or made for another database (create one for this env with mod service token create --env <env> --name <name>)');
    }
    request.moderatorName = name;
  };
}
