// The hot path: POST /v1/moderate scores one text and stores the post with
// its decision; POST /v1/moderate/batch does the same for up to
// MAX_BATCH_ITEMS. A 200 means the posts and their decisions are committed
// (the post writer settles a request only after its statement committed).
//
// An id names one post: the same request again (same text, kind and user
// id: a retry) is answered the first decision and stores nothing; another
// text under a stored id is 409 ID_CONFLICT (in a batch, that item's result
// is the error and the other items are stored). Everything else wrong with a
// batch item is found before anything is written, and refuses the whole
// batch with a 400 that names the item (items.N...): a batch is stored whole
// or not at all, apart from its conflicting ids.
//
// Issue 13: a request reads the process's models once (a swap meanwhile
// does not change them); the canary decides the new posts whose
// canaryBucket(id) is below its weight, the live model the others, and a
// shadow, when loaded, scores each post after that decision: its answer is
// stored with the post, never returned. A post the shadow model itself
// decided (a model canary whose candidate is also the shadow) is not
// shadow-scored: it would only be compared with itself. Every answer names
// its deciding model in x-mod-model (a batch: the live model; each item has
// modelVersion).
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { isModError } from '../../errors.js';
import { canaryBucket, type ServiceModelState, type ShadowScore } from '../../moderation/model-pointer.js';
import type { ModerationRequest, ModerationResult } from '../../moderation/moderator.js';
import type { NewPost } from '../../moderation/post-records.js';
import { samePost, storablePost } from '../../store/postgres-store.js';
import { HttpError } from '../http-errors.js';
import type { DecidingModel, ModelSet } from '../live-models.js';
import type { LoadedModelInfo, ServiceMetrics } from '../metrics.js';
import type { PostWriter, WrittenDecision } from '../post-writer.js';
import { moderationItemSchema } from './schemas.js';

export const MAX_BATCH_ITEMS = 100;

/**
 * What the service needs from the classifier: one Moderator (src/moderation),
 * or the process's swappable models (LiveModels, issue 13), which also say
 * which models they hold.
 */
export interface ServiceModerator {
  readonly modelVersion: string;
  moderate(request: ModerationRequest): ModerationResult;
  /** The set of models one request decides with (read once per request); absent: this moderator decides every post, no shadow. */
  models?(): ModelSet;
  /** /healthz `model`; absent: the one model, bundled. */
  state?(): ServiceModelState;
  /** mod_model_info's series; absent: the one model, live and bundled. */
  loaded?(): LoadedModelInfo[];
}

const singleSets = new WeakMap<ServiceModerator, ModelSet>();

/** The set a request decides with; a moderator without sets (a plain Moderator, a test's fixed one) is its own live model. */
export function modelSetOf(moderator: ServiceModerator): ModelSet {
  if (moderator.models) return moderator.models();
  let set = singleSets.get(moderator);
  if (!set) {
    const version = moderator.modelVersion;
    set = { live: moderator, shadow: null, canary: null, state: { version, source: 'bundled', releaseId: null, bundled: version, shadow: null, canary: null, loadedAt: new Date().toISOString() } };
    singleSets.set(moderator, set);
  }
  return set;
}

/** A loaded model's manifest checksum (a src/moderation Moderator has one; a test's fixed moderator may not). */
function checksumOf(model: DecidingModel): string | undefined {
  return (model as { model?: { manifest?: { checksum?: { value?: string } } } }).model?.manifest?.checksum?.value;
}

/** The same model (one object, or the same version and checksum): the shadow must not score what it decided. */
export function sameDecidingModel(a: DecidingModel, b: DecidingModel): boolean {
  return a === b || (a.modelVersion === b.modelVersion && checksumOf(a) === checksumOf(b));
}

/** The shadow's answer for a post, or null if it could not score (a shadow never fails a request). */
function shadowScore(shadow: DecidingModel, request: ModerationRequest): ShadowScore | null {
  try {
    const r = shadow.moderate(request);
    return { modelVersion: r.modelVersion, decision: r.decision, category: r.category, score: r.score };
  } catch {
    return null;
  }
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

/** A batch result: a decision, or `{ id, error }` for an item that was not stored because its id was taken by another post. */
const batchResultSchema = {
  type: 'object',
  properties: { ...resultSchema.properties, error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } },
} as const;

/** The answer for a stored decision: a repeated id gets its first decision, category included. */
function answer(stored: WrittenDecision) {
  return { id: stored.id, decision: stored.decision, category: stored.category, categories: stored.categories, score: stored.score, reasons: stored.reasons, modelVersion: stored.modelVersion };
}

function conflictMessage(id: string): string {
  return `post id ${JSON.stringify(id)} is already stored with another text, kind or user id: an id names one post, so send a new id for another post (the same request again is answered its first decision)`;
}

