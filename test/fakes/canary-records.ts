// Canary records (issue 12) as a deployment keeps them, for the renderers'
// and the report command's tests: a failed canary (the reject share tripled,
// a critical metric), a passed one, one still running with live counts, one
// skipped on a first deploy, and one paused on a Marginal verdict.
import type { CanaryRecord, MetricVerdict } from '../../src/delivery/canary/canary-types.js';

export const LATENCY_PASS: MetricVerdict = {
  name: 'latency',
  group: 'latency',
  verdict: 'pass',
  critical: false,
  baseline: { samples: 512, median: 41, p90: 88 },
  canary: { samples: 498, median: 42.5, p90: 90 },
  ratio: 1.0366,
  shift: { estimate: 1.2, low: -0.8, high: 3.1 },
  pValue: 0.31,
  reason: 'median 42.5 ms vs 41 ms (x1.04), shift +1.2 ms [-0.8, 3.1] within the allowed +10%; p=0.31',
};

export const ERRORS_PASS: MetricVerdict = {
  name: 'errors.5xx',
  group: 'errors',
  verdict: 'pass',
  critical: true,
  baseline: { samples: 1000, count: 0, rate: 0 },
  canary: { samples: 1000, count: 3, rate: 0.003 },
  pValue: 0.25,
  reason: '3/1000 vs 0/1000 5xx: not significant (Fisher exact p=0.25)',
};

export const REJECT_FAIL: MetricVerdict = {
  name: 'decision.reject',
  group: 'decisions',
  verdict: 'fail',
  critical: true,
  baseline: { samples: 1000, count: 30, rate: 0.03 },
  canary: { samples: 1000, count: 90, rate: 0.09 },
  ratio: 3,
  pValue: 0.0000021,
  reason: 'reject share 9% vs 3% (x3.00), two-proportion z-test p<0.0001',
};

export const CATEGORY_NODATA: MetricVerdict = {
  name: 'category.scam',
  group: 'categories',
  verdict: 'nodata',
  critical: false,
  baseline: { samples: 12, count: 1 },
  canary: { samples: 9, count: 0 },
  reason: 'insufficient data: 9 canary and 12 baseline samples, 50 needed',
};

const WINDOW = { startedAt: '2026-12-02T03:00:00.000Z', endedAt: '2026-12-02T03:02:00.000Z' };

export function failedCanary(): CanaryRecord {
  return {
    status: 'Judged',
    ...WINDOW,
    canaryInstances: ['i-local-3'],
    baselineInstances: ['i-local-4'],
    verdict: {
      verdict: 'Fail',
      score: 50,
      thresholds: { pass: 90, marginal: 75 },
      metrics: [LATENCY_PASS, ERRORS_PASS, REJECT_FAIL, CATEGORY_NODATA],
      reason: 'critical metric decision.reject failed',
    },
    outcome: 'rolled-back',
  };
}

export function passedCanary(): CanaryRecord {
  return {
    status: 'Judged',
    ...WINDOW,
    canaryInstances: ['i-local-3'],
    baselineInstances: ['i-local-4'],
    verdict: { verdict: 'Pass', score: 100, thresholds: { pass: 90, marginal: 75 }, metrics: [LATENCY_PASS, ERRORS_PASS], reason: 'score 100 >= 90' },
    outcome: 'continued',
  };
}

export function marginalCanary(): CanaryRecord {
  return {
    status: 'Paused',
    ...WINDOW,
    canaryInstances: ['i-local-3'],
    baselineInstances: ['i-local-4'],
    note: 'onMarginal: pause',
    verdict: { verdict: 'Marginal', score: 80, thresholds: { pass: 90, marginal: 75 }, metrics: [LATENCY_PASS, CATEGORY_NODATA], reason: 'score 80: below pass 90, at least marginal 75' },
    outcome: 'paused',
  };
}

export function runningCanary(): CanaryRecord {
  return {
    status: 'Running',
    startedAt: WINDOW.startedAt,
    canaryInstances: ['i-local-3'],
    baselineInstances: ['i-local-4'],
    live: {
      at: '2026-12-02T03:01:00.000Z',
      canary: { requests: 240, errors5xx: 1, errors4xx: 2, decisions: { approve: 200, review: 20, reject: 20 } },
      baseline: { requests: 251, errors5xx: 0, errors4xx: 3, decisions: { approve: 230, review: 14, reject: 7 } },
    },
  };
}

export function skippedCanary(): CanaryRecord {
  return { status: 'Skipped', note: 'first deploy of stage: nothing to compare with', canaryInstances: [], baselineInstances: [] };
}
