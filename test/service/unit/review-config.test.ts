// REVIEW_ORDER, REVIEW_MAX_WAIT_SECONDS and REVIEW_SECOND_OPINION_SHARE (issue 13): defaults, values, and every wrong one reported.
import { describe, expect, it } from 'vitest';
import { parseServiceConfig, ServiceConfigError } from '../../../src/service/config.js';

describe('review queue configuration', () => {
  it('defaults to uncertain first, 4 hours before a post is overdue, one review in ten with a second opinion', () => {
    expect(parseServiceConfig({}, '/srv')).toMatchObject({ reviewOrder: 'uncertain', reviewMaxWaitSeconds: 14_400, reviewSecondOpinionShare: 0.1 });
  });

  it('reads the variables', () => {
    expect(parseServiceConfig({ REVIEW_ORDER: 'oldest', REVIEW_MAX_WAIT_SECONDS: '60', REVIEW_SECOND_OPINION_SHARE: '0.25' }, '/srv')).toMatchObject({ reviewOrder: 'oldest', reviewMaxWaitSeconds: 60, reviewSecondOpinionShare: 0.25 });
    expect(parseServiceConfig({ REVIEW_SECOND_OPINION_SHARE: '0' }, '/srv').reviewSecondOpinionShare).toBe(0);
    expect(parseServiceConfig({ REVIEW_SECOND_OPINION_SHARE: '1' }, '/srv').reviewSecondOpinionShare).toBe(1);
  });

  it('reports every wrong value at once, saying what is expected', () => {
    let error: unknown;
    try {
      parseServiceConfig({ REVIEW_ORDER: 'newest', REVIEW_MAX_WAIT_SECONDS: '0', REVIEW_SECOND_OPINION_SHARE: '10%' }, '/srv');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ServiceConfigError);
    const problems = (error as ServiceConfigError).problems;
    expect(problems).toContainEqual(expect.stringMatching(/^REVIEW_ORDER="newest": expected uncertain .* or oldest$/));
    expect(problems).toContainEqual(expect.stringMatching(/^REVIEW_MAX_WAIT_SECONDS="0": expected a whole number from 1 to/));
    expect(problems).toContainEqual(expect.stringMatching(/^REVIEW_SECOND_OPINION_SHARE="10%": expected a number from 0 to 1/));
    for (const bad of ['1.5', '-0.1', '.', 'abc']) expect(() => parseServiceConfig({ REVIEW_SECOND_OPINION_SHARE: bad }, '/srv'), bad).toThrow(/REVIEW_SECOND_OPINION_SHARE/);
  });
});
