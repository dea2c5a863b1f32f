// /healthz says which build of which commit the process runs (issue 17 item
// 7): the commit it was deployed as and its tree, the commit its bundle was
// built from (another one when a bundle is reused for a commit of the same
// tree) and the deployment, read from revision.json and the deployer's variables.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/service/metrics.js';
import { healthRoutes, serviceRevision } from '../../../src/service/routes/health.js';

async function healthz(revision: ReturnType<typeof serviceRevision> | undefined): Promise<Record<string, unknown>> {
  const app = Fastify();
  const store = { migrationStatus: async () => ({ current: true, pending: [], changed: [] }) };
  const metrics = createMetrics({ modelVersion: 'v1', queueDepth: async () => 0, defaultMetrics: false });
  await app.register(healthRoutes, { store, moderator: { modelVersion: 'v1' }, metrics, revision, readinessTimeoutMs: 500, retryAfter: '1' });
  const response = await app.inject({ method: 'GET', url: '/healthz' });
  await app.close();
  expect(response.statusCode).toBe(200);
  // The model field (issue 13) is checked in test/service/model-swap.test.ts: here, the revision fields.
  const { model, ...rest } = response.json<Record<string, unknown>>();
  expect(model).toMatchObject({ version: 'v1', source: 'bundled', releaseId: null });
  return rest;
}

describe('/healthz revision', () => {
  it('issue 17.7: a reused bundle says the deployed commit and tree, and the commit it was built from', async () => {
    const revision = serviceRevision({ commit: 'aaaa1111', builtAt: '2026-12-01T00:00:00Z' }, { MOD_REVISION_COMMIT: 'bbbb2222', MOD_REVISION_TREE: 'tree3333', DEPLOYMENT_ID: 'd-1' });
    expect(await healthz(revision)).toEqual({ status: 'ok', revision: 'bbbb2222', commit: 'bbbb2222', tree: 'tree3333', builtFrom: 'aaaa1111', deploymentId: 'd-1' });
  });

  it('without the deployer variables (EC2 under systemd) the commit is the one the bundle was built from', async () => {
    const revision = serviceRevision({ commit: 'aaaa1111', tree: 'tree3333' }, {});
    expect(await healthz(revision)).toEqual({ status: 'ok', revision: 'aaaa1111', commit: 'aaaa1111', tree: 'tree3333', builtFrom: 'aaaa1111', deploymentId: null });
  });

  it('a process with no revision.json says null for each', async () => {
    expect(await healthz(serviceRevision(undefined, { MOD_REVISION_COMMIT: '' }))).toEqual({ status: 'ok', revision: null, commit: null, tree: null, builtFrom: null, deploymentId: null });
    expect(await healthz(undefined)).toMatchObject({ revision: null, commit: null });
  });
});
