// GET /v1/posts/:id: the decision stored for a post (with the category that
// held it), and its review's state. Unauthenticated, so the text is not
// echoed back (the caller has it).
import type { FastifyPluginAsync } from 'fastify';
import type { StoredPost } from '../../moderation/post-records.js';
import { HttpError } from '../http-errors.js';
import { postIdParamsSchema } from './schemas.js';

/** What the route needs from the database (PostgresStore implements it). */
export interface PostLookup {
  getPost(id: string): Promise<StoredPost | null>;
}

export interface PostRouteOptions {
  store: PostLookup;
}

export const postRoutes: FastifyPluginAsync<PostRouteOptions> = async (app, { store }) => {
  app.get('/v1/posts/:id', { schema: { params: postIdParamsSchema } }, async (request) => {
    const { id } = request.params as { id: string };
    const post = await store.getPost(id);
    if (!post) throw new HttpError('POST_NOT_FOUND', `no post with id ${JSON.stringify(id)}`);
    return {
      id: post.id,
      kind: post.kind,
      userId: post.userId,
      decision: post.decision,
      category: post.category,
      categories: post.categories,
      score: post.score,
      reasons: post.reasons,
      modelVersion: post.modelVersion,
      createdAt: post.createdAt.toISOString(),
      review: post.review && { state: post.review.state, label: post.review.label, category: post.review.category, decidedAt: post.review.decidedAt?.toISOString() ?? null },
    };
  });
};
