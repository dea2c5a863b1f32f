// uPlot for the dashboard is served from the installed package under the
// console's prefix: the same bytes as node_modules/uplot/dist, as JavaScript
// and CSS (nosniff is on, so the type must be right), and nothing else of
// the package.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uplotDistDir, vendorAssetRoutes } from '../../../src/service/console/vendor-assets.js';

describe('console vendor assets', () => {
  const app = Fastify();
  beforeAll(async () => {
    await app.register(vendorAssetRoutes, { prefix: '/console' });
    await app.ready();
  });
  afterAll(() => app.close());

  it.each([
    ['/console/assets/vendor/uplot.esm.js', 'uPlot.esm.js', 'text/javascript; charset=utf-8'],
    ['/console/assets/vendor/uplot.min.css', 'uPlot.min.css', 'text/css; charset=utf-8'],
  ])('GET %s answers %s', async (url, file, type) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.rawPayload.equals(await readFile(path.join(uplotDistDir(), file)))).toBe(true);
  });

  it('serves no other file of the package', async () => {
    for (const url of ['/console/assets/vendor/uPlot.cjs.js', '/console/assets/vendor/../package.json', '/console/assets/vendor/uplot.d.ts']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });
});
