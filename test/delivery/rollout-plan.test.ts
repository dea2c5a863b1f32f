import { describe, expect, it } from 'vitest';
import { planBatches } from '../../src/delivery/rollout-plan.js';

describe('planBatches', () => {
  const five = ['a', 'b', 'c', 'd', 'e'];
  it('OneAtATime deploys one instance per batch', () => {
    expect(planBatches(five, 'OneAtATime')).toEqual([['a'], ['b'], ['c'], ['d'], ['e']]);
  });
  it('HalfAtATime deploys up to half, at least one', () => {
    expect(planBatches(five, 'HalfAtATime')).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(planBatches(['a'], 'HalfAtATime')).toEqual([['a']]);
    expect(planBatches(['a', 'b'], 'HalfAtATime')).toEqual([['a'], ['b']]);
  });
  it('AllAtOnce deploys everything together', () => {
    expect(planBatches(five, 'AllAtOnce')).toEqual([five]);
    expect(planBatches([], 'AllAtOnce')).toEqual([]);
  });
});
