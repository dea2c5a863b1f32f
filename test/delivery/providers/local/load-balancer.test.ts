// The local ALB stand-in with real HTTP servers on loopback.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadBalancer } from '../../../../src/delivery/providers/local/load-balancer.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function target(name: string, delayMs = 0) {
  return listen((req, res) => {
    setTimeout(
      () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(req.url === '/healthz' ? 'ok' : name);
      },
      req.url === '/healthz' ? 0 : delayMs,
    );
  });
}

async function endpointFor(lb: LoadBalancer): Promise<string> {
  return (await listen(lb.handle)).url;
}

async function waitHealthy(lb: LoadBalancer, id: string): Promise<void> {
  for (let i = 0; i < 100 && lb.get(id)?.state !== 'healthy'; i++) await new Promise((r) => setTimeout(r, 20));
  expect(lb.get(id)?.state).toBe('healthy');
}

const options = { healthPath: '/healthz', intervalMs: 50, healthyThreshold: 1, unhealthyThreshold: 1, drainMs: 5000 };

describe('LoadBalancer', () => {
  it('balances over healthy targets and answers 503 with Retry-After when there are none', async () => {
    const lb = new LoadBalancer(options);
    lb.start();
    const endpoint = await endpointFor(lb);
    const empty = await fetch(endpoint);
    expect(empty.status).toBe(503);
    expect(empty.headers.get('retry-after')).toBe('1');
    expect(await empty.json()).toMatchObject({ error: { code: 'NO_HEALTHY_TARGET' } });

    const a = await target('a');
    const b = await target('b');
    lb.register('a', a.url);
    lb.register('b', b.url);
    await waitHealthy(lb, 'a');
    await waitHealthy(lb, 'b');
    const bodies = await Promise.all([1, 2, 3, 4].map(async () => (await fetch(endpoint)).text()));
    expect(new Set(bodies)).toEqual(new Set(['a', 'b']));
    lb.stop();
  });

  it('stops routing to a deregistered target and lets its in-flight request finish first', async () => {
    const lb = new LoadBalancer(options);
    let responded = false;
    const slow = await listen((req, res) => {
      if (req.url === '/healthz') return res.end('ok');
      setTimeout(() => {
        responded = true;
        res.end('slow');
      }, 400);
    });
    lb.register('slow', slow.url);
    await waitHealthy(lb, 'slow');
    const endpoint = await endpointFor(lb);
    const inFlight = fetch(endpoint).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 100));
    expect(responded).toBe(false);
    await lb.deregister('slow');
    // deregister resolved only after the in-flight request was answered
    expect(responded).toBe(true);
    expect(await inFlight).toBe('slow');
    expect(lb.get('slow')).toBeUndefined();
    expect((await fetch(endpoint)).status).toBe(503);
    lb.stop();
  });

  it('retries a refused connection on another target, so a crashed instance costs no request', async () => {
    const lb = new LoadBalancer({ ...options, intervalMs: 60_000 });
    const alive = await target('alive');
    const dead = await target('dead');
    lb.register('alive', alive.url);
    lb.register('dead', dead.url);
    await waitHealthy(lb, 'alive');
    await waitHealthy(lb, 'dead');
    await new Promise((resolve) => dead.server.close(resolve));
    const endpoint = await endpointFor(lb);
    const bodies = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async () => {
        const r = await fetch(endpoint, { method: 'POST', body: JSON.stringify({ text: 'x' }), headers: { 'content-type': 'application/json' } });
        return `${r.status} ${await r.text()}`;
      }),
    );
    expect(bodies).toEqual(Array(6).fill('200 alive'));
    expect(lb.get('dead')?.state).toBe('unhealthy');
    lb.stop();
  });
  it('issue 17.3: marks a target in service once it passed its checks, so a later failure means it died serving (the host restarts it)', async () => {
    const lb = new LoadBalancer(options);
    lb.start();
    const never = await listen((_req, res) => {
      res.writeHead(500);
      res.end();
    });
    lb.register('never', never.url);
    const a = await target('a');
    lb.register('a', a.url);
    await waitHealthy(lb, 'a');
    for (let i = 0; i < 100 && lb.get('never')?.state !== 'unhealthy'; i++) await new Promise((r) => setTimeout(r, 20));
    // A new revision that never came up is not "in service": its deployment fails instead.
    expect(lb.get('never')).toMatchObject({ state: 'unhealthy', inService: false });
    expect(lb.get('a')).toMatchObject({ state: 'healthy', inService: true });
    const closed = new Promise((resolve) => a.server.close(resolve));
    a.server.closeAllConnections();
    await closed;
    for (let i = 0; i < 100 && lb.get('a')?.state !== 'unhealthy'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(lb.get('a')).toMatchObject({ state: 'unhealthy', inService: true, lastError: 'ECONNREFUSED' });
    expect(lb.get('a')!.failures).toBeGreaterThanOrEqual(1);
    // Restored after a host restart: it was serving before.
    expect(lb.register('b', a.url, { inService: true })).toMatchObject({ state: 'initial', inService: true });
    lb.stop();
  });
});
