// The service's data in PostgreSQL (Aurora in production, PGlite locally):
// posts with their decisions, the review queue, moderator tokens and the
// labels moderators produce. Every statement is parameterised; on
// PostgreSQL the hot ones are named prepared statements (parsed once per
// connection), on the embedded PGlite they are not (one shared session).
import type pg from 'pg';
import type { Category } from '../moderation/categories.js';
import type { CategoryScore } from '../moderation/classifier.js';
import type { Label } from '../moderation/labelled-data.js';
import type { ModerationReason } from '../moderation/moderator.js';
import { labelWord } from '../moderation/agreement.js';
import type { ClaimedReview, ClaimFilter, ClaimOptions, LabelledPost, NewPost, RecordedDecision, ReviewDecisionResult, ReviewOrder, ReviewReason, SecondOpinionStats, StoredPost } from '../moderation/post-records.js';
import type { Decision } from '../moderation/thresholds.js';
import { DatabaseUnavailableError, isUnavailable } from './errors.js';
import { migrationStatus, type Migration, type MigrationStatus } from './migrations.js';
import { createPool, type PoolOptions, type StorePool } from './pool.js';
import { readSecondOpinionStats, type Queryable } from './second-opinion-stats.js';
import { decidedLabels } from './label-reader.js';
import { readDashboardCounts, readWindowSecondOpinions, recordServiceEvent } from './dashboard-stats-store.js';
import type { DashboardCounts, ServiceEvent } from '../moderation/dashboard-stats.js';
import { undoReviewLabel, type UndoResult } from './review-undo.js';
import { keepOnlyHeld, releaseClaims } from './console-claims.js';
import { consoleSessionForHash, createConsoleSession, endConsoleSession, type NewConsoleSession, type StoredConsoleSession } from './console-session-store.js';
import type { Run, TokenRole } from './statement-types.js';

// The post and review records are domain types (src/moderation); they are
// re-exported so that code written against the store keeps compiling.
export type { ClaimedReview, ClaimOptions, LabelledPost, NewPost, RecordedDecision, ReviewDecisionOutcome, ReviewDecisionResult, ReviewOrder, SecondOpinionStats, StoredPost } from '../moderation/post-records.js';
export type { Decision, Label };

/** A moderator's token as listed: the name and its dates, never the hash. */
export interface ModeratorTokenRecord {
  name: string;
  /** 'moderator' or 'viewer' (migration 0005). */
  role: TokenRole;
  createdAt: Date;
  revokedAt: Date | null;
}

/**
 * A decision for an id as recordPosts returns it. `conflict`: the id was
 * stored earlier for another text, kind or user id, and this is that first
 * post's decision (the new post was not stored).
 */
export type RecordedPost = RecordedDecision & { conflict?: true };

// PostgreSQL's text and jsonb refuse an unpaired surrogate (a text cut in the
// middle of an emoji), and a rule's span or message may quote one from the
// text. Every string of a post, the text and its reasons alike, stores it as
// U+FFFD (one UTF-16 unit, so spans keep their offsets).
const LONE_SURROGATES = /\p{Cs}/gu;
const HAS_LONE_SURROGATE = /\p{Cs}/u;

