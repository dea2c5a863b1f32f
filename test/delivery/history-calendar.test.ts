// The deploy history as an iCalendar feed: parsed back with ical.js, one
// VEVENT per record with a stable UID, times from the record (a running one
// lasts a minute), the summaries of code deploys and model releases, the
// description's facts, and RFC 5545 framing (CRLF, lines of at most 75 octets
// folded without splitting a character).
import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../src/delivery/deployment.js';
import { historyCalendar } from '../../src/delivery/history-calendar.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const LONG_SUBJECT = 'モデレーションのしきい値を調整し、スパム判定の誤検知を減らすための変更（本番リリース前の最終確認を含む）🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀';

function record(overrides: Partial<DeploymentRecord>): DeploymentRecord {
  return {
    schemaVersion: 1,
    deploymentId: 'd-20261201T010000-aaaaaa',
    environment: 'production',
    provider: 'local',
    status: 'Succeeded',
    revision: { commit: COMMIT, subject: 'Tune thresholds', author: 'Alice Author' },
    initiator: 'slack:U0BOB (bob)',
    startedAt: '2026-12-01T01:00:00.000Z',
    endedAt: '2026-12-01T01:04:30.000Z',
    instances: [],
    ...overrides,
  };
}

const RECORDS: DeploymentRecord[] = [
  record({ deploymentId: 'd-running', environment: 'stage', status: 'InProgress', endedAt: undefined, startedAt: '2026-12-02T09:00:00.000Z' }),
  record({
    deploymentId: 'd-rollback',
    status: 'Succeeded',
    rollbackOf: 'd-20261201T010000-aaaaaa',
    reason: 'error rate up',
    startedAt: '2026-12-01T05:00:00.000Z',
    endedAt: '2026-12-01T05:02:00.000Z',
  }),
  record({
    deploymentId: 'd-20261201T010000-aaaaaa',
    revision: { commit: COMMIT, subject: LONG_SUBJECT, author: 'Alice Author' },
    gates: [
      { name: 'approval', status: 'pass', reason: 'approved in Slack by bob (U0BOB)' },
      { name: 'window', status: 'pass', reason: 'security fix', overridden: { reason: 'security fix', by: 'carol' } },
    ],
  }),
  record({ deploymentId: 'd-failed', environment: 'stage', status: 'Failed', error: { code: 'HOOK_FAILED', message: 'ValidateService exited 1', hint: 'see the log' }, startedAt: '2026-11-30T01:00:00.000Z', endedAt: '2026-11-30T01:01:00.000Z' }),
  record({ deploymentId: 'd-stopped', environment: 'stage', status: 'Stopped', stopReason: 'Ctrl-C', startedAt: '2026-11-29T01:00:00.000Z', endedAt: '2026-11-29T01:00:30.000Z' }),
  record({
    deploymentId: 'm-20261128T010000-bbbbbb',
    kind: 'model',
    environment: 'stage',
    startedAt: '2026-11-28T01:00:00.000Z',
    endedAt: '2026-11-28T01:00:20.000Z',
    model: { action: 'release', version: 'v7', checksum: 'sha256:abc', location: '.mod/models/v7', dataFingerprint: 'f', previous: { version: 'v6', checksum: 'sha256:def', location: '.mod/models/v6' } },
  }),
];

const NOW = new Date('2026-12-02T10:00:00Z');

function parse(ics: string): { calendar: ICAL.Component; events: ICAL.Component[]; byUid: Map<string, ICAL.Component> } {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const events = calendar.getAllSubcomponents('vevent');
  return { calendar, events, byUid: new Map(events.map((e) => [String(e.getFirstPropertyValue('uid')), e])) };
}

const text = (event: ICAL.Component, name: string) => String(event.getFirstPropertyValue(name));
const time = (event: ICAL.Component, name: string) => (event.getFirstPropertyValue(name) as ICAL.Time).toJSDate().toISOString();

