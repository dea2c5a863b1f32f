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

/** A pending review held by one moderator until `claimedUntil`. */
export interface ClaimedReview extends Omit<NewPost, 'id'> {
  postId: string;
  createdAt: Date;
  enqueuedAt: Date;
  claimedUntil: Date;
}

export type ReviewDecisionOutcome = 'decided' | 'not_found' | 'already_decided' | 'claimed_by_other';

/** A moderator's label for a post: training data for `mod model train`. */
export interface LabelledPost {
  postId: string;
  text: string;
  label: Label;
  /** The category of an NG label; labels written before the API checked it may hold any text. */
  category: string | null;
  decidedBy: string | null;
  decidedAt: Date;
}
