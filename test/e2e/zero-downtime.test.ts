// Requests sent continuously through the environment's endpoint during a
// rolling deploy of 2 instances must all succeed: the endpoint deregisters an
// instance (and drains it) before its ApplicationStop, and routes to it again
// only after it passes the health check.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureApp, postModerate } from '../support/fixture-app.js';

describe('rolling deploy under load', () => {
  let app: FixtureApp;
  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 2, rollout: 'OneAtATime' });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  it('serves every request while both instances are replaced', async () => {
    const first = await app.json<{ endpoint: string; status: string }>(['deploy', '--env', 'stage']);
    expect(first.body.status).toBe('Succeeded');
    const endpoint = first.body.endpoint;
    await app.write('VERSION', 'v2\n');
    await app.commit('v2');

    const seen = { ok: 0, failed: [] as string[], versions: new Set<string>(), instances: new Set<string>() };
    let running = true;
    const worker = async () => {
      while (running) {
        try {
          const r = await postModerate(endpoint, 'continuous');
          if (r.status === 200) {
            seen.ok++;
            seen.versions.add(String(r.body.modelVersion));
            if (r.instance) seen.instances.add(r.instance);
          } else seen.failed.push(`HTTP ${r.status}`);
        } catch (error) {
          seen.failed.push(String((error as Error).cause ?? error));
        }
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    const deploy = await app.json<{ status: string }>(['deploy', '--env', 'stage']);
    // Keep the load on briefly after the deploy to catch a late drop.
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    await Promise.all(workers);

    expect(deploy.body.status).toBe('Succeeded');
    expect(seen.failed).toEqual([]);
    expect(seen.ok).toBeGreaterThan(50);
    expect([...seen.versions].sort()).toEqual(['v1', 'v2']);
    expect([...seen.instances].sort()).toEqual(['i-local-1', 'i-local-2']);
  });
});
