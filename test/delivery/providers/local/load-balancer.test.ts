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

  it('issue 12.2: relative weights send each target its share, none to a target without a weight, and clearWeights returns to round-robin', async () => {
    const lb = new LoadBalancer(options);
    lb.start();
    const endpoint = await endpointFor(lb);
    for (const name of ['fleet', 'baseline', 'canary']) {
      lb.register(name, (await target(name)).url);
      await waitHealthy(lb, name);
    }
    lb.setWeights({ fleet: 50, baseline: 25, canary: 25 });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const body = await (await fetch(endpoint)).text();
      counts[body] = (counts[body] ?? 0) + 1;
    }
    expect(counts).toEqual({ fleet: 20, baseline: 10, canary: 10 });

    lb.setWeights({ canary: 1 });
    const only = await Promise.all([1, 2, 3, 4, 5].map(async () => (await fetch(endpoint)).text()));
    expect(only).toEqual(Array(5).fill('canary'));
    expect(() => lb.setWeights({ canary: 0 })).toThrow(/above 0/);

    lb.clearWeights();
    const bodies = await Promise.all([1, 2, 3, 4, 5, 6].map(async () => (await fetch(endpoint)).text()));
    expect(new Set(bodies)).toEqual(new Set(['fleet', 'baseline', 'canary']));
    lb.stop();
  });

  it('issue 12.2: a weighted target that refuses connections costs no request: it is retried on the fleet', async () => {
    const lb = new LoadBalancer({ ...options, intervalMs: 60_000 });
    const fleet = await target('fleet');
    const canary = await target('canary');
    lb.register('fleet', fleet.url);
    lb.register('canary', canary.url);
    await waitHealthy(lb, 'fleet');
    await waitHealthy(lb, 'canary');
    await new Promise((resolve) => canary.server.close(resolve));
    lb.setWeights({ canary: 1 });
    const endpoint = await endpointFor(lb);
    const bodies = await Promise.all([1, 2, 3].map(async () => `${(await fetch(endpoint)).status}`));
    expect(bodies).toEqual(['200', '200', '200']);
    lb.stop();
  });

  it('issue 12.2: samples each request served by a sampled instance: group, status, latency, the decision and category headers', async () => {
    const lb = new LoadBalancer(options);
    lb.start();
    const endpoint = await endpointFor(lb);
    const service = (name: string, decision: string, status: number) =>
      listen((req, res) => {
        if (req.url === '/healthz') return res.end('ok');
        const headers: Record<string, string> = { 'x-mod-decision': decision };
        if (decision === 'reject') headers['x-mod-category'] = 'scam';
        setTimeout(() => {
          res.writeHead(req.url === '/missing' ? 404 : status, headers);
          res.end(name);
        }, 5);
      });
    lb.register('baseline', (await service('baseline', 'approve', 200)).url);
    lb.register('canary', (await service('canary', 'reject', 200)).url);
    lb.register('other', (await target('other')).url);
    for (const id of ['baseline', 'canary', 'other']) await waitHealthy(lb, id);

    // Not sampling yet: nothing recorded.
    await fetch(endpoint);
    expect(lb.takeSamples().samples).toEqual([]);

    lb.startSampling({ baseline: 'baseline', canary: 'canary' });
    lb.setWeights({ baseline: 1, canary: 1, other: 1 });
    const before = Date.now();
    for (let i = 0; i < 6; i++) await (await fetch(endpoint, { method: 'POST', body: '{}' })).text();
    await (await fetch(`${endpoint}/missing`)).text();
    await new Promise((r) => setTimeout(r, 20));
    const { samples, dropped } = lb.takeSamples();
    expect(dropped).toBe(0);
    // 'other' is not sampled: 2 of the 6 POSTs went there; the GET /missing went to one of the sampled ones or other.
    const byGroup = (g: string) => samples.filter((s) => s.group === g && s.status === 200);
    expect(byGroup('baseline')).toHaveLength(2);
    expect(byGroup('canary')).toHaveLength(2);
    expect(byGroup('baseline')[0]).toMatchObject({ instance: 'baseline', group: 'baseline', status: 200, decision: 'approve' });
    expect(byGroup('baseline')[0]!.category).toBeUndefined();
    expect(byGroup('canary')[0]).toMatchObject({ instance: 'canary', group: 'canary', status: 200, decision: 'reject', category: 'scam' });
    for (const s of samples) {
      expect(s.latencyMs).toBeGreaterThan(0);
      expect(s.at).toBeGreaterThanOrEqual(before);
    }
    expect(samples.every((s) => s.instance !== 'other')).toBe(true);
    // takeSamples drains; stopSampling stops recording.
    expect(lb.takeSamples().samples).toEqual([]);
    lb.stopSampling();
    await (await fetch(endpoint)).text();
    expect(lb.takeSamples().samples).toEqual([]);
    lb.stop();
  });

  it('issue 12.2: an instance answering 500 is sampled as its 500; a refused attempt retried elsewhere is not sampled', async () => {
    const lb = new LoadBalancer({ ...options, intervalMs: 60_000 });
    const broken = await listen((req, res) => {
      if (req.url === '/healthz') return res.end('ok');
      res.writeHead(500);
      res.end('boom');
    });
    const refused = await target('refused');
    lb.register('broken', broken.url);
    lb.register('refused', refused.url);
    lb.register('fine', (await target('fine')).url);
    for (const id of ['broken', 'refused', 'fine']) await waitHealthy(lb, id);
    await new Promise((resolve) => refused.server.close(resolve));
    lb.startSampling({ broken: 'canary', refused: 'canary', fine: 'baseline' });
    lb.setWeights({ broken: 1 });
    const endpoint = await endpointFor(lb);
    expect((await fetch(endpoint)).status).toBe(500);
    lb.setWeights({ refused: 1 });
    expect(await (await fetch(endpoint)).text()).toBe('fine');
    await new Promise((r) => setTimeout(r, 20));
    const { samples } = lb.takeSamples();
    expect(samples.map((s) => `${s.instance} ${s.status}`)).toEqual(['broken 500', 'fine 200']);
    lb.stop();
  });

  it('issue 12.1: switchTo registers the new fleet on standby, waits until it is healthy, then swaps all traffic at once; the old fleet stays on standby and switching back is immediate', async () => {
    const lb = new LoadBalancer({ ...options, intervalMs: 60_000, healthyThreshold: 2 });
    const endpoint = await endpointFor(lb);
    const blue1 = await target('blue');
    const blue2 = await target('blue');
    lb.register('blue-1', blue1.url);
    lb.register('blue-2', blue2.url);
    // The long interval: only switchTo's own probing makes them healthy.
    await lb.switchTo([{ id: 'blue-1' }, { id: 'blue-2' }], 5000);
    expect(await (await fetch(endpoint)).text()).toBe('blue');

    let greenReady = false;
    const green = await listen((req, res) => {
      if (req.url === '/healthz') {
        res.writeHead(greenReady ? 200 : 503);
        return res.end();
      }
      res.end('green');
    });
    // Unknown target without a URL: refused, nothing changes.
    await expect(lb.switchTo([{ id: 'green-1' }], 1000)).rejects.toThrow(/not registered/);
    // Not healthy in time: refused, the blue fleet keeps serving, green stays on standby.
    await expect(lb.switchTo([{ id: 'green-1', url: green.url }], 300)).rejects.toThrow(/green-1 is (initial|unhealthy).*not switched/);
    expect(lb.get('green-1')).toMatchObject({ standby: true });
    expect(await (await fetch(endpoint)).text()).toBe('blue');

    // Requests keep flowing during the switch; every one is answered by one fleet or the other.
    greenReady = true;
    let running = true;
    const answers: string[] = [];
    const load = (async () => {
      while (running) answers.push(`${(await fetch(endpoint)).status} ${await (await fetch(endpoint)).text()}`);
    })();
    await lb.switchTo([{ id: 'green-1', url: green.url }], 5000);
    const after = await Promise.all([1, 2, 3, 4].map(async () => (await fetch(endpoint)).text()));
    running = false;
    await load;
    expect(after).toEqual(Array(4).fill('green'));
    expect(answers.every((a) => a === '200 blue' || a === '200 green')).toBe(true);
    expect(lb.get('blue-1')).toMatchObject({ standby: true, state: 'healthy' });
    expect(lb.get('green-1')?.standby).toBeUndefined();

    // Back to the kept fleet: already healthy, one swap.
    await lb.switchTo([{ id: 'blue-1' }, { id: 'blue-2' }], 1000);
    expect(await Promise.all([1, 2, 3].map(async () => (await fetch(endpoint)).text()))).toEqual(['blue', 'blue', 'blue']);
    await lb.deregister('green-1');
    expect(lb.get('green-1')).toBeUndefined();
    lb.stop();
  });
});
