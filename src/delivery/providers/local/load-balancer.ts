// The local stand-in for the ALB: one stable endpoint that balances over the
// registered, healthy instances. Like an ALB target group it health-checks
// each target, stops routing to a target when it is deregistered and lets
// in-flight requests finish (deregistration delay). A request whose
// connection is refused (the target died between checks) is retried on
// another target before any response is sent, so clients see no failure.
//
// Progressive delivery (issue 12): relative weights per target (a canary and
// its baseline get their share, the rest of the fleet the remainder), request
// sampling for the canary judge (group, status, latency and the service's
// decision headers, per request) and blue/green's one-swap traffic switch: a
// target can be registered on standby (health-checked, not routed) and
// switchTo() makes a set of targets the only routed ones at once; the others
// stay registered on standby (the kept fleet of a blue/green deployment,
// already healthy, so switching back is instant) until deregistered.
import http from 'node:http';
import { Readable } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { RequestSample } from '../../canary/canary-types.js';
import type { HttpErrorCode } from '../../../error-codes.js';

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'draining';

export interface TargetHealth {
  id: string;
  url: string;
  state: TargetState;
  inFlight: number;
  lastError?: string;
  checkedAt?: string;
  /** Has passed its health checks since it was registered (or was in service before a host restart): a failure now means it died in service. */
  inService?: boolean;
  /** Consecutive failed checks. */
  failures?: number;
  /** Registered and health-checked but not routed (blue/green: a replacement before the switch, or the kept original fleet after it). */
  standby?: boolean;
}

/** One request the endpoint served while sampling, attributed to the instance's group. */
export type EndpointSample = RequestSample & { instance: string };

export interface LoadBalancerOptions {
  healthPath: string;
  intervalMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  drainMs: number;
  /** Largest request body the endpoint buffers (for safe retries). */
  maxBodyBytes?: number;
}

interface Target extends TargetHealth {
  successes: number;
  failures: number;
}

const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
const DECISIONS = new Set(['approve', 'review', 'reject']);
/** Samples kept between two takeSamples() calls; the oldest are dropped beyond it (bounded memory). */
export const MAX_SAMPLES = 100_000;

export class LoadBalancer {
  private readonly targets = new Map<string, Target>();
  private readonly proxy = createProxyServer({ xfwd: true, proxyTimeout: 30_000 });
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private drained = new Map<string, () => void>();
  /** Relative weights while set: only targets with a weight > 0 get new requests. */
  private weights: Map<string, number> | undefined;
  /** Smooth weighted round-robin state (nginx's): each target's current weight. */
  private readonly current = new Map<string, number>();
  private sampling: { groups: Map<string, RequestSample['group']>; samples: EndpointSample[]; dropped: number } | undefined;

  constructor(private readonly options: LoadBalancerOptions) {
    this.proxy.on('error', () => {
      // Handled per request in forward(); this listener keeps the emitter from throwing.
    });
  }

