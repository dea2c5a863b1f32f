// Issue 12.4: the canary (and blue/green) wherever the CLI shows a deployment:
// mod deploy --json and its result line, mod history, mod status (a canary in
// flight with live counts, the kept fleet), the canary progress events, and
// the report table fitted to a terminal's width.
import { describe, expect, it } from 'vitest';
import { canaryReportText } from '../../src/cli/format/canary-view.js';
import { deploymentJson, deploymentText } from '../../src/cli/format/deployment-result.js';
import { historyJson, historyText } from '../../src/cli/format/history-view.js';
import { statusJson, statusText } from '../../src/cli/format/status-view.js';
import { displayWidth } from '../../src/cli/format/terminal-text.js';
import { describeEvent } from '../../src/cli/output/describe-event.js';
import type { DeploymentRecord } from '../../src/delivery/deployment.js';
import type { EnvironmentStatus } from '../../src/delivery/status.js';
import { failedCanary, marginalCanary, passedCanary, REJECT_FAIL, runningCanary, skippedCanary } from '../fakes/canary-records.js';

const COMMIT = 'a'.repeat(40);

function record(patch: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    schemaVersion: 1,
    deploymentId: 'd-20261202T030000-abcdef',
    environment: 'stage',
    provider: 'local',
    status: 'Succeeded',
    revision: { commit: COMMIT, subject: 'Stricter model' },
    initiator: 'alice',
    startedAt: '2026-12-02T03:00:00.000Z',
    endedAt: '2026-12-02T03:02:31.000Z',
    instances: [],
    ...patch,
  };
}

function environment(patch: Partial<EnvironmentStatus>): EnvironmentStatus {
  return {
    name: 'stage',
    branch: 'stage',
    provider: 'local',
    deployed: null,
    branchHead: { commit: null, exists: false },
    pending: 0,
    endpoint: 'http://127.0.0.1:1',
    database: null,
    inFlight: null,
    instances: [],
    pipeline: null,
    autoRollback: null,
    warnings: [],
    drift: null,
    problems: [],
    recent: [],
    ...patch,
  };
}

describe('issue 12.4: mod deploy --json and its result line', () => {
  it('--json carries canary {verdict, score, metrics [{name, group, verdict, baseline, canary, reason}]}', () => {
    const json = deploymentJson(record({ status: 'RolledBack', canary: failedCanary() }), null);
    expect(json.canary).toMatchObject({ status: 'Judged', verdict: 'Fail', score: 50, outcome: 'rolled-back', reason: 'critical metric decision.reject failed' });
    expect(json.canary!.metrics.map((m) => [m.name, m.group, m.verdict])).toEqual([
      ['latency', 'latency', 'pass'],
      ['errors.5xx', 'errors', 'pass'],
      ['decision.reject', 'decisions', 'fail'],
      ['category.scam', 'categories', 'nodata'],
    ]);
    expect(json.canary!.metrics[2]).toEqual({ name: 'decision.reject', group: 'decisions', verdict: 'fail', critical: true, baseline: REJECT_FAIL.baseline, canary: REJECT_FAIL.canary, reason: REJECT_FAIL.reason });
    expect(json.deploymentType).toBe('in-place');
  });

  it('--json: canary null when there was none; a skipped one says so with no verdict', () => {
    expect(deploymentJson(record(), null).canary).toBeNull();
    expect(deploymentJson(record({ canary: skippedCanary() }), null).canary).toEqual({ status: 'Skipped', verdict: null, score: null, reason: null, outcome: null, note: 'first deploy of stage: nothing to compare with', metrics: [] });
    expect(deploymentJson(record({ deploymentType: 'blue-green' }), null).deploymentType).toBe('blue-green');
  });

  it('--json carries the build behind it (reused or not, and how long), null when the provider does not say', () => {
    expect(deploymentJson(record({ build: { reused: false, durationMs: 990, logFile: '/tmp/build.log' } }), null).build).toEqual({ reused: false, durationMs: 990 });
    expect(deploymentJson(record(), null).build).toBeNull();
  });

  it('the human result shows the verdict and each failing metric with why, and where the numbers are', () => {
    const text = deploymentText(record({ status: 'RolledBack', canary: failedCanary() }), null, false);
    expect(text).toContain('  canary Fail (score 50/100): decision.reject failed; the canary was removed, the fleet keeps its revision');
    expect(text).toContain(`    decision.reject (critical): ${REJECT_FAIL.reason}`);
    expect(text).toContain('mod canary report d-20261202T030000-abcdef');
    expect(text).not.toContain('latency');
  });

  it('a passing canary is one line; no canary, no line; a blue/green deploy names the kept fleet', () => {
    const passed = deploymentText(record({ canary: passedCanary() }), null, false);
    expect(passed).toContain('canary Pass (score 100/100); the rollout continued');
    expect(passed).not.toContain('mod canary report');
    expect(deploymentText(record(), null, false)).not.toContain('canary');
    const bg = deploymentText(record({ deploymentType: 'blue-green', blueGreen: { originalInstances: ['i-local-1'], replacementInstances: ['i-local-2'], keepOriginalUntil: '2026-12-02T03:12:31.000Z' } }), null, false);
    expect(bg).toContain('blue/green: the original fleet (i-local-1) stands by until 2026-12-02T03:12:31.000Z: mod rollback --env stage --fast switches back');
  });
});

