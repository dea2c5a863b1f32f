// The dashboard's shaping (issue 15, src/moderation/dashboard-stats.ts, and
// the query's hours): windows of whole UTC hours ending with the current
// one, every hour present with zeros, rates per hour (null without posts),
// the queue's age, agreement null without pairs and GET
// /v1/reviews/agreement's numbers with them, and the changes across the
// service events: per instance, a new instance against the fleet, one change
// per (kind, from, to) while a deploy moves the fleet, a rollback and a
// redeploy each listed again.
import { describe, expect, it } from 'vitest';
import { agreementOf } from '../../../src/moderation/agreement.js';
import { CATEGORIES } from '../../../src/moderation/categories.js';
import { dashboardStats, statsWindow, timelineChanges, type DashboardCounts, type ServiceEvent } from '../../../src/moderation/dashboard-stats.js';
import { HttpError } from '../../../src/service/http-errors.js';
import { statsHours } from '../../../src/service/routes/stats.js';

const t = (iso: string) => new Date(`2026-06-01T${iso}Z`);
const ev = (at: string, instance: string, revision: string | null, model: string, event: ServiceEvent['event'] = 'start'): ServiceEvent => ({ at: t(at), instance, revision, model, event });
const empty: DashboardCounts = { posts: [], labels: [], queue: { depth: 0, oldestEnqueuedAt: null }, events: [], before: [] };
const noOpinions = { pairs: [], conflicts: { count: 0, ids: [] } };

describe('statsWindow and hours', () => {
  it('ends with the current UTC hour and starts `hours` whole hours before', () => {
    expect(statsWindow(t('10:59:59.999'), 24)).toEqual({ from: new Date('2026-05-31T11:00:00Z'), to: t('11:00:00') });
    expect(statsWindow(t('11:00:00'), 1)).toEqual({ from: t('11:00:00'), to: t('12:00:00') });
  });

  it('takes hours from 1 to 720, 24 by default, and says what to send otherwise', () => {
    expect(statsHours(undefined)).toBe(24);
    expect(statsHours('1')).toBe(1);
    expect(statsHours('720')).toBe(720);
    for (const bad of ['0', '721', '-1', '1.5', 'abc', '', '00000024', ' 24']) {
      expect(() => statsHours(bad), bad).toThrow(HttpError);
      expect(() => statsHours(bad), bad).toThrow(/not a whole number from 1 to 720: send e\.g\. \?hours=24/);
    }
  });
});

describe('dashboardStats', () => {
  const window = { from: t('08:00:00'), to: t('11:00:00') };
  const now = t('10:30:00');

  it('lists every hour of the window with zeros, every category included', () => {
    const stats = dashboardStats(empty, window, now, noOpinions);
    expect(stats).toMatchObject({ schemaVersion: 1, generatedAt: now.toISOString(), from: window.from.toISOString(), to: window.to.toISOString(), agreement: null, timeline: [], changes: [] });
    expect(stats.hourly.map((h) => h.hour)).toEqual(['08:00:00', '09:00:00', '10:00:00'].map((x) => t(x).toISOString()));
    expect(stats.hourly[0]).toEqual({ hour: t('08:00:00').toISOString(), decisions: { approve: 0, review: 0, reject: 0 }, categories: Object.fromEntries(CATEGORIES.map((c) => [c, 0])), reviewRate: null, autoApproveRate: null, labelled: 0 });
    expect(stats.queue).toEqual({ depth: 0, oldestEnqueuedAt: null, oldestAgeSeconds: null });
  });

  it('adds the counts to their hours and derives the rates', () => {
    const counts: DashboardCounts = {
      ...empty,
      posts: [
        { hour: t('09:00:00'), decision: 'approve', category: null, count: 5 },
        { hour: t('09:00:00'), decision: 'review', category: 'spam', count: 2 },
        { hour: t('09:00:00'), decision: 'review', category: 'scam', count: 1 },
        { hour: t('09:00:00'), decision: 'reject', category: 'spam', count: 1 },
        { hour: t('10:00:00'), decision: 'reject', category: 'legacy_word', count: 1 },
        { hour: t('07:00:00'), decision: 'approve', category: null, count: 100 }, // outside: ignored
      ],
      labels: [{ hour: t('10:00:00'), count: 4 }],
      queue: { depth: 3, oldestEnqueuedAt: t('10:00:00.400') },
    };
    const stats = dashboardStats(counts, window, now, noOpinions);
    const [h8, h9, h10] = stats.hourly;
    expect(h8!.decisions).toEqual({ approve: 0, review: 0, reject: 0 });
    expect(h9).toMatchObject({ decisions: { approve: 5, review: 3, reject: 1 }, reviewRate: 0.333333, autoApproveRate: 0.555556, labelled: 0 });
    expect(h9!.categories).toMatchObject({ spam: 3, scam: 1, contact: 0 });
    // A category the code no longer knows (an old row) is still counted.
    expect(h10).toMatchObject({ decisions: { approve: 0, review: 0, reject: 1 }, reviewRate: 0, autoApproveRate: 0, labelled: 4 });
    expect(h10!.categories.legacy_word).toBe(1);
    expect(stats.queue).toEqual({ depth: 3, oldestEnqueuedAt: t('10:00:00.400').toISOString(), oldestAgeSeconds: 1799 });
  });

  it('gives GET /v1/reviews/agreement their object when moderators paired', () => {
    const opinions = {
      pairs: [
        { first: 'ok', second: 'ok', count: 3 },
        { first: 'spam', second: 'ok', count: 1 },
      ],
      conflicts: { count: 1, ids: ['p-9'] },
    };
    expect(dashboardStats(empty, window, now, opinions).agreement).toEqual({ ...agreementOf(opinions.pairs), conflicts: opinions.conflicts });
    expect(dashboardStats(empty, window, now, opinions).agreement).toMatchObject({ pairs: 4, agreed: 3, observedAgreement: 0.75 });
  });

  it('lists the timeline as ISO times', () => {
    const stats = dashboardStats({ ...empty, events: [ev('08:10:00', 'i-1', 'abc', 'm1')] }, window, now, noOpinions);
    expect(stats.timeline).toEqual([{ at: t('08:10:00').toISOString(), instance: 'i-1', revision: 'abc', model: 'm1', event: 'start' }]);
  });
});