describe('history calendar', () => {
  it('is a publishable VCALENDAR named for the app, with one VEVENT per record keyed by deployment id and app', () => {
    const { calendar, events, byUid } = parse(historyCalendar(RECORDS, { app: 'fixture', now: NOW }));
    expect(text(calendar, 'version')).toBe('2.0');
    expect(text(calendar, 'prodid')).toBe('-//mod//deploy history//EN');
    expect(text(calendar, 'method')).toBe('PUBLISH');
    expect(text(calendar, 'x-wr-calname')).toBe('fixture deployments');
    expect(events).toHaveLength(RECORDS.length);
    expect([...byUid.keys()]).toEqual(RECORDS.map((r) => `${r.deploymentId}@fixture`));
    for (const event of events) expect(time(event, 'dtstamp')).toBe(NOW.toISOString());
  });

  it('takes the times from the record: a finished one ends when it finished, a running one lasts a minute', () => {
    const { byUid } = parse(historyCalendar(RECORDS, { app: 'fixture', now: NOW }));
    const done = byUid.get('d-20261201T010000-aaaaaa@fixture')!;
    expect([time(done, 'dtstart'), time(done, 'dtend')]).toEqual(['2026-12-01T01:00:00.000Z', '2026-12-01T01:04:30.000Z']);
    const running = byUid.get('d-running@fixture')!;
    expect([time(running, 'dtstart'), time(running, 'dtend')]).toEqual(['2026-12-02T09:00:00.000Z', '2026-12-02T09:01:00.000Z']);
    expect(text(running, 'status')).toBe('TENTATIVE');
    expect(running.getFirstPropertyValue('sequence')).toBe(0);
    expect(done.getFirstPropertyValue('sequence')).toBe(1);
  });

  it('keeps the UID across fetches while the rest follows the record', () => {
    const before = parse(historyCalendar([RECORDS[0]!], { app: 'fixture', now: NOW })).events[0]!;
    const finished = { ...RECORDS[0]!, status: 'Succeeded' as const, endedAt: '2026-12-02T09:03:00.000Z' };
    const after = parse(historyCalendar([finished], { app: 'fixture', now: new Date('2026-12-02T10:05:00Z') })).events[0]!;
    expect(text(after, 'uid')).toBe(text(before, 'uid'));
    expect(after.getFirstPropertyValue('sequence')).toBe(1);
    expect(text(after, 'status')).toBe('CONFIRMED');
    expect(time(after, 'dtend')).toBe('2026-12-02T09:03:00.000Z');
  });

  it('summarises code deploys, rollbacks and model releases', () => {
    const { byUid } = parse(historyCalendar(RECORDS, { app: 'fixture', now: NOW }));
    expect(text(byUid.get('d-20261201T010000-aaaaaa@fixture')!, 'summary')).toBe(`production: Succeeded 0123456 ${LONG_SUBJECT}`);
    expect(text(byUid.get('d-running@fixture')!, 'summary')).toBe('stage: InProgress 0123456 Tune thresholds');
    expect(text(byUid.get('d-rollback@fixture')!, 'summary')).toBe('production: Succeeded rollback to 0123456 Tune thresholds');
    expect(text(byUid.get('d-failed@fixture')!, 'summary')).toBe('stage: Failed 0123456 Tune thresholds');
    expect(text(byUid.get('m-20261128T010000-bbbbbb@fixture')!, 'summary')).toBe('stage: model v7 Succeeded');
  });

  it('describes who, why, the gates, the rollback and the failure; a stopped deploy is cancelled, a failed one stays confirmed', () => {
    const { byUid } = parse(historyCalendar(RECORDS, { app: 'fixture', now: NOW }));
    const gated = text(byUid.get('d-20261201T010000-aaaaaa@fixture')!, 'description');
    expect(gated).toContain('Initiated by slack:U0BOB (bob)');
    expect(gated).toContain(`Commit: ${COMMIT} ${LONG_SUBJECT} (Alice Author)`);
    expect(gated).toContain('approval: pass - approved in Slack by bob (U0BOB)');
    expect(gated).toContain('window: pass (overridden by carol: security fix)');
    const rollback = text(byUid.get('d-rollback@fixture')!, 'description');
    expect(rollback).toContain('Reason: error rate up');
    expect(rollback).toContain('Rollback of: d-20261201T010000-aaaaaa');
    const failed = byUid.get('d-failed@fixture')!;
    expect(text(failed, 'description')).toContain('Error HOOK_FAILED: ValidateService exited 1 (see the log)');
    expect(text(failed, 'status')).toBe('CONFIRMED');
    const stopped = byUid.get('d-stopped@fixture')!;
    expect(text(stopped, 'status')).toBe('CANCELLED');
    expect(text(stopped, 'description')).toContain('Stopped: Ctrl-C');
    expect(text(byUid.get('m-20261128T010000-bbbbbb@fixture')!, 'description')).toContain('Replacing: v6');
  });

  it('ends every line with CRLF and folds long lines at 75 octets without splitting a character', () => {
    const ics = historyCalendar(RECORDS, { app: 'fixture', now: NOW });
    expect(ics.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = ics.split('\r\n');
    const continuations = lines.filter((l) => l.startsWith(' '));
    expect(continuations.length).toBeGreaterThan(0);
    for (const line of lines) expect(Buffer.byteLength(line, 'utf8'), line).toBeLessThanOrEqual(75);
    // No character is cut in two: no line holds half of a surrogate pair (the emoji), and unfolding gives the subject back.
    for (const line of lines) expect(line).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect(text(parse(ics).byUid.get('d-20261201T010000-aaaaaa@fixture')!, 'summary')).toBe(`production: Succeeded 0123456 ${LONG_SUBJECT}`);
  });

  it('is an empty but valid calendar without deployments', () => {
    const { calendar, events } = parse(historyCalendar([], { app: 'fixture', now: NOW }));
    expect(events).toEqual([]);
    expect(text(calendar, 'x-wr-calname')).toBe('fixture deployments');
  });
});
