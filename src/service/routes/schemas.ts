// JSON-schema pieces more than one route validates with. The character
// patterns are also how the error handler tells an INVALID_CHARACTER apart
// from other pattern failures (http-errors.ts compares them by value).

// PostgreSQL text cannot hold U+0000: such a string is refused with a 400
// (INVALID_CHARACTER) before it reaches the store. Identifiers must also be
// well-formed UTF-16 (an unpaired surrogate cannot be stored as itself); in a
// post's text the store replaces one by U+FFFD.
export const NO_NUL = '^[^\\u0000]*$';
export const NO_NUL_OR_LONE_SURROGATE = '^[^\\u0000\\p{Cs}]*$';

/** A post id, in a body or a path. */
export const postIdSchema = { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL_OR_LONE_SURROGATE } as const;

/** The path parameters of /v1/posts/:id and /v1/reviews/:id/decision. */
export const postIdParamsSchema = { type: 'object', properties: { id: postIdSchema } } as const;

/** One text to moderate, alone (/v1/moderate) or in a batch. */
export function moderationItemSchema(maxTextLength: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['text'],
    properties: {
      text: { type: 'string', minLength: 1, maxLength: maxTextLength, pattern: NO_NUL },
      id: postIdSchema,
      kind: { type: 'string', enum: ['message', 'profile', 'post'] },
      userId: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_NUL_OR_LONE_SURROGATE },
    },
  } as const;
}