describe('timelineChanges', () => {
  const change = (at: string, kind: 'revision' | 'model', from: string | null, to: string | null) => ({ at: t(at).toISOString(), kind, from, to });

  it('finds nothing in a fleet that only restarts', () => {
    expect(timelineChanges([ev('01:00:00', 'i-1', 'a', 'm1')], [ev('02:00:00', 'i-1', 'a', 'm1'), ev('02:01:00', 'i-2', 'a', 'm1')])).toEqual([]);
  });

  it('shows a rolling deploy over every instance as one change, at the first instance', () => {
    const before = [ev('00:00:00', 'i-1', 'a', 'm1'), ev('00:00:01', 'i-2', 'a', 'm1'), ev('00:00:02', 'i-3', 'a', 'm1')];
    const events = [ev('01:00:00', 'i-1', 'b', 'm1'), ev('01:01:00', 'i-2', 'b', 'm1'), ev('01:02:00', 'i-3', 'b', 'm1')];
    expect(timelineChanges(before, events)).toEqual([change('01:00:00', 'revision', 'a', 'b')]);
  });

  it('compares a new instance (blue/green) with the fleet, and not with the old instances still up', () => {
    const before = [ev('00:00:00', 'blue-1', 'a', 'm1'), ev('00:00:01', 'blue-2', 'a', 'm1')];
    const events = [ev('01:00:00', 'green-1', 'b', 'm1'), ev('01:00:05', 'green-2', 'b', 'm1'), ev('01:10:00', 'blue-1', 'a', 'm2', 'model-swap'), ev('01:10:01', 'green-1', 'b', 'm2', 'model-swap')];
    expect(timelineChanges(before, events)).toEqual([change('01:00:00', 'revision', 'a', 'b'), change('01:10:00', 'model', 'm1', 'm2')]);
  });

  it('lists a rollback and a redeploy again', () => {
    const events = [ev('01:00:00', 'i-1', 'a', 'm1'), ev('02:00:00', 'i-1', 'b', 'm1'), ev('03:00:00', 'i-1', 'a', 'm1'), ev('04:00:00', 'i-1', 'b', 'm1')];
    expect(timelineChanges([], events)).toEqual([change('02:00:00', 'revision', 'a', 'b'), change('03:00:00', 'revision', 'b', 'a'), change('04:00:00', 'revision', 'a', 'b')]);
  });

  it('lists a model released while the revision moves, and an unknown revision becoming known', () => {
    const events = [ev('01:00:00', 'i-1', null, 'm1'), ev('02:00:00', 'i-1', 'c', 'm1'), ev('02:30:00', 'i-1', 'c', 'm3', 'model-swap')];
    expect(timelineChanges([], events)).toEqual([change('02:00:00', 'revision', null, 'c'), change('02:30:00', 'model', 'm1', 'm3')]);
  });

  it('starts from what ran before the window: the first event is compared with it', () => {
    expect(timelineChanges([ev('00:00:00', 'i-1', 'a', 'm1')], [ev('05:00:00', 'i-1', 'a', 'm2', 'model-swap')])).toEqual([change('05:00:00', 'model', 'm1', 'm2')]);
    expect(timelineChanges([], [ev('05:00:00', 'i-1', 'a', 'm2')])).toEqual([]);
  });
});