  start(): void {
    this.timer ??= setInterval(() => void this.checkAll(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.agent.destroy();
    this.proxy.close();
  }

  list(): TargetHealth[] {
    return [...this.targets.values()].map(({ successes: _s, ...health }) => health);
  }

  get(id: string): TargetHealth | undefined {
    return this.list().find((t) => t.id === id);
  }

  /** Registers (or re-registers) a target; it takes traffic once healthy. `inService`: it was serving before (restored after a host restart). */
  register(id: string, url: string, options: { inService?: boolean; standby?: boolean } = {}): TargetHealth {
    const existing = this.targets.get(id);
    const target: Target = { id, url, state: 'initial', inFlight: existing?.inFlight ?? 0, successes: 0, failures: 0, inService: options.inService ?? false };
    if (options.standby) target.standby = true;
    this.targets.set(id, target);
    void this.check(target);
    return target;
  }

  /** Relative weights per target id; targets without one (or 0) get no new requests until clearWeights(). */
  setWeights(weights: Record<string, number>): void {
    const entries = Object.entries(weights).filter(([, w]) => Number.isFinite(w) && w > 0);
    if (entries.length === 0) throw new Error('setWeights needs at least one target with a weight above 0');
    this.weights = new Map(entries);
    this.current.clear();
  }

  /** Back to round-robin over the healthy routed targets. */
  clearWeights(): void {
    this.weights = undefined;
    this.current.clear();
  }

  getWeights(): Record<string, number> | undefined {
    return this.weights ? Object.fromEntries(this.weights) : undefined;
  }

  /** Records every request served by an instance named in `groups` (replacing any sampling in progress). */
  startSampling(groups: Record<string, RequestSample['group']>): void {
    this.sampling = { groups: new Map(Object.entries(groups)), samples: [], dropped: 0 };
  }

  /** The samples recorded since the last call (oldest first), and how many were dropped over the cap. */
  takeSamples(): { samples: EndpointSample[]; dropped: number } {
    if (!this.sampling) return { samples: [], dropped: 0 };
    const { samples, dropped } = this.sampling;
    this.sampling.samples = [];
    this.sampling.dropped = 0;
    return { samples, dropped };
  }

  stopSampling(): void {
    this.sampling = undefined;
  }

  /**
   * Blue/green's swap: registers the given targets (on standby) if they are
   * not, waits until every one is healthy, then in one step makes them the
   * only routed targets; the previously routed ones go on standby (they get
   * no new request, finish their in-flight ones and stay health-checked until
   * deregistered). Rejects, changing nothing, when one is not healthy in time.
   */
  async switchTo(targets: { id: string; url?: string }[], timeoutMs: number): Promise<TargetHealth[]> {
    if (targets.length === 0) throw new Error('switchTraffic needs at least one target');
    for (const { id, url } of targets) {
      const existing = this.targets.get(id);
      if (existing && existing.state !== 'draining' && (!url || existing.url === url)) continue;
      if (!url) throw new Error(`${id} is not registered and no URL was given`);
      this.register(id, url, { standby: true });
    }
    const deadline = Date.now() + timeoutMs;
    const pollMs = Math.max(20, Math.min(100, this.options.intervalMs));
    for (;;) {
      const pending = targets.map(({ id }) => this.targets.get(id)).filter((t) => t?.state !== 'healthy');
      if (pending.length === 0) break;
      const gone = pending.find((t) => t === undefined || t.state === 'draining');
      if (gone !== undefined || Date.now() >= deadline) {
        const t = pending[0];
        throw new Error(`${t ? `${t.id} is ${t.state}${t.lastError ? ` (${t.lastError})` : ''}` : 'a target was deregistered'}: traffic not switched`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      // Probe the pending ones faster than the interval: a switch should not wait a full check period.
      await Promise.all(pending.map((t) => (t && t.state !== 'healthy' ? this.check(t) : undefined)));
    }
    const to = new Set(targets.map((t) => t.id));
    for (const target of this.targets.values()) {
      if (target.state === 'draining') continue;
      if (to.has(target.id)) delete target.standby;
      else target.standby = true;
    }
    this.current.clear();
    return this.list();
  }

  /** Stops routing to a target and resolves when its in-flight requests are done or the drain time is up. */
  async deregister(id: string): Promise<void> {
    const target = this.targets.get(id);
    if (!target) return;
    target.state = 'draining';
    if (target.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.drainMs);
        this.drained.set(id, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.drained.delete(id);
    }
    if (this.targets.get(id) === target) this.targets.delete(id);
  }

  handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    const limit = this.options.maxBodyBytes ?? 10 * 1024 * 1024;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'request body too large for the endpoint');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!res.headersSent) this.forward(req, res, Buffer.concat(chunks), new Set());
    });
  };

  private pick(exclude: Set<string>): Target | undefined {
    if (this.weights) {
      const weighted = this.pickWeighted(exclude);
      if (weighted) return weighted;
      // No weighted target can take it (all tried or gone): serve it from the fleet rather than fail it.
    }
    const all = [...this.targets.values()].filter((t) => t.state !== 'draining' && !t.standby && !exclude.has(t.id));
    const healthy = all.filter((t) => t.state === 'healthy');
    // Like an ALB, fail open when no target is healthy: try the registered ones.
    const pool = healthy.length > 0 ? healthy : all.filter((t) => t.state === 'initial' || t.state === 'unhealthy');
    if (pool.length === 0) return undefined;
    this.cursor = (this.cursor + 1) % pool.length;
    return pool[this.cursor];
  }

  /** Smooth weighted round-robin over the weighted targets (healthy first; fail open to the registered ones). */
  private pickWeighted(exclude: Set<string>): Target | undefined {
    const weights = this.weights!;
    const all = [...this.targets.values()].filter((t) => t.state !== 'draining' && (weights.get(t.id) ?? 0) > 0 && !exclude.has(t.id));
    const healthy = all.filter((t) => t.state === 'healthy');
    const pool = healthy.length > 0 ? healthy : all.filter((t) => t.state === 'initial' || t.state === 'unhealthy');
    if (pool.length === 0) return undefined;
    let total = 0;
    let best: Target | undefined;
    for (const t of pool) {
      const w = weights.get(t.id)!;
      total += w;
      const value = (this.current.get(t.id) ?? 0) + w;
      this.current.set(t.id, value);
      if (!best || value > this.current.get(best.id)!) best = t;
    }
    this.current.set(best!.id, this.current.get(best!.id)! - total);
    return best;
  }

  private record(target: Target, res: http.ServerResponse, startedAt: number, status: number): void {
    const group = this.sampling?.groups.get(target.id);
    if (!group || !this.sampling) return;
    const sample: EndpointSample = { instance: target.id, group, status, latencyMs: Math.round((performance.now() - startedAt) * 100) / 100, at: Date.now() };
    const decision = headerValue(res.getHeader('x-mod-decision'))?.toLowerCase();
    if (decision && DECISIONS.has(decision)) sample.decision = decision as EndpointSample['decision'];
    const category = headerValue(res.getHeader('x-mod-category'));
    if (category) sample.category = category;
    const samples = this.sampling.samples;
    if (samples.length >= MAX_SAMPLES) {
      const drop = Math.ceil(MAX_SAMPLES / 10);
      samples.splice(0, drop);
      this.sampling.dropped += drop;
    }
    samples.push(sample);
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, tried: Set<string>): void {
    const target = this.pick(tried);
    if (!target) {
      sendError(res, 503, 'NO_HEALTHY_TARGET', 'no healthy instance is registered with this endpoint');
      return;
    }
    tried.add(target.id);
    target.inFlight++;
    let released = false;
    let retried = false;
    let failed = false;
    const startedAt = performance.now();
    const release = () => {
      if (released) return;
      released = true;
      target.inFlight--;
      if (target.inFlight === 0) this.drained.get(target.id)?.();
    };
    res.setHeader('x-mod-instance', target.id);
    res.once('close', () => {
      release();
      // Sampled once, for the attempt that answered: a refused attempt retried elsewhere is not this instance's answer;
      // a client that left before the answer measured nothing; an answer cut short is this instance's 502.
      if (this.sampling && !retried && (res.writableFinished || failed)) this.record(target, res, startedAt, res.writableFinished && !failed ? res.statusCode : 502);
    });
    this.proxy.web(req, res, { target: target.url, agent: this.agent, buffer: Readable.from([body]) }, (error: NodeJS.ErrnoException) => {
      release();
      if (!res.headersSent && RETRYABLE.has(error.code ?? '') && tried.size < this.targets.size + 1) {
        if (error.code === 'ECONNREFUSED') this.markFailure(target, error.message);
        retried = true;
        this.forward(req, res, body, tried);
        return;
      }
      failed = true;
      if (!res.headersSent) sendError(res, 502, 'BAD_GATEWAY', `instance ${target.id} failed: ${error.code ?? error.message}`);
      else res.destroy();
    });
  }

  private async checkAll(): Promise<void> {
    await Promise.all([...this.targets.values()].map((t) => this.check(t)));
  }

  private async check(target: Target): Promise<void> {
    if (target.state === 'draining') return;
    const ok = await probe(`${target.url}${this.options.healthPath}`, Math.max(500, Math.min(this.options.intervalMs, 5000)));
    if (this.targets.get(target.id) !== target || (target.state as TargetState) === 'draining') return;
    target.checkedAt = new Date().toISOString();
    if (ok === true) {
      target.failures = 0;
      target.successes++;
      target.lastError = undefined;
      if (target.successes >= this.options.healthyThreshold) {
        target.state = 'healthy';
        target.inService = true;
      }
    } else {
      this.markFailure(target, ok);
    }
  }

  private markFailure(target: Target, reason: string): void {
    target.successes = 0;
    target.failures++;
    target.lastError = reason;
    if (target.failures >= this.options.unhealthyThreshold && target.state !== 'draining') target.state = 'unhealthy';
  }
}

function headerValue(value: number | string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined ? undefined : String(v).trim() || undefined;
}

function probe(url: string, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? true : `health check returned HTTP ${status}`);
    });
    req.on('timeout', () => req.destroy(new Error(`health check timed out after ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function sendError(res: http.ServerResponse, status: number, code: HttpErrorCode, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...(status === 503 ? { 'retry-after': '1' } : {}) });
  res.end(JSON.stringify({ error: { code, message } }));
}
