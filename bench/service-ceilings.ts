// The two ceilings issue 19 measures the service against, in the same run:
// (a) a bare Fastify POST route that parses the same body with the same JSON
//     schema and answers a same-shape response serialised with the same
//     response schema, both read from the service's own routes (built by
//     buildApp and captured with an onRoute hook, so they cannot drift), with
//     the service's Ajv options; no scoring, no store, no hooks, no log;
// (b) the store alone: the rows the service would write (the eight texts
//     scored once by the shipped model, each write a new id) through the
//     service's own PostWriter and PostgresStore, by N producers each
//     awaiting its write, as N keep-alive connections each await their
//     answer; no HTTP.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { NewPost } from '../src/store/postgres-store.js';
import type { PostWriter } from '../src/service/post-writer.js';
import { dist } from './service-paths.js';
import { itemFor, TEXTS } from './service-texts.js';

/** The rows the service stores for the eight texts (scored by the shipped model, made storable as the route does). */
export async function templatePosts(): Promise<NewPost[]> {
  const { loadModerator } = (await import(path.join(dist, 'service', 'moderator.js'))) as typeof import('../src/service/moderator.js');
  const { storablePost } = (await import(path.join(dist, 'store', 'postgres-store.js'))) as typeof import('../src/store/postgres-store.js');
  const moderator = await loadModerator();
  return TEXTS.map((_, i) => {
    const item = itemFor(i);
    const r = moderator.moderate({ ...item, id: 'template' });
    return storablePost({
      id: 'template',
      kind: item.kind,
      userId: item.userId,
      text: item.text,
      decision: r.decision,
      category: r.category,
      categories: r.categories,
      score: r.score,
      reasons: r.reasons,
      modelVersion: r.modelVersion,
      ...(r.margin === undefined ? {} : { margin: r.margin }),
    });
  });
}

/** The body and 200-response schemas of the service's POST routes, as buildApp registers them. */
export async function serviceRouteSchemas(): Promise<Map<string, FastifySchema>> {
  const { buildApp } = (await import(path.join(dist, 'service', 'app.js'))) as typeof import('../src/service/app.js');
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used: only the routes are read')) });
  const app = buildApp({ store: unused as never, moderator: { modelVersion: 'none', moderate: () => ({ decision: 'approve', category: null, categories: [], score: 0, reasons: [], modelVersion: 'none' }) } });
  const schemas = new Map<string, FastifySchema>();
  app.addHook('onRoute', (route) => {
    if (route.method === 'POST' && route.schema) schemas.set(route.url, route.schema);
  });
  await app.ready();
  await app.close();
  for (const url of ['/v1/moderate', '/v1/moderate/batch']) if (!schemas.has(url)) throw new Error(`the service has no POST ${url} route with a schema: the ceiling cannot copy it`);
  return schemas;
}

/** Ceiling (a): POST /v1/moderate and /v1/moderate/batch with the service's schemas, answering the stored decisions of the eight texts (fresh id each). */
export async function bareCeiling(): Promise<FastifyInstance> {
  const Fastify = (await import('fastify')).default;
  const schemas = await serviceRouteSchemas();
  const answers = (await templatePosts()).map((p) => ({ id: p.id, decision: p.decision, category: p.category, categories: p.categories, score: p.score, reasons: p.reasons, modelVersion: p.modelVersion }));
  // The service's Ajv options (app.ts): no coercion, no defaults, nothing removed.
  const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } } });
  let n = 0;
  const answer = () => ({ ...answers[n++ % answers.length]!, id: randomUUID() });
  app.post('/v1/moderate', { schema: schemas.get('/v1/moderate')! }, async () => answer());
  app.post('/v1/moderate/batch', { schema: schemas.get('/v1/moderate/batch')! }, async (request) => ({ results: (request.body as { items: unknown[] }).items.map(answer) }));
  return app;
}

export interface StoreRun {
  writes: number;
  seconds: number;
  p50: number;
  p99: number;
}

/** Ceiling (b): `connections` producers, each writing `batch` new posts and awaiting the commit, for `seconds`. */
export async function runStoreCeiling(writer: PostWriter, templates: NewPost[], connections: number, seconds: number, batch: number, id: () => string): Promise<StoreRun> {
  const started = performance.now();
  const until = started + seconds * 1000;
  const latencies: number[] = [];
  let next = 0;
  const producer = async () => {
    while (performance.now() < until) {
      const posts = Array.from({ length: batch }, () => ({ ...templates[next++ % templates.length]!, id: id() }));
      const t = performance.now();
      await writer.write(posts);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: connections }, producer));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return { writes: latencies.length, seconds: (performance.now() - started) / 1000, p50: at(0.5), p99: at(0.99) };
}
