// Which reviews need two moderators (issue 13): REVIEW_SECOND_OPINION_SHARE
// of them, chosen by the post id (canaryBucket, FNV-1a into 0..99), so the
// choice is the same on every instance and for every retry.
import { canaryBucket } from './model-pointer.js';

/** 2 when the post's bucket is below share × 100 (share 0..1), else 1. */
export function opinionsNeeded(postId: string, share: number): 1 | 2 {
  return canaryBucket(postId) < share * 100 ? 2 : 1;
}
