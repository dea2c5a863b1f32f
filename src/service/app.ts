// The moderation HTTP service, built by a function that takes its
// dependencies so tests drive it in memory with inject(); only main.ts reads
// the environment and listens.
import Fastify, { type FastifyInstance } from 'fastify';

export interface ModerationInput {
  text: string;
  id?: string;
  kind?: 'message' | 'profile' | 'post';
  userId?: string;
}

export interface ModerationResult {
  decision: 'approve' | 'review' | 'reject';
  score: number;
  reasons: unknown[];
  modelVersion: string;
}

/** What the service needs from the classifier (src/moderation implements it). */
export interface Moderator {
  moderate(input: ModerationInput): ModerationResult;
}

export interface AppDependencies {
  moderator: Moderator;
  /** The commit this process runs, reported by the health checks. */
  revision: { commit: string | null };
  logger?: boolean | object;
  maxTextLength?: number;
}

export function buildApp(deps: AppDependencies): FastifyInstance {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: 64 * 1024, requestIdHeader: 'x-request-id' });
  const maxText = deps.maxTextLength ?? 10_000;

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string; validation?: unknown }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const code = error.validation ? 'INVALID_REQUEST' : status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 500 ? 'INTERNAL' : (error.code ?? 'BAD_REQUEST');
    void reply.status(status).send({ error: { code, message: status === 500 ? 'internal error' : error.message } });
  });

  app.get('/healthz', async () => ({ status: 'ok', revision: deps.revision.commit }));
  app.get('/readyz', async () => ({ status: 'ready', revision: deps.revision.commit }));

  app.post(
    '/v1/moderate',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['text'],
          properties: {
            text: { type: 'string', minLength: 1, maxLength: maxText },
            id: { type: 'string', minLength: 1, maxLength: 200 },
            kind: { type: 'string', enum: ['message', 'profile', 'post'] },
            userId: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    async (request) => {
      const input = request.body as ModerationInput;
      const result = deps.moderator.moderate(input);
      return { id: input.id ?? null, ...result };
    },
  );
  return app;
}
