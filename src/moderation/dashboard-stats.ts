// The dashboard's numbers (issue 15): GET /v1/stats and GET /console/api/stats
// answer with this shape. Pure: the store counts (posts per hour, decision
// and category; labels per hour; the queue; the service events of the
// window), this file fills every hour of the window (zeros where nothing
// happened, so a chart needs no gap logic), derives the rates, and finds
// where the code revision or the live model changed across the service
// events.
import { agreementOf, type AgreementSummary } from './agreement.js';
import { CATEGORIES } from './categories.js';
import type { SecondOpinionStats } from './post-records.js';
import type { Decision } from './thresholds.js';

export const STATS_SCHEMA_VERSION = 1;
/** GET /v1/stats?hours=N: the default and the largest window (30 days). */
export const STATS_DEFAULT_HOURS = 24;
export const STATS_MAX_HOURS = 720;

const HOUR_MS = 3_600_000;

/** What a service process records when it starts and each time its model set is swapped (migration 0006). */
export interface ServiceEvent {
  at: Date;
  instance: string;
  /** The commit the process runs; null when it does not know (outside a bundle). */
  revision: string | null;
  /** The live model's version. */
  model: string;
  event: 'start' | 'model-swap';
}

/** The store's counts for a window [from, to). */
export interface DashboardCounts {
  /** Posts per hour (the hour's start), decision and top category. */
  posts: { hour: Date; decision: Decision; category: string | null; count: number }[];
  /** Moderators' labels per hour (a second opinion is a label of its own). */
  labels: { hour: Date; count: number }[];
  queue: { depth: number; oldestEnqueuedAt: Date | null };
  /** The service events of the window, oldest first. */
  events: ServiceEvent[];
  /** What ran before the window: the last event before it of each instance seen in it, and the last one of any instance. */
  before: ServiceEvent[];
}

export interface HourlyStats {
  hour: string;
  decisions: Record<Decision, number>;
  /** Posts by top category (every known category, zeros included). */
  categories: Record<string, number>;
  /** Share of the hour's posts sent to review; null in an hour without posts. */
  reviewRate: number | null;
  /** Share of the hour's posts approved without a moderator; null in an hour without posts. */
  autoApproveRate: number | null;
  /** Labels moderators gave in the hour. */
  labelled: number;
}

export interface TimelineChange {
  at: string;
  kind: 'revision' | 'model';
  from: string | null;
  to: string | null;
}

/** GET /v1/reviews/agreement's answer. */
export type AgreementReport = AgreementSummary & { conflicts: SecondOpinionStats['conflicts'] };

export interface DashboardStats {
  schemaVersion: typeof STATS_SCHEMA_VERSION;
  generatedAt: string;
  from: string;
  to: string;
  hourly: HourlyStats[];
  queue: { depth: number; oldestEnqueuedAt: string | null; oldestAgeSeconds: number | null };
  /** The same object as GET /v1/reviews/agreement; null while no review has two labels. */
  agreement: AgreementReport | null;
  timeline: { at: string; instance: string; revision: string | null; model: string; event: ServiceEvent['event'] }[];
  changes: TimelineChange[];
}

/** The window of `hours` whole UTC hours ending with the current one: [from, to), `to` the next hour's start. */
export function statsWindow(now: Date, hours: number): { from: Date; to: Date } {
  const to = new Date((Math.floor(now.getTime() / HOUR_MS) + 1) * HOUR_MS);
  return { from: new Date(to.getTime() - hours * HOUR_MS), to };
}

/** GET /v1/reviews/agreement's answer from the second-opinion counts (the same numbers). */
export function agreementReport(stats: SecondOpinionStats): AgreementReport {
  return { ...agreementOf(stats.pairs), conflicts: stats.conflicts };
}

function share(part: number, total: number): number | null {
  return total === 0 ? null : Math.round((part / total) * 1e6) / 1e6;
}

export function dashboardStats(counts: DashboardCounts, window: { from: Date; to: Date }, now: Date, secondOpinions: SecondOpinionStats): DashboardStats {
  const hours = new Map<number, HourlyStats>();
  for (let t = window.from.getTime(); t < window.to.getTime(); t += HOUR_MS) {
    hours.set(t, {
      hour: new Date(t).toISOString(),
      decisions: { approve: 0, review: 0, reject: 0 },
      categories: Object.fromEntries(CATEGORIES.map((c) => [c, 0])),
      reviewRate: null,
      autoApproveRate: null,
      labelled: 0,
    });
  }
  for (const row of counts.posts) {
    const hour = hours.get(row.hour.getTime());
    if (!hour) continue;
    hour.decisions[row.decision] += row.count;
    if (row.category !== null) hour.categories[row.category] = (hour.categories[row.category] ?? 0) + row.count;
  }
  for (const row of counts.labels) {
    const hour = hours.get(row.hour.getTime());
    if (hour) hour.labelled += row.count;
  }
  for (const hour of hours.values()) {
    const { approve, review, reject } = hour.decisions;
    const total = approve + review + reject;
    hour.reviewRate = share(review, total);
    hour.autoApproveRate = share(approve, total);
  }
  const oldest = counts.queue.oldestEnqueuedAt;
  const agreement = agreementReport(secondOpinions);
  return {
    schemaVersion: STATS_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    hourly: [...hours.values()],
    queue: { depth: counts.queue.depth, oldestEnqueuedAt: oldest?.toISOString() ?? null, oldestAgeSeconds: oldest ? Math.max(0, Math.floor((now.getTime() - oldest.getTime()) / 1000)) : null },
    agreement: agreement.pairs === 0 ? null : agreement,
    timeline: counts.events.map((e) => ({ at: e.at.toISOString(), instance: e.instance, revision: e.revision, model: e.model, event: e.event })),
    changes: timelineChanges(counts.before, counts.events),
  };
}

const byTime = (a: ServiceEvent, b: ServiceEvent) => a.at.getTime() - b.at.getTime();

/**
 * Where the revision or the live model changed: each event is compared with
 * the previous event of its instance, or, for an instance's first event (a
 * new instance of a blue/green or scaled fleet), with the fleet's latest
 * event. A deploy or release that moves every instance is one change: a
 * change the same as one already listed since the fleet last moved to
 * another value of that kind (the second and later instances of a rolling
 * deploy) is left out, so each (kind, from, to) shows once, at the first
 * time it was seen. `before` gives what ran when the window opened.
 */
export function timelineChanges(before: readonly ServiceEvent[], events: readonly ServiceEvent[]): TimelineChange[] {
  const lastOf = new Map<string, ServiceEvent>();
  let fleetLast: ServiceEvent | undefined;
  for (const event of [...before].sort(byTime)) {
    lastOf.set(event.instance, event);
    fleetLast = event;
  }
  const changes: TimelineChange[] = [];
  const moving: Partial<Record<TimelineChange['kind'], { to: string | null; from: Set<string | null> }>> = {};
  const note = (kind: TimelineChange['kind'], from: string | null, to: string | null, at: Date) => {
    if (from === to) return;
    const run = moving[kind];
    if (run && run.to === to) {
      if (run.from.has(from)) return;
      run.from.add(from);
    } else moving[kind] = { to, from: new Set([from]) };
    changes.push({ at: at.toISOString(), kind, from, to });
  };
  for (const event of events) {
    const previous = lastOf.get(event.instance) ?? fleetLast;
    if (previous) {
      note('revision', previous.revision, event.revision, event.at);
      note('model', previous.model, event.model, event.at);
    }
    lastOf.set(event.instance, event);
    fleetLast = event;
  }
  return changes;
}
