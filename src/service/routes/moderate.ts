// The hot path: POST /v1/moderate scores one text and stores the post with
// its decision; POST /v1/moderate/batch does the same for up to
// MAX_BATCH_ITEMS. A 200 means the posts and their decisions are committed
// (the post writer settles a request only after its statement committed).
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ModerationRequest, ModerationResult } from '../../moderation/moderator.js';
import type { NewPost, RecordedDecision } from '../../moderation/post-records.js';
import type { ServiceMetrics } from '../metrics.js';
import type { PostWriter } from '../post-writer.js';
import { moderationItemSchema } from './schemas.js';

export const MAX_BATCH_ITEMS = 100;

/** What the service needs from the classifier (src/moderation's Moderator). */
export interface ServiceModerator {
  readonly modelVersion: string;
  moderate(request: ModerationRequest): ModerationResult;
}

export interface ModerateRouteOptions {
  moderator: ServiceModerator;
  writer: PostWriter;
  metrics: ServiceMetrics;
  maxTextLength: number;
}

interface ModerateBody {
  text: string;
  id?: string;
  kind?: 'message' | 'profile' | 'post';
  userId?: string;
}

const resultSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    decision: { type: 'string' },
    category: { type: ['string', 'null'] },
    categories: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, score: { type: 'number' } } } },
    score: { type: 'number' },
    reasons: { type: 'array', items: { type: 'object', additionalProperties: true } },
    modelVersion: { type: 'string' },
  },
} as const;

/** The answer for a stored decision: a repeated id gets its first decision, category included. */
function answer(stored: RecordedDecision) {
  return { id: stored.id, decision: stored.decision, category: stored.category, categories: stored.categories, score: stored.score, reasons: stored.reasons, modelVersion: stored.modelVersion };
}

export const moderateRoutes: FastifyPluginAsync<ModerateRouteOptions> = async (app, { moderator, writer, metrics, maxTextLength }) => {
  const itemSchema = moderationItemSchema(maxTextLength);

  function score(body: ModerateBody): NewPost {
    const id = body.id ?? randomUUID();
    const result = moderator.moderate({ text: body.text, kind: body.kind, userId: body.userId, id });
    return {
      id,
      kind: body.kind ?? null,
      userId: body.userId ?? null,
      text: body.text,
      decision: result.decision,
      category: result.category,
      categories: result.categories,
      score: result.score,
      reasons: result.reasons,
      modelVersion: result.modelVersion,
    };
  }

  app.post('/v1/moderate', { schema: { body: itemSchema, response: { 200: resultSchema } } }, async (request) => {
    const post = score(request.body as ModerateBody);
    const [stored] = await writer.write([post]);
    metrics.countDecision(stored!.decision, stored!.category);
    request.log.debug({ postId: post.id, decision: stored!.decision, category: stored!.category, created: stored!.created, textLength: post.text.length }, 'moderated');
    return answer(stored!);
  });

  app.post(
    '/v1/moderate/batch',
    {
      schema: {
        body: { type: 'object', additionalProperties: false, required: ['items'], properties: { items: { type: 'array', minItems: 1, maxItems: MAX_BATCH_ITEMS, items: itemSchema } } },
        response: { 200: { type: 'object', properties: { results: { type: 'array', items: resultSchema } } } },
      },
    },
    async (request) => {
      const posts = (request.body as { items: ModerateBody[] }).items.map(score);
      // The same id twice in one batch is one post: the first item decides.
      const first = new Map<string, NewPost>();
      for (const post of posts) if (!first.has(post.id)) first.set(post.id, post);
      const stored = await writer.write([...first.values()]);
      const byId = new Map(stored.map((s) => [s.id, s]));
      const results = posts.map((post) => answer(byId.get(post.id)!));
      for (const r of results) metrics.countDecision(r.decision, r.category);
      request.log.debug({ items: posts.length }, 'moderated batch');
      return { results };
    },
  );
};
