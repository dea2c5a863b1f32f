// Issue 17.12: a URL goes to the request log without the query values that
// may be secrets (a token a client put in the query string).
import { describe, expect, it } from 'vitest';
import { loggableUrl } from '../../../src/service/request-log.js';

describe('loggableUrl', () => {
  it('keeps a URL without a query as it is', () => {
    expect(loggableUrl('/v1/posts/p-1')).toBe('/v1/posts/p-1');
  });

  it("keeps the routes' own parameters and redacts every other value", () => {
    expect(loggableUrl('/v1/reviews?limit=20')).toBe('/v1/reviews?limit=20');
    expect(loggableUrl('/v1/reviews?limit=5&order=oldest')).toBe('/v1/reviews?limit=5&order=oldest');
    expect(loggableUrl('/v1/labels/export?format=jsonl&token=modtok_abc&access_token=x')).toBe('/v1/labels/export?format=jsonl&token=[redacted]&access_token=[redacted]');
    // A bare token, or one used as a parameter's name.
    expect(loggableUrl('/v1/reviews?modtok_abcdefghijklmnopqrstuvwxyz0123456789abcdefg')).toBe('/v1/reviews?[redacted]');
    expect(loggableUrl('/v1/reviews?modtok_abcdefghijklmnopqrstuvwxyz0123456789abcdefg=1')).toBe('/v1/reviews?[redacted]=[redacted]');
    // A long value under a known name is not a limit or a format: redacted too.
    expect(loggableUrl(`/v1/reviews?limit=${'9'.repeat(40)}`)).toBe('/v1/reviews?limit=[redacted]');
  });
});
