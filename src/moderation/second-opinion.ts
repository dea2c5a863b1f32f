// Which reviews need two moderators (issue 13): REVIEW_SECOND_OPINION_SHARE
// of them, chosen by the post id (canaryBucket, FNV-1a into 0..99), so the
// choice is the same on every instance and for every retry. The id is salted:
// a model canary decides the posts of the low buckets of the plain id, and
// second opinions must not all fall on canary-decided posts.
import { canaryBucket } from './model-pointer.js';

/** 2 when the post's bucket is below share × 100 (share 0..1), else 1. */
export function opinionsNeeded(postId: string, share: number): 1 | 2 {
  return canaryBucket(`second-opinion:${postId}`) < share * 100 ? 2 : 1;
}
