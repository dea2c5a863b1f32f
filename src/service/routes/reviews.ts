// The review queue, for moderators (bearer token): GET /v1/reviews claims
// pending posts for the caller for a while (overdue ones first, then the
// most uncertain or the oldest), POST /v1/reviews/:id/decision records their
// label (training data; a share of posts needs two moderators' labels), GET
// /v1/reviews/agreement says how often two moderators agreed.
import type { FastifyPluginAsync } from 'fastify';
import { CATEGORIES, type Category } from '../../moderation/categories.js';
import { agreementOf } from '../../moderation/agreement.js';
import type { Label } from '../../moderation/labelled-data.js';
import type { ClaimedReview, ClaimOptions, ReviewDecisionResult, ReviewOrder, SecondOpinionStats } from '../../moderation/post-records.js';
import { opinionsNeeded } from '../../moderation/second-opinion.js';
import type { Authenticate } from '../authenticate.js';
import { HttpError } from '../http-errors.js';
import { postIdParamsSchema } from './schemas.js';

export const MAX_REVIEW_LIMIT = 100;

/** What the routes need from the database (PostgresStore implements it). */
export interface ReviewQueue {
  claimReviews(moderator: string, limit: number, now: Date, until: Date, options: ClaimOptions): Promise<ClaimedReview[]>;
  decideReview(postId: string, moderator: string, label: Label, category: Category | null, now: Date, opinionsNeeded: 1 | 2): Promise<ReviewDecisionResult>;
  secondOpinionStats(): Promise<SecondOpinionStats>;
}

export interface ReviewRouteOptions {
  store: ReviewQueue;
  authenticate: Authenticate;
  clock: () => Date;
  /** How long a claim keeps a review from other moderators. */
  claimMs: number;
  /** REVIEW_ORDER (default uncertain); a request's `order` overrides it. */
  order?: ReviewOrder;
  /** REVIEW_MAX_WAIT_SECONDS in ms (default 4 h): a post pending longer is served first. */
  maxWaitMs?: number;
  /** REVIEW_SECOND_OPINION_SHARE (0..1, default 0.1): the share of posts that need two moderators. */
  secondOpinionShare?: number;
}

/** The review-queue defaults (REVIEW_ORDER, REVIEW_MAX_WAIT_SECONDS, REVIEW_SECOND_OPINION_SHARE). */
export const REVIEW_DEFAULTS = { order: 'uncertain' as ReviewOrder, maxWaitSeconds: 14_400, secondOpinionShare: 0.1 };

/** The words a moderator may send as `label`: the binary ok / ng of existing clients, or a category (NG of that category). */
type ReviewLabelWord = Label | Category;

export interface DecisionBody {
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

/** The answer to a label that was not recorded (also the console's, console-review-routes.ts). */
export function refusal(outcome: Exclude<ReviewDecisionResult['outcome'], 'decided'>, id: string): HttpError {
  const post = JSON.stringify(id);
  switch (outcome) {
    case 'not_found':
      return new HttpError('REVIEW_NOT_FOUND', `no review for post ${post}`);
    case 'already_decided':
      return new HttpError('ALREADY_DECIDED', `post ${post} has already been labelled`);
    case 'claimed_by_other':
      return new HttpError('CLAIMED_BY_OTHER', `post ${post} is claimed by another moderator`);
    case 'already_labelled':
      return new HttpError('ALREADY_LABELLED', `you have already labelled post ${post}; it waits for another moderator's label (a second opinion): GET /v1/reviews serves you other posts`);
  }
}

export const decisionBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['label'],
  properties: {
    label: { type: 'string', enum: ['ok', 'ng', ...CATEGORIES] },
    category: { type: ['string', 'null'], enum: [...CATEGORIES, null] },
  },
} as const;

/** A claimed review as GET /v1/reviews (and the console's claim) lists it. */
export function reviewItem(r: ClaimedReview) {
  return {
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
    margin: r.margin,
    reason: r.reason,
  };
}

/** The claim's query string on /v1/reviews (the console's claim adds its filters to it). */
export const claimQuerystring = { type: 'object', additionalProperties: false, properties: { limit: { type: 'string', pattern: '^[0-9]{1,3}$' }, order: { type: 'string', enum: ['uncertain', 'oldest'] } } } as const;

/** A claim's `limit` (default 20), refused outside 1..MAX_REVIEW_LIMIT. */
export function claimLimit(limit: string | undefined): number {
  const n = limit === undefined ? 20 : Number(limit);
  if (n < 1 || n > MAX_REVIEW_LIMIT) throw new HttpError('INVALID_REQUEST', `limit must be from 1 to ${MAX_REVIEW_LIMIT}`);
  return n;
}

export const reviewRoutes: FastifyPluginAsync<ReviewRouteOptions> = async (app, options) => {
  const { store, authenticate, clock, claimMs } = options;
  const defaultOrder = options.order ?? REVIEW_DEFAULTS.order;
  const maxWaitMs = options.maxWaitMs ?? REVIEW_DEFAULTS.maxWaitSeconds * 1000;
  const share = options.secondOpinionShare ?? REVIEW_DEFAULTS.secondOpinionShare;
  const querystring = claimQuerystring;

  app.get('/v1/reviews', { preHandler: authenticate, schema: { querystring } }, async (request) => {
    const query = request.query as { limit?: string; order?: ReviewOrder };
    const limit = claimLimit(query.limit);
    const now = clock();
    const order = query.order ?? defaultOrder;
    const items = await store.claimReviews(request.moderatorName!, limit, now, new Date(now.getTime() + claimMs), { order, overdueBefore: new Date(now.getTime() - maxWaitMs) });
    return { moderator: request.moderatorName, items: items.map(reviewItem) };
  });

  app.get('/v1/reviews/agreement', { preHandler: authenticate, schema: { querystring: { type: 'object', additionalProperties: false, properties: {} } } }, async () => {
    const stats = await store.secondOpinionStats();
    return { ...agreementOf(stats.pairs), conflicts: stats.conflicts };
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
      const result = await store.decideReview(id, request.moderatorName!, label, category, clock(), opinionsNeeded(id, share));
      if (result.outcome !== 'decided') throw refusal(result.outcome, id);
      return { id, label, category, decidedBy: request.moderatorName, state: result.state, secondOpinion: result.secondOpinion, ...(result.conflict ? { conflict: true } : {}) };
    },
  );
};
