// The console's review API (issue 15), for moderators signed in to the
// console (session cookie + CSRF token: session-auth.ts). It is the same
// queue as /v1/reviews: the claim is store.claimReviews with the same
// order, max wait and second-opinion rules, narrowed in SQL by the filters
// (category, decision), and a label is store.decideReview with the same
// refusals (routes/reviews.ts). A console claim renews the posts the page
// still shows (`held`), frees the moderator's other pending posts, and
// claims new ones up to the limit (store/console-claims.ts); release frees
// posts the page drops (on unload). Beyond /v1: undo of the moderator's own
// latest label while their claim lasts, and a bulk label of many posts.
//
//   GET  /console/api/reviews?limit=20&category=<c>&decision=<d>&held=<id>...  -> { moderator, claimedUntil, renewed: [ids], items: [...] }
//   POST /console/api/reviews/release {ids, claimedUntil?}        -> { released: [ids] }
//   POST /console/api/reviews/:id/decision {label, category?}     -> as POST /v1/reviews/:id/decision
//   POST /console/api/reviews/:id/undo                            -> { id, state: 'pending', claimedUntil }
//   POST /console/api/reviews/bulk {ids, label, category?}        -> { results: [{ id, outcome, message? }] }
import type { FastifyPluginAsync } from 'fastify';
import { CATEGORIES, type Category } from '../../moderation/categories.js';
import type { Label } from '../../moderation/labelled-data.js';
import type { ClaimedReview, ClaimFilter, ClaimOptions, ReviewOrder } from '../../moderation/post-records.js';
import type { UndoResult } from '../../store/review-undo.js';
import { opinionsNeeded } from '../../moderation/second-opinion.js';
import { HttpError } from '../http-errors.js';
import { claimLimit, claimQuerystring, decisionBodySchema, MAX_REVIEW_LIMIT, refusal, REVIEW_DEFAULTS, reviewItem, reviewLabel, type DecisionBody, type ReviewQueue, type ReviewRouteOptions } from '../routes/reviews.js';
import { postIdParamsSchema, postIdSchema } from '../routes/schemas.js';
import { requireSession } from './session-auth.js';

export interface ConsoleReviewQueue extends ReviewQueue {
  reclaimReviews(moderator: string, limit: number, now: Date, until: Date, options: ClaimOptions, held: readonly string[]): Promise<{ renewed: string[]; items: ClaimedReview[] }>;
  releaseReviews(moderator: string, ids: readonly string[], claimedUntil: Date | null): Promise<string[]>;
  undoReviewLabel(postId: string, moderator: string, now: Date): Promise<UndoResult>;
}

export interface ConsoleReviewOptions extends Omit<ReviewRouteOptions, 'store' | 'authenticate'> {
  store: ConsoleReviewQueue;
}

/** The most posts one bulk request labels (as one claim's most). */
export const MAX_BULK_IDS = MAX_REVIEW_LIMIT;

const postIds = { type: 'array', maxItems: MAX_REVIEW_LIMIT, uniqueItems: true, items: postIdSchema } as const;

// The /v1 claim's query string plus the filters and `held` (repeated: held=a&held=b), the posts the page still shows unlabelled.
const claimQuery = {
  ...claimQuerystring,
  properties: {
    ...claimQuerystring.properties,
    category: { type: 'string', enum: [...CATEGORIES] },
    decision: { type: 'string', enum: ['approve', 'review', 'reject'] },
    // One held post arrives as a string, several as an array.
    held: { anyOf: [postIdSchema, postIds] },
  },
} as const;

// claimedUntil: the page's claim; a post claimed again since (a reload's claim ends later) is not freed.
const releaseBody = { type: 'object', additionalProperties: false, required: ['ids'], properties: { ids: { ...postIds, minItems: 1 }, claimedUntil: { type: 'string', format: 'date-time' } } } as const;

const bulkBody = {
  type: 'object',
  additionalProperties: false,
  required: ['ids', 'label'],
  properties: { ...decisionBodySchema.properties, ids: { type: 'array', minItems: 1, maxItems: MAX_BULK_IDS, uniqueItems: true, items: postIdSchema } },
} as const;

