// The local stand-in for the ALB: one stable endpoint that balances over the
// registered, healthy instances. Like an ALB target group it health-checks
// each target, stops routing to a target when it is deregistered and lets
// in-flight requests finish (deregistration delay). A request whose
// connection is refused (the target died between checks) is retried on
// another target before any response is sent, so clients see no failure.
import http from 'node:http';
import { Readable } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
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
}

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

export class LoadBalancer {
  private readonly targets = new Map<string, Target>();
  private readonly proxy = createProxyServer({ xfwd: true, proxyTimeout: 30_000 });
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private drained = new Map<string, () => void>();

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
  register(id: string, url: string, options: { inService?: boolean } = {}): TargetHealth {
    const existing = this.targets.get(id);
    const target: Target = { id, url, state: 'initial', inFlight: existing?.inFlight ?? 0, successes: 0, failures: 0, inService: options.inService ?? false };
    this.targets.set(id, target);
    void this.check(target);
    return target;
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
    const all = [...this.targets.values()].filter((t) => t.state !== 'draining' && !exclude.has(t.id));
    const healthy = all.filter((t) => t.state === 'healthy');
    // Like an ALB, fail open when no target is healthy: try the registered ones.
    const pool = healthy.length > 0 ? healthy : all.filter((t) => t.state === 'initial' || t.state === 'unhealthy');
    if (pool.length === 0) return undefined;
    this.cursor = (this.cursor + 1) % pool.length;
    return pool[this.cursor];
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
    const release = () => {
      if (released) return;
      released = true;
      target.inFlight--;
      if (target.inFlight === 0) this.drained.get(target.id)?.();
    };
    res.setHeader('x-mod-instance', target.id);
    res.once('close', release);
    this.proxy.web(req, res, { target: target.url, agent: this.agent, buffer: Readable.from([body]) }, (error: NodeJS.ErrnoException) => {
      release();
      if (!res.headersSent && RETRYABLE.has(error.code ?? '') && tried.size < this.targets.size + 1) {
        if (error.code === 'ECONNREFUSED') this.markFailure(target, error.message);
        this.forward(req, res, body, tried);
        return;
      }
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
