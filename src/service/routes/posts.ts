// GET /v1/posts/:id: what was decided for a post. Ids are chosen by the
// clients and easy to guess, and /v1/moderate has no credential of its own,
// so without a token the answer is the decision only (what the submitting
// client polls for: the decision, its category and the review's outcome);
// nothing that says who wrote the post or quotes it (userId, reasons with
// their rule spans, the text). A moderator's token (the same one the review
// API takes) gets the whole record, text included; a viewer's token (support
// staff: aggregates only) is a 403 FORBIDDEN and a token that is sent but not
// valid a 401, never a silent downgrade.
import type { FastifyPluginAsync } from 'fastify';
import type { StoredPost } from '../../moderation/post-records.js';
import type { Authenticate } from '../authenticate.js';
import { HttpError } from '../http-errors.js';
import { postIdParamsSchema } from './schemas.js';

/** What the route needs from the database (PostgresStore implements it). */
export interface PostLookup {
  getPost(id: string): Promise<StoredPost | null>;
}

export interface PostRouteOptions {
  store: PostLookup;
  authenticate: Authenticate;
}

/** The answer without a token: the decision and the review's outcome. */
export function publicPostView(post: StoredPost) {
  return {
    id: post.id,
    decision: post.decision,
    category: post.category,
    modelVersion: post.modelVersion,
    createdAt: post.createdAt.toISOString(),
    review: post.review && { state: post.review.state, label: post.review.label, category: post.review.category, decidedAt: post.review.decidedAt?.toISOString() ?? null },
  };
}

/** The answer for a moderator: the whole record. */
export function moderatorPostView(post: StoredPost) {
  return {
    id: post.id,
    text: post.text,
    kind: post.kind,
    userId: post.userId,
    decision: post.decision,
    category: post.category,
    categories: post.categories,
    score: post.score,
    reasons: post.reasons,
    modelVersion: post.modelVersion,
    createdAt: post.createdAt.toISOString(),
    review: post.review && {
      state: post.review.state,
      label: post.review.label,
      category: post.review.category,
      decidedBy: post.review.decidedBy,
      decidedAt: post.review.decidedAt?.toISOString() ?? null,
    },
  };
}

export const postRoutes: FastifyPluginAsync<PostRouteOptions> = async (app, { store, authenticate }) => {
  app.get('/v1/posts/:id', { schema: { params: postIdParamsSchema } }, async (request, reply) => {
    const moderator = request.headers.authorization !== undefined;
    if (moderator) await authenticate(request, reply);
    const { id } = request.params as { id: string };
    const post = await store.getPost(id);
    if (!post) throw new HttpError('POST_NOT_FOUND', `no post with id ${JSON.stringify(id)}`);
    // The two views differ by who asks: no shared cache may hand one to the other.
    void reply.header('cache-control', 'private, no-store').header('vary', 'authorization');
    return moderator ? moderatorPostView(post) : publicPostView(post);
  });
};
