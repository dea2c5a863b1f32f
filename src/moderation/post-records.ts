// The records a moderation service keeps about posts: a post with its
// decision, the review queue's items and a moderator's label. Pure types,
// built from the moderation types, so the HTTP service and the store share
// them without the service depending on the database adapter.
import type { Label } from './labelled-data.js';
import type { ShadowScore } from './model-pointer.js';
import type { ModerationResult } from './moderator.js';

/**
 * A post and the decision made for it, as it is to be stored: the
 * moderator's answer (for posts stored before categories, category null and
 * categories empty).
 */
export interface NewPost extends Pick<ModerationResult, 'decision' | 'category' | 'categories' | 'score' | 'reasons' | 'modelVersion' | 'margin'> {
  id: string;
  kind: string | null;
  userId: string | null;
  text: string;
  /** The shadow model's answer, when one scored the post (issue 13): stored with it, never the answer. */
  shadow?: ShadowScore | null;
}

/** The decision stored for an id: the one just written, or the first one if the id existed. */
export interface RecordedDecision extends Pick<NewPost, 'id' | 'decision' | 'category' | 'categories' | 'score' | 'reasons' | 'modelVersion'> {
  created: boolean;
}

export interface StoredPost extends NewPost {
  createdAt: Date;
  /** `category`: the moderator's (labels written before the API checked it may hold any text). */
  review: null | { state: 'pending' | 'decided'; label: Label | null; category: string | null; decidedBy: string | null; decidedAt: Date | null };
}

/**
 * The order GET /v1/reviews serves pending posts in (REVIEW_ORDER, or the
 * request's `order`), after the overdue ones: uncertain = smallest margin
 * first (posts without one last, oldest first); oldest = by age.
 */
export type ReviewOrder = 'uncertain' | 'oldest';

/** Why a post was served: waiting longer than REVIEW_MAX_WAIT_SECONDS, its margin, or its age. */
export type ReviewReason = 'overdue' | 'uncertain' | 'oldest';

export interface ClaimOptions {
  order: ReviewOrder;
  /** Posts enqueued at or before this are overdue: served first, oldest first. */
  overdueBefore: Date;
  /** Claim only posts of this category and/or decision (the console's filters); the order applies among them. */
  filter?: ClaimFilter;
}

/** The model's category and decision a claim is narrowed to. */
export interface ClaimFilter {
  category?: string;
  decision?: 'approve' | 'review' | 'reject';
}

/** A pending review held by one moderator until `claimedUntil`. */
export interface ClaimedReview extends Omit<NewPost, 'id' | 'margin'> {
  postId: string;
  createdAt: Date;
  enqueuedAt: Date;
  claimedUntil: Date;
  /** The decision's margin (ModerationResult.margin); null for posts queued without one. */
  margin: number | null;
  reason: ReviewReason;
}

/** already_labelled: this moderator gave the review its first label and it waits for another's. */
export type ReviewDecisionOutcome = 'decided' | 'not_found' | 'already_decided' | 'claimed_by_other' | 'already_labelled';

/**
 * A moderator's label as recorded: `decided` with the review's state after
 * it (pending: a second opinion is still needed), or why it was refused.
 */
export type ReviewDecisionResult =
  | {
      outcome: 'decided';
      state: 'pending' | 'decided';
      /** The review needs two moderators' labels. */
      secondOpinion: boolean;
      /** The two labels differ (the later one is the review's label). */
      conflict: boolean;
    }
  | { outcome: Exclude<ReviewDecisionOutcome, 'decided'> };

/** Reviews with two labels, for the agreement report: the label pairs counted, and the conflicts. */
export interface SecondOpinionStats {
  pairs: { first: string; second: string; count: number }[];
  conflicts: { count: number; /** Newest first, at most 100. */ ids: string[] };
}

/** A moderator's label for a post: training data for `mod model train`. */
export interface LabelledPost {
  postId: string;
  text: string;
  label: Label;
  /** The category of an NG label; labels written before the API checked it may hold any text. */
  category: string | null;
  decidedBy: string | null;
  decidedAt: Date;
  /** Two moderators labelled the post differently (issue 13): not to be trained on blindly. */
  conflict?: boolean;
}
