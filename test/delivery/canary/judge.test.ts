// Issue 12.3: the canary judge on deterministic synthetic samples (a seeded
// PRNG), one test per behaviour the issue requires, plus the verdict rules.
import { describe, expect, it } from 'vitest';
import type { CanarySettings, Decision, RequestSample } from '../../../src/delivery/canary/canary-types.js';
import { judgeCanary } from '../../../src/delivery/canary/judge.js';

const SETTINGS: CanarySettings = {
  weight: 25,
  durationSeconds: 120,
  minSamples: 50,
  thresholds: { pass: 90, marginal: 75 },
  onMarginal: 'pause',
};

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Side {
  n?: number;
  /** Median latency (ms); latencies are log-normal around it. */
  medianMs?: number;
  /** Spread of log(latency). */
  sigma?: number;
  errors5xx?: number;
  errors4xx?: number;
  /** Exact shares of the requests that return a decision. */
  reject?: number;
  review?: number;
  /** false: no request carries a decision (e.g. only health checks). */
  decisions?: boolean;
}

function side(group: RequestSample['group'], seed: number, s: Side = {}): RequestSample[] {
  const rnd = mulberry32(seed);
  const n = s.n ?? 1000;
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const rejects = Math.round(n * (s.reject ?? 0.03));
  const reviews = Math.round(n * (s.review ?? 0.1));
  const out: RequestSample[] = [];
  for (let i = 0; i < n; i++) {
    const status = i < (s.errors5xx ?? 0) ? 503 : i >= n - (s.errors4xx ?? 0) ? 400 : 200;
    const sample: RequestSample = {
      group,
      status,
      latencyMs: (s.medianMs ?? 40) * Math.exp((s.sigma ?? 0.3) * gauss()),
      at: 1_700_000_000_000 + i * 100,
    };
    if (status === 200 && s.decisions !== false) {
      const decision: Decision = i < rejects ? 'reject' : i < rejects + reviews ? 'review' : 'approve';
      sample.decision = decision;
      if (decision === 'reject') sample.category = 'scam';
      if (decision === 'review') sample.category = 'contact';
    }
    out.push(sample);
  }
  return out;
}

const judge = (baseline: Side, canary: Side, seed = 1, settings = SETTINGS) => judgeCanary([...side('baseline', seed, baseline), ...side('canary', seed + 1000, canary)], settings);

const metric = (v: ReturnType<typeof judgeCanary>, name: string) => {
  const m = v.metrics.find((x) => x.name === name);
  if (!m) throw new Error(`no metric ${name} in ${v.metrics.map((x) => x.name).join(', ')}`);
  return m;
};

