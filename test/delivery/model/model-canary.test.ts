// The model canary's judgement (issue 13): rows of the env's database become
// the judge's samples (the candidate's are the canary side), and only the
// decision and category groups are judged: one process serves both models.
import { describe, expect, it } from 'vitest';
import { judgeCanary, JUDGE_DEFAULTS } from '../../../src/delivery/canary/judge.js';
import type { CanarySettings } from '../../../src/delivery/canary/canary-types.js';
import { judgeModelCanary, samplesFromRows } from '../../../src/delivery/model/model-canary.js';
import { rows } from './model-support.js';

const SETTINGS: CanarySettings = { weight: 20, durationSeconds: 60, minSamples: 50, thresholds: { pass: 90, marginal: 75 }, onMarginal: 'pause' };

describe('the model canary judgement', () => {
  it('the candidate is the canary side, every row a judged 200 answer', () => {
    const samples = samplesFromRows([...rows('live', 2, 1), ...rows('cand', 1, 1)], 'cand');
    expect(samples).toEqual([
      { group: 'baseline', status: 200, latencyMs: 0, decision: 'reject', category: 'scam' },
      { group: 'baseline', status: 200, latencyMs: 0, decision: 'approve' },
      { group: 'canary', status: 200, latencyMs: 0, decision: 'reject', category: 'scam' },
    ]);
  });

  it('judges decisions and categories only: the same shares pass, far more rejects fail', () => {
    const pass = judgeModelCanary([...rows('live', 400, 20), ...rows('cand', 100, 5)], 'cand', SETTINGS);
    expect(pass.verdict).toBe('Pass');
    expect(new Set(pass.metrics.map((m) => m.group))).toEqual(new Set(['decisions', 'categories']));
    const fail = judgeModelCanary([...rows('live', 400, 20), ...rows('cand', 100, 40)], 'cand', SETTINGS);
    expect(fail.verdict).toBe('Fail');
    expect(fail.metrics.find((m) => m.name === 'decision.reject')!.verdict).toBe('fail');
  });

  it('JudgeOptions.groups is optional: without it every group is judged, as before', () => {
    const samples = samplesFromRows([...rows('live', 100, 5), ...rows('cand', 100, 5)], 'cand');
    expect(new Set(judgeCanary(samples, SETTINGS).metrics.map((m) => m.group))).toEqual(new Set(['latency', 'errors', 'decisions', 'categories']));
    expect(judgeCanary(samples, SETTINGS, { ...JUDGE_DEFAULTS, groups: ['errors'] }).metrics.map((m) => m.name)).toEqual(['errors.5xx', 'errors.4xx']);
  });
});
