// What the queue says when the service refuses a label or an undo: the
// refusals of POST /console/api/reviews/:id/decision, .../undo and the bulk
// route (the codes of src/error-codes.ts), explained on the post in words a
// moderator can act on, followed by the service's own message.

const EXPLANATIONS = {
  CLAIMED_BY_OTHER: 'Another moderator holds this post now (your claim on it had expired and they claimed it): their label decides it. Nothing was recorded for you.',
  ALREADY_DECIDED: 'Someone else labelled this post first, so it is decided. Your label was not recorded.',
  ALREADY_LABELLED: 'You labelled this post already; it waits for another moderator (a second opinion).',
  REVIEW_NOT_FOUND: 'This post is no longer in the review queue.',
  UNDO_NOT_POSSIBLE: 'This label can no longer be undone.',
};

/** Whether `code` is a refusal about the post itself (shown on it, the post leaves the labelling keys) rather than a failure to retry. */
export function isRefusal(code) {
  return code === 'CLAIMED_BY_OTHER' || code === 'ALREADY_DECIDED' || code === 'ALREADY_LABELLED' || code === 'REVIEW_NOT_FOUND';
}

/** The words shown on a post for a refusal `code` with the service's `message`. */
export function explainRefusal(code, message) {
  const explanation = EXPLANATIONS[code];
  if (!explanation) return message;
  return message ? `${explanation} (${message})` : explanation;
}