describe('judgeCanary (issue 12.3)', () => {
  it('issue 12.3: identical distributions pass, for several seeds, with every metric passing', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const v = judge({}, {}, seed);
      expect(v.verdict, v.reason).toBe('Pass');
      expect(v.score).toBe(100);
      expect(v.metrics.filter((m) => m.verdict !== 'pass').map((m) => m.reason)).toEqual([]);
    }
  });

  it('issue 12.3: a 20% latency increase fails, critically, and says why with the numbers', () => {
    const v = judge({}, { medianMs: 48 });
    expect(v.verdict).toBe('Fail');
    const latency = metric(v, 'latency');
    expect(latency).toMatchObject({ verdict: 'fail', critical: true, group: 'latency' });
    expect(latency.ratio).toBeGreaterThan(1.15);
    expect(latency.shift!.estimate).toBeGreaterThan(6);
    expect(latency.shift!.low).toBeGreaterThan(4);
    expect(latency.pValue).toBeLessThan(1e-10);
    expect(latency.baseline.median).toBeCloseTo(40, -0.5);
    expect(latency.reason).toMatch(/^median [\d.]+ -> [\d.]+ ms \(x1\.\d\d\), shift \+[\d.]+ ms \[95% CI \+[\d.]+, \+[\d.]+\], Mann-Whitney p=\S+/);
    expect(v.reason).toContain('latency');
  });

  it('a small (3%) latency increase is within the allowed increase, even when significant', () => {
    const v = judge({ n: 5000 }, { n: 5000, medianMs: 41.2 });
    const latency = metric(v, 'latency');
    expect(latency.pValue).toBeLessThan(0.01);
    expect(latency.verdict).toBe('pass');
    expect(latency.reason).toContain('within the allowed');
    expect(v.verdict).toBe('Pass');
  });

  it('a faster canary passes', () => {
    expect(metric(judge({}, { medianMs: 30 }), 'latency').verdict).toBe('pass');
  });

  it('a variability regression with the same median fails the tail metric and is not a Pass (kayenta #780)', () => {
    const v = judge({}, { sigma: 0.6 });
    expect(metric(v, 'latency').verdict).toBe('pass');
    expect(metric(v, 'latency.p90')).toMatchObject({ verdict: 'fail', critical: false });
    expect(v.verdict).not.toBe('Pass');
  });

  it('issue 12.3: 0 vs 3 errors in 1,000 requests is not a failure', () => {
    const v = judge({}, { errors5xx: 3 });
    const errors = metric(v, 'errors.5xx');
    expect(errors).toMatchObject({ verdict: 'pass', critical: true });
    expect(errors.baseline).toMatchObject({ samples: 1000, count: 0, rate: 0 });
    expect(errors.canary).toMatchObject({ samples: 1000, count: 3, rate: 0.003 });
    expect(errors.pValue).toBeCloseTo(0.1248, 3);
    expect(errors.reason).toBe('5xx 0/1000 (0.00%) -> 3/1000 (0.30%), diff +0.30 pp, Fisher one-sided p=0.1248: no significant difference');
    expect(v.verdict).toBe('Pass');
  });

  it('issue 12.3: 0 vs 40 errors in 1,000 requests fails, critically', () => {
    const v = judge({}, { errors5xx: 40 });
    const errors = metric(v, 'errors.5xx');
    expect(errors.verdict).toBe('fail');
    expect(errors.pValue).toBeLessThan(1e-10);
    expect(errors.reason).toMatch(/^5xx 0\/1000 \(0\.00%\) -> 40\/1000 \(4\.00%\), diff \+4\.00 pp, Fisher one-sided p=6\.1e-13: higher/);
    expect(v.verdict).toBe('Fail');
    expect(v.reason).toContain('errors.5xx');
  });

  it('more 4xx is judged separately and, not being critical, lowers the score to Marginal', () => {
    const v = judge({}, { errors4xx: 60 });
    expect(metric(v, 'errors.4xx')).toMatchObject({ verdict: 'fail', critical: false });
    expect(metric(v, 'errors.5xx').verdict).toBe('pass');
    expect(v.score).toBe(85);
    expect(v.verdict).toBe('Marginal');
    expect(v.reason).toContain('errors.4xx');
  });

  it('fewer errors on the canary is not a failure', () => {
    expect(metric(judge({ errors5xx: 40 }, {}), 'errors.5xx').verdict).toBe('pass');
  });

  it('issue 12.3: a reject share going from 3% to 9% fails (decision.reject is critical), and says so by metric', () => {
    const v = judge({ reject: 0.03 }, { reject: 0.09 });
    const reject = metric(v, 'decision.reject');
    expect(reject).toMatchObject({ verdict: 'fail', critical: true, group: 'decisions' });
    expect(reject.baseline).toMatchObject({ count: 30, samples: 1000 });
    expect(reject.canary).toMatchObject({ count: 90, samples: 1000 });
    expect(reject.ratio).toBe(3);
    expect(reject.reason).toMatch(/^reject 30\/1000 \(3\.00%\) -> 90\/1000 \(9\.00%\), diff \+6\.00 pp, x3\.00, Fisher two-sided p=1\.5e-8: higher/);
    expect(metric(v, 'category.scam')).toMatchObject({ verdict: 'fail', critical: false, group: 'categories' });
    expect(v.verdict).toBe('Fail');
    expect(v.reason).toMatch(/critical metrics? failed: .*decision\.reject/);
  });

  it('a canary that approves what it should not (approve share up, reject and review down) fails too', () => {
    const v = judge({ reject: 0.05, review: 0.15 }, { reject: 0.01, review: 0.05 });
    expect(metric(v, 'decision.approve')).toMatchObject({ verdict: 'fail', critical: true });
    expect(v.verdict).toBe('Fail');
  });

  it('a 1-point move in the reject share is below the practical minimum', () => {
    const v = judge({ n: 20000, reject: 0.03 }, { n: 20000, reject: 0.04 });
    const reject = metric(v, 'decision.reject');
    expect(reject.pValue).toBeLessThan(0.01);
    expect(reject.verdict).toBe('pass');
    expect(reject.reason).toContain('below the practical minimum');
  });

  it('issue 12.3: too few samples is Marginal ("insufficient data"), not Pass', () => {
    const v = judge({ n: 30 }, { n: 30 });
    expect(v.verdict).toBe('Marginal');
    expect(v.reason).toMatch(/^insufficient data/);
    expect(v.metrics.every((m) => m.verdict === 'nodata')).toBe(true);
    expect(metric(v, 'latency').reason).toBe('insufficient data: baseline 30, canary 30 samples (minSamples 50)');
    expect(v.score).toBe(0);
  });

  it('too few samples on one side only is also Marginal', () => {
    expect(judge({ n: 1000 }, { n: 49 }).verdict).toBe('Marginal');
  });

  it('no decisions at all (nothing moderated) is at most Marginal even when everything measured passes', () => {
    const v = judge({ decisions: false }, { decisions: false });
    expect(metric(v, 'decision.reject').verdict).toBe('nodata');
    expect(metric(v, 'latency').verdict).toBe('pass');
    expect(v.metrics.some((m) => m.group === 'categories')).toBe(false);
    expect(v.verdict).toBe('Marginal');
    expect(v.reason).toContain('decision.approve');
  });

  it('no samples at all is Marginal, and a critical failure still fails when other metrics have no data', () => {
    expect(judgeCanary([], SETTINGS).verdict).toBe('Marginal');
    const v = judge({ decisions: false }, { decisions: false, medianMs: 60 });
    expect(v.verdict).toBe('Fail');
  });

  it('the verdict follows the thresholds: a non-critical failure passes under lower thresholds', () => {
    const settings = { ...SETTINGS, thresholds: { pass: 80, marginal: 50 } };
    expect(judge({}, { errors4xx: 60 }, 1, settings).verdict).toBe('Pass');
    const strict = { ...SETTINGS, thresholds: { pass: 95, marginal: 90 } };
    expect(judge({}, { errors4xx: 60 }, 1, strict).verdict).toBe('Fail');
  });

  it('every metric names its group and says why in one line; the verdict is plain JSON', () => {
    const v = judge({}, { reject: 0.09, errors5xx: 3 });
    expect(v.thresholds).toEqual({ pass: 90, marginal: 75 });
    expect(v.metrics.map((m) => m.name)).toEqual(['latency', 'latency.p90', 'errors.5xx', 'errors.4xx', 'decision.approve', 'decision.review', 'decision.reject', 'category.contact', 'category.scam']);
    for (const m of v.metrics) {
      expect(['latency', 'errors', 'decisions', 'categories']).toContain(m.group);
      expect(m.reason).toMatch(/\d/);
      expect(m.reason).not.toContain('\n');
      expect(m.reason).toMatch(/p=/);
    }
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });
});

describe('judgeCanary on loopback-scale latencies', () => {
  it('a sub-millisecond difference is jitter, not a regression, even at +30% (the 1 ms floor)', () => {
    const v = judge({ medianMs: 1.5, n: 3000 }, { medianMs: 1.95, n: 3000, sigma: 0.35 });
    const latency = metric(v, 'latency');
    expect(latency.pValue).toBeLessThan(0.01);
    expect(latency.ratio).toBeGreaterThan(1.2);
    expect(latency.verdict).toBe('pass');
    expect(metric(v, 'latency.p90').verdict).toBe('pass');
    expect(v.verdict).toBe('Pass');
  });

  it('the same +30% on a 15 ms service fails', () => {
    expect(metric(judge({ medianMs: 15 }, { medianMs: 19.5 }), 'latency').verdict).toBe('fail');
  });
});
