// Prometheus metrics for /metrics: requests and latency by route, method and
// status; decisions by decision, and by decision and category; the review
// queue's depth (read from the DB at scrape time); the models loaded (live,
// shadow, canary; read at scrape time), their swaps and load failures, and
// the shadow's agreement with the deciding model;
// requests that could not be answered because of the client (aborted,
// malformed, too slow), apart from the database's own failures. One
// registry per app, so tests can build several apps in one process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Category } from '../moderation/categories.js';
import type { Decision } from '../moderation/thresholds.js';

export interface ServiceMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route' | 'status'>;
  decisions: Counter<'decision'>;
  decisionsByCategory: Counter<'decision' | 'category'>;
  databaseUnavailable: Counter;
  /** Requests whose client went away (closed the connection, sent half a body) before the answer. */
  requestsAborted: Counter;
  /** Connections answered (or dropped) before a request could be routed: malformed HTTP, timeouts, resets. */
  clientErrors: Counter<'reason'>;
  /** Issue 13: a new set of models took over (the pointer changed, or was removed). */
  modelSwaps: Counter;
  /** Issue 13: a pointer that could not be read or whose models could not be loaded and verified. */
  modelLoadFailures: Counter;
  /** Issue 13: new posts the shadow scored, by whether it agreed with the deciding model (same decision and category). */
  shadowScored: Counter<'agreement'>;
  /** Counts one answered decision in both decision counters (category null: "none"). */
  countDecision(decision: Decision, category: Category | null): void;
  /** Counts a request and records its latency (label children cached per route/method/status). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

/** One loaded model for mod_model_info. */
export interface LoadedModelInfo {
  version: string;
  role: 'live' | 'shadow' | 'canary';
  source: 'released' | 'bundled';
}

export function createMetrics(options: { modelVersion: string; queueDepth: () => Promise<number>; defaultMetrics?: boolean; models?: () => LoadedModelInfo[] }): ServiceMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'mod_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['method', 'route', 'status'] as const, registers: [registry] });
  const latency = new Histogram({
    name: 'mod_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const decisions = new Counter({ name: 'mod_decisions_total', help: 'Moderation decisions answered, by decision (new posts and repeated ids)', labelNames: ['decision'] as const, registers: [registry] });
  const decisionsByCategory = new Counter({
    name: 'mod_decisions_by_category_total',
    help: 'Moderation decisions answered, by decision and top category ("none" for an approved post), new posts and repeated ids',
    labelNames: ['decision', 'category'] as const,
    registers: [registry],
  });
  const databaseUnavailable = new Counter({ name: 'mod_database_unavailable_total', help: 'Requests answered 503 because the database was unavailable', registers: [registry] });
  const requestsAborted = new Counter({ name: 'mod_http_requests_aborted_total', help: 'Requests whose client closed the connection before the answer (mid-body, or while waiting)', registers: [registry] });
  const clientErrors = new Counter({
    name: 'mod_http_client_errors_total',
    help: 'Connections answered before routing, by reason: malformed (not valid HTTP/1.1), timeout (headers or body too slow), headers_too_large, reset (closed mid-request)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'mod_review_queue_depth',
    help: 'Posts waiting for a human decision (-1 when the database cannot be read)',
    registers: [registry],
    async collect() {
      this.set(await options.queueDepth().catch(() => -1));
    },
  });
  const models = options.models ?? (() => [{ version: options.modelVersion, role: 'live' as const, source: 'bundled' as const }]);
  new Gauge({
    name: 'mod_model_info',
    help: 'The moderation models loaded now (value 1): version, role (live, shadow, canary) and source (released: named by the env pointer; bundled: the build)',
    labelNames: ['version', 'role', 'source'] as const,
    registers: [registry],
    collect() {
      // Read at scrape time: a swap leaves no stale series behind.
      this.reset();
      for (const m of models()) this.set({ version: m.version, role: m.role, source: m.source }, 1);
    },
  });
  const modelSwaps = new Counter({ name: 'mod_model_swaps_total', help: 'Times a new set of models took over without a restart (a new pointer loaded, or the pointer removed)', registers: [registry] });
  const modelLoadFailures = new Counter({
    name: 'mod_model_load_failures_total',
    help: 'Model pointers that could not be read, or whose models could not be loaded and verified (the process kept its models)',
    registers: [registry],
  });
  const shadowScored = new Counter({ name: 'mod_shadow_scored_total', help: 'New posts the shadow model scored, by agreement with the deciding model (agree: same decision and category)', labelNames: ['agreement'] as const, registers: [registry] });
  shadowScored.inc({ agreement: 'agree' }, 0);
  shadowScored.inc({ agreement: 'disagree' }, 0);
  // prom-client hashes the label object on every call; a request's labels
  // take few values, so keep each combination's children.
  const children = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  const observeRequest = (method: string, route: string, status: number, seconds: number): void => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      const labels = { method, route, status: String(status) };
      child = { count: requests.labels(labels), time: latency.labels(labels) };
      children.set(key, child);
    }
    child.count.inc();
    child.time.observe(seconds);
  };
  // Decisions are counted on the hot path too: the same caching, one entry per decision and category.
  const decisionChildren = new Map<string, { total: { inc(): void }; byCategory: { inc(): void } }>();
  const countDecision = (decision: Decision, category: Category | null): void => {
    const named = category ?? 'none';
    const key = `${decision} ${named}`;
    let child = decisionChildren.get(key);
    if (!child) {
      child = { total: decisions.labels({ decision }), byCategory: decisionsByCategory.labels({ decision, category: named }) };
      decisionChildren.set(key, child);
    }
    child.total.inc();
    child.byCategory.inc();
  };
  return { registry, requests, latency, decisions, decisionsByCategory, databaseUnavailable, requestsAborted, clientErrors, modelSwaps, modelLoadFailures, shadowScored, observeRequest, countDecision };
}
