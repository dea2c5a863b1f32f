// The review queue, for moderators (bearer token): GET /v1/reviews claims
// the oldest pending posts for the caller for a while, POST
// /v1/reviews/:id/decision records their label (training data).
import type { FastifyPluginAsync } from 'fastify';
import { CATEGORIES, type Category } from '../../moderation/categories.js';
import type { Label } from '../../moderation/labelled-data.js';
import type { ClaimedReview, ReviewDecisionOutcome } from '../../moderation/post-records.js';
import type { Authenticate } from '../authenticate.js';
import { HttpError } from '../http-errors.js';
import { postIdParamsSchema } from './schemas.js';

const MAX_REVIEW_LIMIT = 100;

/** What the routes need from the database (PostgresStore implements it). */
export interface ReviewQueue {
  claimReviews(moderator: string, limit: number, now: Date, until: Date): Promise<ClaimedReview[]>;
  decideReview(postId: string, moderator: string, label: Label, category: Category | null, now: Date): Promise<ReviewDecisionOutcome>;
}

export interface ReviewRouteOptions {
  store: ReviewQueue;
  authenticate: Authenticate;
  clock: () => Date;
  /** How long a claim keeps a review from other moderators. */
  claimMs: number;
}

/** The words a moderator may send as `label`: the binary ok / ng of existing clients, or a category (NG of that category). */
type ReviewLabelWord = Label | Category;

interface DecisionBody {
  label: ReviewLabelWord;
  /** null is the same as leaving it out. */
  category?: Category | null;
}

/**
 * The stored label (binary, as training data and existing clients expect)
 * and category for a decision body; a body that says two different things is
 * refused, saying what to send instead.
 */
export function reviewLabel({ label, category: given }: DecisionBody): { label: Label; category: Category | null } {
  const category = given ?? undefined;
  if (label === 'ok') {
    if (category !== undefined) throw new HttpError('INVALID_REQUEST', `label "ok" takes no category: send {"label":"ok"} for a post that may be published, or {"label":"${category}"} (or {"label":"ng","category":"${category}"}) for one that breaks the policy`);
    return { label: 'ok', category: null };
  }
  if (label === 'ng') return { label: 'ng', category: category ?? null };
  if (category !== undefined && category !== label) throw new HttpError('INVALID_REQUEST', `label "${label}" is already a category and category "${category}" names another: send {"label":"${label}"} or {"label":"${category}"}`);
  return { label: 'ng', category: label };
}

const decisionBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['label'],
  properties: {
    label: { type: 'string', enum: ['ok', 'ng', ...CATEGORIES] },
    category: { type: ['string', 'null'], enum: [...CATEGORIES, null] },
  },
} as const;

export const reviewRoutes: FastifyPluginAsync<ReviewRouteOptions> = async (app, { store, authenticate, clock, claimMs }) => {
  app.get('/v1/reviews', { preHandler: authenticate, schema: { querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'string', pattern: '^[0-9]{1,3}$' } } } } }, async (request) => {
    const raw = (request.query as { limit?: string }).limit;
    const limit = raw === undefined ? 20 : Number(raw);
    if (limit < 1 || limit > MAX_REVIEW_LIMIT) throw new HttpError('INVALID_REQUEST', `limit must be from 1 to ${MAX_REVIEW_LIMIT}`);
    const now = clock();
    const items = await store.claimReviews(request.moderatorName!, limit, now, new Date(now.getTime() + claimMs));
    return {
      moderator: request.moderatorName,
      items: items.map((r) => ({
        id: r.postId,
        text: r.text,
        kind: r.kind,
        userId: r.userId,
        decision: r.decision,
        category: r.category,
        categories: r.categories,
        score: r.score,
        reasons: r.reasons,
        modelVersion: r.modelVersion,
        createdAt: r.createdAt.toISOString(),
        enqueuedAt: r.enqueuedAt.toISOString(),
        claimedUntil: r.claimedUntil.toISOString(),
      })),
    };
  });

  app.post(
    '/v1/reviews/:id/decision',
    {
      preHandler: authenticate,
      schema: {
        params: postIdParamsSchema,
        body: decisionBodySchema,
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { label, category } = reviewLabel(request.body as DecisionBody);
      const outcome = await store.decideReview(id, request.moderatorName!, label, category, clock());
      if (outcome === 'not_found') throw new HttpError('REVIEW_NOT_FOUND', `no review for post ${JSON.stringify(id)}`);
      if (outcome === 'already_decided') throw new HttpError('ALREADY_DECIDED', `post ${JSON.stringify(id)} has already been labelled`);
      if (outcome === 'claimed_by_other') throw new HttpError('CLAIMED_BY_OTHER', `post ${JSON.stringify(id)} is claimed by another moderator`);
      return { id, label, category, decidedBy: request.moderatorName };
    },
  );
};