describe('issue 12.4: mod history', () => {
  it('--json carries deploymentType, the blue/green fleets and the canary summary', () => {
    const [bg, plain] = historyJson([
      record({ deploymentType: 'blue-green', blueGreen: { originalInstances: ['i-local-1'], replacementInstances: ['i-local-2'], keepOriginalUntil: '2026-12-02T03:12:31.000Z' }, canary: passedCanary() }),
      record({ deploymentId: 'd-old' }),
    ]).deployments;
    expect(bg).toMatchObject({ deploymentType: 'blue-green', blueGreen: { originalInstances: ['i-local-1'], replacementInstances: ['i-local-2'], keepOriginalUntil: '2026-12-02T03:12:31.000Z', originalTerminated: false }, canary: { verdict: 'Pass', score: 100 } });
    expect(plain).toMatchObject({ deploymentType: 'in-place', blueGreen: null, canary: null });
  });

  it('the listing shows the canary verdict and a blue/green deployment', () => {
    const text = historyText([record({ status: 'RolledBack', deploymentType: 'blue-green', canary: failedCanary() })], false, false);
    expect(text).toContain('(151.0s), blue/green');
    expect(text).toContain('    canary Fail (score 50/100): decision.reject failed; the canary was removed, the fleet keeps its revision');
    expect(historyText([record()], false, false)).not.toMatch(/canary|blue\/green/);
  });
});

describe('issue 12.4: mod status', () => {
  const now = Date.parse('2026-12-02T03:05:00.000Z');
  const inFlight = { deploymentId: 'd-1', commit: COMMIT, startedAt: '2026-12-02T03:00:00.000Z', abandoned: false, instances: [] };

  it('a canary in flight: who against whom and the live counts', () => {
    const text = statusText([environment({ inFlight: { ...inFlight, canary: runningCanary() } })], false, now);
    expect(text).toContain('  canary    running (canary i-local-3 vs baseline i-local-4)');
    expect(text).toContain('so far: canary 240 requests, 1 5xx, 2 4xx, approve 200 / review 20 / reject 20; baseline 251 requests, 0 5xx, 3 4xx, approve 230 / review 14 / reject 7');
    expect(statusJson([environment({ inFlight: { ...inFlight, canary: runningCanary() } })]).environments[0]!.inFlight!.canary).toEqual(runningCanary());
  });

  it('a canary paused on Marginal says how to answer it', () => {
    const text = statusText([environment({ inFlight: { ...inFlight, canary: marginalCanary() } })], false, now);
    expect(text).toContain('canary Marginal (score 80/100)');
    expect(text).toContain('paused: mod approve --env stage continues, --reject rolls it back');
  });

  it('a blue/green kept fleet: standby until when, and how to switch back; one whose window ended is being stopped', () => {
    const kept = { deploymentId: 'd-bg', instances: ['i-local-1', 'i-local-2'], until: '2026-12-02T03:15:00.000Z' };
    const text = statusText([environment({ keptFleet: kept })], false, now);
    expect(text).toContain('  standby   i-local-1, i-local-2 (the previous fleet, kept by d-bg) until 2026-12-02T03:15:00.000Z (10m left): mod rollback --env stage --fast switches back to it');
    expect(statusJson([environment({ keptFleet: kept })]).environments[0]!.keptFleet).toEqual(kept);
    expect(statusText([environment({ keptFleet: { ...kept, until: '2026-12-02T03:04:00.000Z' } })], false, now)).toContain('its window ended 60s ago; it is being stopped');
    expect(statusText([environment({})], false, now)).not.toMatch(/standby|canary/);
    expect(statusJson([environment({})]).environments[0]!.keptFleet).toBeNull();
  });
});