export const moderateRoutes: FastifyPluginAsync<ModerateRouteOptions> = async (app, { moderator, writer, metrics, maxTextLength }) => {
  const itemSchema = moderationItemSchema(maxTextLength);

  /** Scores one text with the request's set; the post is as it will be stored (storablePost), so the answer is the stored decision. */
  function score(body: ModerateBody, set: ModelSet): NewPost {
    const id = body.id ?? randomUUID();
    const request: ModerationRequest = { text: body.text, kind: body.kind, userId: body.userId, id };
    const decider = set.canary !== null && canaryBucket(id) < set.canary.weight ? set.canary.model : set.live;
    const result = decider.moderate(request);
    const shadow = set.shadow === null || sameDecidingModel(set.shadow, decider) ? undefined : shadowScore(set.shadow, request);
    return storablePost({
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
      ...(result.margin === undefined ? {} : { margin: result.margin }),
      ...(shadow === undefined ? {} : { shadow }),
    });
  }

  /** A new post the shadow scored: did it agree with the deciding model? */
  function countShadow(post: NewPost, stored: WrittenDecision): void {
    if (!post.shadow || !stored.created) return;
    metrics.shadowScored.inc({ agreement: post.shadow.decision === post.decision && post.shadow.category === post.category ? 'agree' : 'disagree' });
  }

  app.post('/v1/moderate', { schema: { body: itemSchema, response: { 200: resultSchema } } }, async (request, reply) => {
    const set = modelSetOf(moderator);
    const post = score(request.body as ModerateBody, set);
    const [stored] = await writer.write([post]);
    if (stored!.conflict) throw new HttpError('ID_CONFLICT', conflictMessage(post.id));
    metrics.countDecision(stored!.decision, stored!.category);
    countShadow(post, stored!);
    // The model that decided (a repeated id: the one that decided it first).
    void reply.header('x-mod-model', stored!.modelVersion);
    // The endpoint in front counts decisions per instance from these (a canary's analysis, issue 12); a batch has many, so none.
    void reply.header('x-mod-decision', stored!.decision);
    if (stored!.category) void reply.header('x-mod-category', stored!.category);
    request.log.debug({ postId: post.id, decision: stored!.decision, category: stored!.category, created: stored!.created, textLength: post.text.length }, 'moderated');
    return answer(stored!);
  });

  app.post(
    '/v1/moderate/batch',
    {
      schema: {
        body: { type: 'object', additionalProperties: false, required: ['items'], properties: { items: { type: 'array', minItems: 1, maxItems: MAX_BATCH_ITEMS, items: itemSchema } } },
        response: { 200: { type: 'object', properties: { results: { type: 'array', items: batchResultSchema } } } },
      },
    },
    async (request, reply) => {
      const set = modelSetOf(moderator);
      void reply.header('x-mod-model', set.live.modelVersion);
      // Every item is scored before anything is written: one that cannot be
      // accepted refuses the batch, naming it, and nothing is stored.
      const posts = (request.body as { items: ModerateBody[] }).items.map((item, i) => {
        try {
          return score(item, set);
        } catch (error) {
          if (isModError(error) && error.code === 'TEXT_TOO_LONG') throw new HttpError('TEXT_TOO_LONG', `items.${i}.text: ${error.message}`);
          throw error;
        }
      });
      // The same id twice in one batch is one post: items with the same
      // request are stored once and share its decision. An item with another
      // text under an id already in the write goes in a later write, where
      // the store compares it with the post stored for the id.
      const decided: WrittenDecision[] = [];
      let remaining = posts.map((post, index) => ({ post, index }));
      while (remaining.length > 0) {
        const round = new Map<string, NewPost>();
        const later: typeof remaining = [];
        const now: typeof remaining = [];
        for (const item of remaining) {
          const chosen = round.get(item.post.id);
          if (chosen === undefined) round.set(item.post.id, item.post);
          else if (!samePost(chosen, item.post)) {
            later.push(item);
            continue;
          }
          now.push(item);
        }
        const byId = new Map((await writer.write([...round.values()])).map((s) => [s.id, s]));
        for (const item of now) decided[item.index] = byId.get(item.post.id)!;
        remaining = later;
      }
      const results = posts.map((post, i) => {
        const decision = decided[i]!;
        if (decision.conflict) return { id: post.id, error: { code: 'ID_CONFLICT' as const, message: conflictMessage(post.id) } };
        metrics.countDecision(decision.decision, decision.category);
        countShadow(post, decision);
        return answer(decision);
      });
      request.log.debug({ items: posts.length }, 'moderated batch');
      return { results };
    },
  );
};