function undoRefusal(result: Exclude<UndoResult, { outcome: 'undone' }>, id: string): HttpError {
  const post = JSON.stringify(id);
  switch (result.outcome) {
    case 'not_found':
      return new HttpError('REVIEW_NOT_FOUND', `no review for post ${post}`);
    case 'not_labelled':
      return new HttpError('UNDO_NOT_POSSIBLE', `you have no label on post ${post} to undo`);
    case 'later_label':
      return new HttpError('UNDO_NOT_POSSIBLE', `your label on post ${post} cannot be undone: ${result.by} labelled it after you`);
    case 'claim_ended':
      return new HttpError('UNDO_NOT_POSSIBLE', `your label on post ${post} cannot be undone: the claim you labelled it under has ended (a label is undone only while its claim lasts)`);
    case 'claimed_by_other':
      return new HttpError('UNDO_NOT_POSSIBLE', `your label on post ${post} cannot be undone: another moderator holds the post now`);
  }
}

export const consoleReviewRoutes: FastifyPluginAsync<ConsoleReviewOptions> = async (app, options) => {
  const { store, clock, claimMs } = options;
  const defaultOrder = options.order ?? REVIEW_DEFAULTS.order;
  const maxWaitMs = options.maxWaitMs ?? REVIEW_DEFAULTS.maxWaitSeconds * 1000;
  const share = options.secondOpinionShare ?? REVIEW_DEFAULTS.secondOpinionShare;
  const moderators = requireSession(['moderator']);

  const decide = (id: string, moderator: string, label: Label, category: Category | null) => store.decideReview(id, moderator, label, category, clock(), opinionsNeeded(id, share));

  app.get('/api/reviews', { preHandler: moderators, schema: { querystring: claimQuery } }, async (request) => {
    const query = request.query as { limit?: string; order?: ReviewOrder; category?: Category; decision?: ClaimFilter['decision']; held?: string | string[] };
    const limit = claimLimit(query.limit);
    const moderator = request.consoleSession!.name;
    const now = clock();
    const until = new Date(now.getTime() + claimMs);
    const filter: ClaimFilter = { ...(query.category ? { category: query.category } : {}), ...(query.decision ? { decision: query.decision } : {}) };
    const claim = await store.reclaimReviews(moderator, limit, now, until, { order: query.order ?? defaultOrder, overdueBefore: new Date(now.getTime() - maxWaitMs), filter }, typeof query.held === 'string' ? [query.held] : (query.held ?? []));
    return { moderator, claimedUntil: until.toISOString(), renewed: claim.renewed, items: claim.items.map(reviewItem) };
  });

  app.post('/api/reviews/release', { preHandler: moderators, schema: { body: releaseBody } }, async (request) => {
    const { ids, claimedUntil } = request.body as { ids: string[]; claimedUntil?: string };
    return { released: await store.releaseReviews(request.consoleSession!.name, ids, claimedUntil === undefined ? null : new Date(claimedUntil)) };
  });

  app.post('/api/reviews/:id/decision', { preHandler: moderators, schema: { params: postIdParamsSchema, body: decisionBodySchema } }, async (request) => {
    const { id } = request.params as { id: string };
    const { label, category } = reviewLabel(request.body as DecisionBody);
    const moderator = request.consoleSession!.name;
    const result = await decide(id, moderator, label, category);
    if (result.outcome !== 'decided') throw refusal(result.outcome, id);
    return { id, label, category, decidedBy: moderator, state: result.state, secondOpinion: result.secondOpinion, ...(result.conflict ? { conflict: true } : {}) };
  });

  app.post('/api/reviews/:id/undo', { preHandler: moderators, schema: { params: postIdParamsSchema } }, async (request) => {
    const { id } = request.params as { id: string };
    const result = await store.undoReviewLabel(id, request.consoleSession!.name, clock());
    if (result.outcome !== 'undone') throw undoRefusal(result, id);
    return { id, state: 'pending', claimedBy: request.consoleSession!.name, claimedUntil: result.claimedUntil.toISOString() };
  });

  app.post('/api/reviews/bulk', { preHandler: moderators, schema: { body: bulkBody } }, async (request) => {
    const body = request.body as DecisionBody & { ids: string[] };
    const { label, category } = reviewLabel(body);
    const moderator = request.consoleSession!.name;
    const results: { id: string; outcome: string; message?: string; state?: 'pending' | 'decided'; secondOpinion?: boolean }[] = [];
    // One at a time, each in its own transaction, as the single route would: one refusal does not stop the others.
    for (const id of body.ids) {
      const result = await decide(id, moderator, label, category);
      if (result.outcome === 'decided') results.push({ id, outcome: 'decided', state: result.state, secondOpinion: result.secondOpinion });
      else {
        const error = refusal(result.outcome, id);
        results.push({ id, outcome: error.code, message: error.message });
      }
    }
    return { label, category, results };
  });
};