describe('issue 12.4: canary progress events', () => {
  it('names each step; a failed verdict is an error line with the failing metric and why', () => {
    expect(describeEvent({ type: 'canary', phase: 'start', deploymentId: 'd-1', canaryInstances: ['i-local-3'], baselineInstances: ['i-local-4'], weight: 25, durationSeconds: 120, baselineCommit: 'b'.repeat(40) })).toEqual({
      text: 'canary: i-local-3 (new revision) and baseline i-local-4 (bbbbbbbb) each take 25% of the traffic for 120 s',
      level: 'info',
    });
    expect(describeEvent({ type: 'canary', phase: 'sampling', durationSeconds: 120 })?.text).toBe('canary: sampling requests for 120 s');
    const failed = describeEvent({ type: 'canary', phase: 'verdict', verdict: failedCanary().verdict!, samples: { baseline: 1000, canary: 1000 }, outcome: 'rolled-back' });
    expect(failed).toEqual({
      text: `canary Fail (score 50/100, 1000 canary vs 1000 baseline requests): critical metric decision.reject failed; failed: decision.reject (${REJECT_FAIL.reason}); the canary is removed, the fleet keeps its revision`,
      level: 'error',
    });
    expect(describeEvent({ type: 'canary', phase: 'verdict', verdict: passedCanary().verdict!, samples: { baseline: 500, canary: 498 }, outcome: 'continued' })?.level).toBe('info');
    expect(describeEvent({ type: 'canary', phase: 'verdict', verdict: marginalCanary().verdict!, samples: { baseline: 500, canary: 498 }, outcome: 'paused' })?.level).toBe('warn');
    expect(describeEvent({ type: 'canary', phase: 'paused', deploymentId: 'd-1', environment: 'stage' })).toEqual({ text: 'canary paused on a Marginal verdict: mod approve --env stage continues d-1, --reject rolls it back', level: 'warn' });
    expect(describeEvent({ type: 'canary', phase: 'answered', approved: false, summary: 'reject share too high' })).toEqual({ text: 'canary rejected: reject share too high', level: 'warn' });
    expect(describeEvent({ type: 'canary', phase: 'skipped', reason: 'first deploy: nothing to compare with' })?.text).toBe('canary skipped: first deploy: nothing to compare with');
  });
});

describe('issue 12.4: the report table in a terminal', () => {
  it('wraps the reasons to fit the width, keeping every word', () => {
    const rec = record({ status: 'RolledBack', canary: failedCanary() });
    const wide = canaryReportText(rec, false);
    const fitted = canaryReportText(rec, false, 150);
    expect(Math.max(...wide.split('\n').map(displayWidth))).toBeGreaterThan(150);
    expect(Math.max(...fitted.split('\n').map(displayWidth))).toBeLessThanOrEqual(150);
    const words = (text: string) =>
      text
        .replace(/[│┌┐└┘├┤┬┴┼─]/g, ' ')
        .split(/\s+/)
        .filter(Boolean)
        .sort();
    expect(words(fitted)).toEqual(words(wide));
  });
});