function wellFormed<T>(value: T): T {
  if (typeof value === 'string') return (HAS_LONE_SURROGATE.test(value) ? value.replace(LONE_SURROGATES, '\uFFFD') : value) as T;
  if (Array.isArray(value)) {
    const items = value.map(wellFormed);
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  if (value !== null && typeof value === 'object') {
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const fixed = wellFormed(item);
      if (fixed !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = fixed;
    }
    return (copy ?? value) as T;
  }
  return value;
}

/**
 * The post as it will be stored: every string that can come from a client or
 * quote one (id, kind, user id, text, the reasons) well-formed. Returns the
 * same object when it already is (the usual case: a few regex tests).
 */
export function storablePost(post: NewPost): NewPost {
  const fixed = { id: wellFormed(post.id), kind: wellFormed(post.kind), userId: wellFormed(post.userId), text: wellFormed(post.text), reasons: wellFormed(post.reasons) };
  return fixed.id === post.id && fixed.kind === post.kind && fixed.userId === post.userId && fixed.text === post.text && fixed.reasons === post.reasons ? post : { ...post, ...fixed };
}

/** Whether two posts for one id are the same request (a retry), as stored. */
export function samePost(a: Pick<NewPost, 'text' | 'kind' | 'userId'>, b: Pick<NewPost, 'text' | 'kind' | 'userId'>): boolean {
  return wellFormed(a.text) === wellFormed(b.text) && (a.kind ?? null) === (b.kind ?? null) && (a.userId ?? null) === (b.userId ?? null);
}

// Returns only the ids this statement inserted. It used to also look up every
// id in `posts` (UNION ALL ... WHERE id = ANY($1)) to report duplicates, but
// as a named prepared statement its generic plan, made while the table was
// small, became a sequential scan of the whole table on every call (18 ms at
// 30k rows, growing with the table). Duplicates are rare: recordPosts looks
// them up afterwards, and only when there are some.

const RECORD_POSTS = `
WITH src AS MATERIALIZED (
  SELECT * FROM json_to_recordset($1::json)
    AS t(id text, kind text, user_id text, text text, decision text, category text, categories jsonb, score float8, reasons jsonb, model_version text,
         shadow_model_version text, shadow_decision text, shadow_category text, shadow_score float8, margin float8)
), ins AS (
  INSERT INTO posts (id, kind, user_id, text, decision, category, categories, score, reasons, model_version, shadow_model_version, shadow_decision, shadow_category, shadow_score, created_at)
  SELECT id, kind, user_id, text, decision, category, categories, score, reasons, model_version, shadow_model_version, shadow_decision, shadow_category, shadow_score, $2
  FROM src
  ON CONFLICT (id) DO NOTHING
  RETURNING id, decision
), queued AS (
  -- margin: the review queue's priority (issue 13, migration 0004).
  INSERT INTO reviews (post_id, enqueued_at, margin)
  SELECT ins.id, $2, src.margin FROM ins JOIN src ON src.id = ins.id
  WHERE ins.decision = 'review'
)
SELECT id FROM ins`;

// Unnamed on purpose (planned for each call with the real ids and table
// size): it runs only when a post already existed, and a cached generic plan
// for \`= ANY($1)\` can be a sequential scan.
const SELECT_DECISIONS = 'SELECT id, kind, user_id, text, decision, category, categories, score, reasons, model_version FROM posts WHERE id = ANY($1::text[])';

const GET_POST = `
SELECT p.id, p.kind, p.user_id, p.text, p.decision, p.category AS post_category, p.categories, p.score, p.reasons, p.model_version, p.created_at,
       r.state, r.label, r.category, r.decided_by, r.decided_at
FROM posts p LEFT JOIN reviews r ON r.post_id = p.id
WHERE p.id = $1`;

// Claimable: pending, not held by another moderator (an expired claim is
// free again; the caller's own live claims are served again), and not
// labelled by this moderator already (a second opinion is someone else's).
// SKIP LOCKED lets two moderators claim at the same moment without waiting
// for or sharing rows.
const CLAIMABLE = `state = 'pending' AND (claimed_until IS NULL OR claimed_until <= $2 OR claimed_by = $1)
        AND NOT EXISTS (SELECT 1 FROM review_labels l WHERE l.post_id = r.post_id AND l.moderator = $1)`;

// The queue's order (issue 13) as a UNION ALL of index scans, each locking
// only the rows the outer LIMIT pulls from it: first the overdue posts
// (enqueued at or before $5), oldest first (reviews_pending); then either
// the smallest margins (reviews_pending_margin; posts without a margin last,
// oldest first) or the oldest (reviews_pending). A locking statement never
// gets a parallel plan, so the Append runs its branches in this order and
// the outer LIMIT takes them in priority order; claimReviews sorts the rows
// it returns the same way (RETURNING has no order).
const byAge = (reason: string, where: string, filter = '') => `SELECT post_id, '${reason}' AS reason FROM (
      SELECT post_id FROM reviews r WHERE ${CLAIMABLE}${filter} AND ${where}
      ORDER BY enqueued_at, post_id LIMIT $4 FOR UPDATE SKIP LOCKED) ${reason}_scan`;
const byMargin = (filter = '') => `SELECT post_id, 'uncertain' AS reason FROM (
      SELECT post_id FROM reviews r WHERE ${CLAIMABLE}${filter} AND enqueued_at > $5 AND margin IS NOT NULL
      ORDER BY margin, post_id LIMIT $4 FOR UPDATE SKIP LOCKED) uncertain_scan`;

// The UPDATE finds the picked rows through `= ANY(ARRAY(...))`, an index
// lookup by primary key (a join with the CTE was planned as a hash join over
// a sequential scan of reviews).
const claimStatement = (branches: string[]) => `
WITH picked AS (
  SELECT post_id, reason FROM (
    ${branches.join('\n    UNION ALL\n    ')}
  ) candidates
  LIMIT $4
), claimed AS (
  UPDATE reviews r SET claimed_by = $1, claimed_until = $3
  FROM posts p
  WHERE r.post_id = ANY(ARRAY(SELECT post_id FROM picked)) AND p.id = r.post_id
  RETURNING r.post_id, r.enqueued_at, r.claimed_until, r.margin, p.text, p.kind, p.user_id, p.decision, p.category, p.categories, p.score, p.reasons, p.model_version, p.created_at
)
SELECT claimed.*, picked.reason FROM claimed JOIN picked USING (post_id)`;

/** Exported for the plan test (test/store/review-queue.test.ts). */
const claimStatements = (filter = ''): Record<ReviewOrder, string> => ({
  uncertain: claimStatement([byAge('overdue', 'enqueued_at <= $5', filter), byMargin(filter), byAge('oldest', 'enqueued_at > $5 AND margin IS NULL', filter)]),
  oldest: claimStatement([byAge('overdue', 'enqueued_at <= $5', filter), byAge('oldest', 'enqueued_at > $5', filter)]),
});
export const CLAIM_REVIEWS: Record<ReviewOrder, string> = claimStatements();

/**
 * The claim narrowed to a category and/or decision of the post (the
 * console's filters, issue 15): the same statement with the condition in
 * each branch's scan, so the filtered rows are locked (SKIP LOCKED) and
 * ordered exactly as unfiltered ones; $6 (and $7) are the filter's values.
 */
export function filteredClaim(order: ReviewOrder, filter: ClaimFilter): { name: string; text: string; values: unknown[] } {
  const conditions: string[] = [];
  const values: unknown[] = [];
  if (filter.category !== undefined) conditions.push(`fp.category = $${6 + values.push(filter.category) - 1}`);
  if (filter.decision !== undefined) conditions.push(`fp.decision = $${6 + values.push(filter.decision) - 1}`);
  const name = `mod_claim_reviews_${order}${filter.category !== undefined ? '_c' : ''}${filter.decision !== undefined ? '_d' : ''}`;
  if (conditions.length === 0) return { name, text: CLAIM_REVIEWS[order], values };
  return { name, text: claimStatements(`\n        AND EXISTS (SELECT 1 FROM posts fp WHERE fp.id = r.post_id AND ${conditions.join(' AND ')})`)[order], values };
}

const REASON_RANK: Record<ReviewReason, number> = { overdue: 0, uncertain: 1, oldest: 2 };

/** The order claimReviews answers in: the queue's (overdue by age, then by margin, then by age). */
function queueOrder(a: ClaimedReview, b: ClaimedReview): number {
  const rank = REASON_RANK[a.reason] - REASON_RANK[b.reason];
  if (rank !== 0) return rank;
  if (a.reason === 'uncertain' && a.margin !== b.margin) return (a.margin ?? Infinity) - (b.margin ?? Infinity);
  if (a.reason !== 'uncertain' && a.enqueuedAt.getTime() !== b.enqueuedAt.getTime()) return a.enqueuedAt.getTime() - b.enqueuedAt.getTime();
  return a.postId < b.postId ? -1 : a.postId > b.postId ? 1 : 0;
}

/** The claim statement through `run` (the pool, or one transaction's connection), in the queue's order. */
async function claimWith(run: Run, moderator: string, limit: number, now: Date, until: Date, options: ClaimOptions): Promise<ClaimedReview[]> {
  const claim = filteredClaim(options.order, options.filter ?? {});
  const { rows } = await run<PostRow & { post_id: string; enqueued_at: Date; claimed_until: Date; margin: number | null; reason: ReviewReason }>(claim.name, claim.text, [moderator, now, until, limit, options.overdueBefore, ...claim.values]);
  return rows
    .map((r) => ({
      postId: r.post_id,
      text: r.text,
      kind: r.kind,
      userId: r.user_id,
      decision: r.decision,
      category: r.category,
      categories: r.categories ?? [],
      score: r.score,
      reasons: r.reasons,
      modelVersion: r.model_version,
      createdAt: r.created_at,
      enqueuedAt: r.enqueued_at,
      claimedUntil: r.claimed_until,
      margin: r.margin,
      reason: r.reason,
    }))
    .sort(queueOrder);
}

// A label is recorded in one transaction that first locks the review row,
// so two moderators labelling the same post at once are serialised and the
// second sees the first's label (READ COMMITTED: each statement a new snapshot).
const LOCK_REVIEW = 'SELECT state, claimed_by, claimed_until, opinions_needed FROM reviews WHERE post_id = $1 FOR UPDATE';
const REVIEW_LABELS = 'SELECT moderator, label, category FROM review_labels WHERE post_id = $1 ORDER BY decided_at, moderator';
// claimed_until (migration 0005): the labeller's live claim, which the console's undo needs.
const INSERT_LABEL = 'INSERT INTO review_labels (post_id, moderator, label, category, decided_at, claimed_until) VALUES ($1, $2, $3, $4, $5, $6)';
const DECIDE_REVIEW = `
UPDATE reviews SET state = 'decided', label = $3, category = $4, decided_by = $2, decided_at = $5, claimed_by = $2, opinions_needed = $6, conflict = $7
WHERE post_id = $1`;
// After a second-opinion review's first label: pending, free for anyone else to claim.
const AWAIT_SECOND_OPINION = "UPDATE reviews SET opinions_needed = 2, claimed_by = NULL, claimed_until = NULL WHERE post_id = $1 AND state = 'pending'";

interface PostRow {
  id: string;
  kind: string | null;
  user_id: string | null;
  text: string;
  decision: Decision;
  category: Category | null;
  /** NULL on rows written before migration 0002. */
  categories: CategoryScore[] | null;
  score: number;
  reasons: ModerationReason[];
  model_version: string;
  created_at: Date;
}

export interface PostgresStoreOptions extends PoolOptions {
  /** The migration files this build expects (readiness compares them with the DB). */
  migrations?: Migration[];
}

export class PostgresStore {
  readonly pool: pg.Pool;
  readonly embedded: boolean;
  readonly poolSize: number;
  private readonly migrations: Migration[];

  constructor(storePool: StorePool, migrations: Migration[] = []) {
    this.pool = storePool.pool;
    this.embedded = storePool.embedded;
    this.poolSize = storePool.max;
    this.migrations = migrations;
  }

  static open(options: PostgresStoreOptions): PostgresStore {
    return new PostgresStore(createPool(options), options.migrations);
  }

  /** this.query for the statements kept in other files (console-session-store.ts, console-claims.ts). */
  private readonly run = <R extends pg.QueryResultRow>(name: string | null, text: string, values: unknown[]) => this.query<R>(name, text, values);

  /** this.query, unnamed, for the readers that also take a pg client (second-opinion-stats.ts, dashboard-stats-store.ts). */
  private readonly queryable: Queryable = { query: <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => this.query<R>(null, text, values) };

  /** `name` null: an unnamed statement, planned for each call. */
  private query<R extends pg.QueryResultRow>(name: string | null, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(this.embedded || name === null ? { text, values } : { name, text, values }).catch((error: unknown) => {
      throw isUnavailable(error) ? new DatabaseUnavailableError(`database unavailable: ${(error as Error).message}`, error) : error;
    });
  }

  /** Runs `body` in one transaction on one connection (rolled back if it throws). */
  private async transaction<T>(body: (run: <R extends pg.QueryResultRow>(name: string | null, text: string, values: unknown[]) => Promise<pg.QueryResult<R>>) => Promise<T>): Promise<T> {
    const unavailable = (error: unknown) => (isUnavailable(error) ? new DatabaseUnavailableError(`database unavailable: ${(error as Error).message}`, error) : error);
    const client = await this.pool.connect().catch((error: unknown) => {
      throw unavailable(error);
    });
    let broken: Error | undefined;
    try {
      const run = <R extends pg.QueryResultRow>(name: string | null, text: string, values: unknown[]) =>
        client.query<R>(this.embedded || name === null ? { text, values } : { name, text, values }).catch((error: unknown) => {
          throw unavailable(error);
        });
      await client.query('BEGIN');
      try {
        const result = await body(run);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollback: Error) => {
          broken = rollback;
        });
        throw unavailable(error);
      }
    } finally {
      client.release(broken);
    }
  }

  /**
   * Records posts and their decisions in one statement (one round trip, one
   * commit). An id that already exists keeps its first decision, which is
   * returned with `created: false` (and `conflict: true` when the stored post
   * has another text, kind or user id); nothing is stored twice. Ids must be
   * unique within one call. Every string is stored well-formed (storablePost),
   * and the decisions returned are the stored ones.
   */
  async recordPosts(given: NewPost[], at: Date): Promise<RecordedPost[]> {
    if (given.length === 0) return [];
    const posts = given.map(storablePost);
    // One JSON document for the whole group: a single native JSON.stringify
    // instead of eight arrays that pg escapes element by element in JS.
    const group = posts.map((p) => ({
      id: p.id,
      kind: p.kind,
      user_id: p.userId,
      text: p.text,
      decision: p.decision,
      category: p.category,
      categories: p.categories,
      score: p.score,
      reasons: p.reasons,
      model_version: p.modelVersion,
      // Issue 13: the shadow model's answer (stored, never returned) and the review queue's priority.
      shadow_model_version: p.shadow?.modelVersion ?? null,
      shadow_decision: p.shadow?.decision ?? null,
      shadow_category: p.shadow?.category ?? null,
      shadow_score: p.shadow?.score ?? null,
      margin: p.margin ?? null,
    }));
    const { rows } = await this.query<{ id: string }>('mod_record_posts', RECORD_POSTS, [JSON.stringify(group), at]);
    const byId = new Map<string, RecordedPost>();
    const byGivenId = new Map(posts.map((p) => [p.id, p]));
    for (const row of rows) {
      const post = byGivenId.get(row.id)!;
      byId.set(row.id, { id: row.id, created: true, decision: post.decision, category: post.category, categories: post.categories, score: post.score, reasons: post.reasons, modelVersion: post.modelVersion });
    }
    // Ids that were not inserted already existed (stored earlier, or by a
    // concurrent transaction that committed after this statement began):
    // read their first decision now, in a statement of its own so that it
    // sees them.
    const missing = posts.filter((p) => !byId.has(p.id)).map((p) => p.id);
    if (missing.length > 0) {
      const existing = await this.query<PostRow>(null, SELECT_DECISIONS, [missing]);
      for (const row of existing.rows) {
        const same = samePost({ text: row.text, kind: row.kind, userId: row.user_id }, byGivenId.get(row.id)!);
        byId.set(row.id, {
          id: row.id,
          created: false,
          ...(same ? {} : { conflict: true as const }),
          decision: row.decision,
          category: row.category,
          categories: row.categories ?? [],
          score: row.score,
          reasons: row.reasons,
          modelVersion: row.model_version,
        });
      }
    }
    return posts.map((p) => {
      const recorded = byId.get(p.id);
      if (!recorded) throw new Error(`post ${p.id} was neither inserted nor found`);
      return recorded;
    });
  }

  async getPost(id: string): Promise<StoredPost | null> {
    const { rows } = await this.query<Omit<PostRow, 'category'> & { post_category: Category | null; state: 'pending' | 'decided' | null; label: Label | null; category: string | null; decided_by: string | null; decided_at: Date | null }>('mod_get_post', GET_POST, [id]);
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      kind: row.kind,
      userId: row.user_id,
      text: row.text,
      decision: row.decision,
      category: row.post_category,
      categories: row.categories ?? [],
      score: row.score,
      reasons: row.reasons,
      modelVersion: row.model_version,
      createdAt: row.created_at,
      review: row.state ? { state: row.state, label: row.label, category: row.category, decidedBy: row.decided_by, decidedAt: row.decided_at } : null,
    };
  }

  /**
   * Claims up to `limit` pending reviews for `moderator` until `until`, in
   * the queue's order (ClaimOptions; default: by margin, none overdue);
   * re-returns its own live claims, never a post it labelled.
   */
  async claimReviews(moderator: string, limit: number, now: Date, until: Date, options: ClaimOptions = { order: 'uncertain', overdueBefore: new Date(0) }): Promise<ClaimedReview[]> {
    return claimWith(this.run, moderator, limit, now, until, options);
  }

  /**
   * The console's claim (console-claims.ts): renews `held` (the page's
   * unlabelled posts), frees every other pending post the moderator holds,
   * and claims new ones up to `limit` in all; `items` are the new ones.
   */
  async reclaimReviews(moderator: string, limit: number, now: Date, until: Date, options: ClaimOptions, held: readonly string[]): Promise<{ renewed: string[]; items: ClaimedReview[] }> {
    return this.transaction(async (run) => {
      const renewed = await keepOnlyHeld(run, moderator, held, until);
      const room = limit - renewed.length;
      if (room <= 0) return { renewed, items: [] };
      // The claim may serve the renewed posts again (they are this moderator's): claim a full batch, keep the best `room` new ones, free the rest.
      const kept = new Set(renewed);
      const fresh = (await claimWith(run, moderator, limit, now, until, options)).filter((item) => !kept.has(item.postId));
      const surplus = fresh.slice(room).map((item) => item.postId);
      if (surplus.length) await releaseClaims(run, moderator, surplus);
      return { renewed, items: fresh.slice(0, room) };
    });
  }

  /** Frees `ids` where `moderator` holds them, pending, under a claim ending by `claimedUntil` if given (the console's release); answers the ids freed. */
  async releaseReviews(moderator: string, ids: readonly string[], claimedUntil: Date | null = null): Promise<string[]> {
    return releaseClaims(this.run, moderator, ids, claimedUntil);
  }

  /**
   * Records a moderator's label (and, for NG, its category) for a pending
   * review they hold (or nobody holds). `opinionsNeeded` (2: a second
   * opinion) is fixed by the review's first label: with 2, the first label
   * leaves it pending and free for another moderator, the second decides it
   * (conflict when the two differ; the later label is the review's).
   */
  async decideReview(postId: string, moderator: string, label: Label, category: Category | null, now: Date, opinionsNeeded: 1 | 2 = 1): Promise<ReviewDecisionResult> {
    return this.transaction(async (run) => {
      const review = (await run<{ state: 'pending' | 'decided'; claimed_by: string | null; claimed_until: Date | null; opinions_needed: number }>('mod_lock_review', LOCK_REVIEW, [postId])).rows[0];
      if (!review) return { outcome: 'not_found' };
      if (review.state === 'decided') return { outcome: 'already_decided' };
      const labels = (await run<{ moderator: string; label: Label; category: string | null }>('mod_review_labels', REVIEW_LABELS, [postId])).rows;
      if (labels.some((l) => l.moderator === moderator)) return { outcome: 'already_labelled' };
      const heldByOther = review.claimed_by !== null && review.claimed_by !== moderator && !(review.claimed_until !== null && review.claimed_until <= now);
      if (heldByOther) return { outcome: 'claimed_by_other' };
      const needed = labels.length === 0 ? opinionsNeeded : review.opinions_needed === 2 ? 2 : 1;
      const ownClaim = review.claimed_by === moderator && review.claimed_until !== null && review.claimed_until > now ? review.claimed_until : null;
      await run('mod_insert_label', INSERT_LABEL, [postId, moderator, label, category, now, ownClaim]);
      if (labels.length + 1 < needed) {
        await run('mod_await_second_opinion', AWAIT_SECOND_OPINION, [postId]);
        return { outcome: 'decided', state: 'pending', secondOpinion: true, conflict: false };
      }
      const first = labels[0];
      const conflict = first !== undefined && labelWord(first.label, first.category) !== labelWord(label, category);
      await run('mod_decide_review', DECIDE_REVIEW, [postId, moderator, label, category, now, needed, conflict]);
      return { outcome: 'decided', state: 'decided', secondOpinion: needed === 2, conflict };
    });
  }

  /** Takes back `moderator`'s latest label on a post while its claim lasts (the console's undo: review-undo.ts). */
  async undoReviewLabel(postId: string, moderator: string, now: Date): Promise<UndoResult> {
    return this.transaction((run) => undoReviewLabel(run, postId, moderator, now));
  }

  /** The label pairs of reviews that had two opinions, and the conflicts among them (newest first). */
  async secondOpinionStats(): Promise<SecondOpinionStats> {
    return readSecondOpinionStats(this.queryable);
  }

  /** The same for the reviews decided in a window (the dashboard's agreement: dashboard-stats-store.ts). */
  async secondOpinionStatsIn(window: { from: Date; to: Date }): Promise<SecondOpinionStats> {
    return readWindowSecondOpinions(this.queryable, window);
  }

  /** The dashboard's counts for a window (issue 15: dashboard-stats-store.ts). */
  async dashboardCounts(window: { from: Date; to: Date }): Promise<DashboardCounts> {
    return readDashboardCounts(this.queryable, window);
  }

  /** A service process started or swapped its models (issue 15): one row. */
  async recordServiceEvent(event: ServiceEvent & { releaseId?: string | null }): Promise<void> {
    await recordServiceEvent(this.queryable, event);
  }

  async pendingReviewCount(): Promise<number> {
    const { rows } = await this.query<{ n: string }>('mod_pending_count', "SELECT count(*) AS n FROM reviews WHERE state = 'pending'", []);
    return Number(rows[0]?.n ?? 0);
  }

  /** Human labels in decision order, a page at a time (keyset pagination: constant memory); `conflict`: two moderators disagreed. */
  async *labels(pageSize = 1000): AsyncGenerator<LabelledPost> {
    yield* decidedLabels((text, values) => this.query('mod_labels_page', text, values), pageSize);
  }

  /**
   * Creates the token record for `name`, replacing (rotating) an existing one;
   * a revoked name gets a live token again (revoked_at is cleared).
   */
  async saveModeratorToken(name: string, tokenHash: string, now: Date, role: TokenRole = 'moderator'): Promise<{ replaced: boolean }> {
    const { rows } = await this.query<{ replaced: boolean }>(
      'mod_save_token',
      `INSERT INTO moderator_tokens (name, token_hash, created_at, role) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at, revoked_at = NULL, role = EXCLUDED.role
       RETURNING (xmax <> 0) AS replaced`,
      [name, tokenHash, now, role],
    );
    return { replaced: Boolean(rows[0]?.replaced) };
  }

  /** Every moderator's token record, oldest first: never the hash. */
  async listModeratorTokens(): Promise<ModeratorTokenRecord[]> {
    const { rows } = await this.query<{ name: string; role: TokenRole; created_at: Date; revoked_at: Date | null }>(null, 'SELECT name, role, created_at, revoked_at FROM moderator_tokens ORDER BY created_at, name', []);
    return rows.map((r) => ({ name: r.name, role: r.role, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  /**
   * Revokes `name`'s token: the lookup ignores it from the next request on.
   * An already revoked token keeps its first revocation time.
   */
  async revokeModeratorToken(name: string, now: Date): Promise<{ outcome: 'revoked' | 'already_revoked' | 'not_found'; revokedAt: Date | null }> {
    // One statement: the UPDATE touches only a live token; the outer SELECT
    // still sees the row as it was before (same snapshot) when it was already revoked.
    const { rows } = await this.query<{ revoked_now: boolean; revoked_at: Date | null }>(
      null,
      `WITH revoked AS (
         UPDATE moderator_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL RETURNING revoked_at
       )
       SELECT true AS revoked_now, revoked_at FROM revoked
       UNION ALL
       SELECT false, revoked_at FROM moderator_tokens WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM revoked)`,
      [name, now],
    );
    const row = rows[0];
    if (!row) return { outcome: 'not_found', revokedAt: null };
    return { outcome: row.revoked_now ? 'revoked' : 'already_revoked', revokedAt: row.revoked_at };
  }

  /** The live token with this hash: whose it is and its role (null when revoked or unknown). */
  async moderatorTokenForHash(tokenHash: string): Promise<{ name: string; role: TokenRole } | null> {
    const { rows } = await this.query<{ name: string; role: TokenRole }>('mod_token_role_lookup', 'SELECT name, role FROM moderator_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash]);
    return rows[0] ?? null;
  }

  /** The moderator console's sessions (issue 15: console-session-store.ts). */
  async createConsoleSession(session: NewConsoleSession): Promise<void> {
    await createConsoleSession(this.run, session);
  }

  async consoleSessionForHash(idHash: string, now: Date): Promise<StoredConsoleSession | null> {
    return consoleSessionForHash(this.run, idHash, now);
  }

  async endConsoleSession(idHash: string, now: Date): Promise<void> {
    await endConsoleSession(this.run, idHash, now);
  }

  async ping(): Promise<void> {
    await this.query('mod_ping', 'SELECT 1', []);
  }

  async migrationStatus(): Promise<MigrationStatus> {
    try {
      return await migrationStatus(this.pool, this.migrations);
    } catch (error) {
      throw isUnavailable(error) ? new DatabaseUnavailableError(`database unavailable: ${(error as Error).message}`, error) : error;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
