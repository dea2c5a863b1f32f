// Issue 13: the local provider keeps an env's released models in its state
// directory and hands the pointer to its instances. Real files (the repo's
// bundled model as the artifact), real HTTP on loopback for what each
// instance says it decides with.
import { createServer, type Server } from 'node:http';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema, resolveEnvironment } from '../../../../src/delivery/config.js';
import type { DeploymentRecord } from '../../../../src/delivery/deployment.js';
import type { HostInfo } from '../../../../src/delivery/providers/local/environment-host.js';
import { HostClient } from '../../../../src/delivery/providers/local/host-client.js';
import { ensureInstances } from '../../../../src/delivery/providers/local/local-instances.js';
import { LocalModelStore } from '../../../../src/delivery/providers/local/local-model-store.js';
import { runningRevisionOf } from '../../../../src/delivery/providers/local/local-status.js';
import { environmentVariables, writeServiceEnv } from '../../../../src/delivery/providers/local/service-env.js';
import { StatePaths } from '../../../../src/delivery/state-paths.js';
import { ModError } from '../../../../src/errors.js';
import { parseModelPointer, type ModelPointer, type ServiceModelState } from '../../../../src/moderation/model-pointer.js';

const BUNDLED = path.resolve('models/default');
const env = resolveEnvironment(ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage', variables: { MODEL_SOURCE: 'file:/elsewhere.json', LOG_LEVEL: 'warn' } } } }), 'stage');

let dir: string;
let paths: StatePaths;
let warnings: string[];
let store: LocalModelStore;
const servers: Server[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mod-local-models-'));
  paths = new StatePaths(path.join(dir, '.mod'));
  warnings = [];
  store = new LocalModelStore(paths, (message) => warnings.push(message));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await rm(dir, { recursive: true, force: true });
});

async function bundledManifest(): Promise<{ version: string; checksum: string }> {
  const manifest = JSON.parse(await readFile(path.join(BUNDLED, 'manifest.json'), 'utf8')) as { version: string; checksum: { value: string } };
  return { version: manifest.version, checksum: manifest.checksum.value };
}

/** A small artifact-shaped directory (publish copies, it does not evaluate): its manifest names `checksum`. */
async function artifact(name: string, version: string, checksum: string): Promise<string> {
  const out = path.join(dir, name);
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'manifest.json'), JSON.stringify({ version, checksum: { algorithm: 'sha256', value: checksum }, weights: { file: 'weights.f32.gz' } }));
  await writeFile(path.join(out, 'weights.f32.gz'), `weights of ${name}`);
  return out;
}

function pointer(version: string, releaseId: string, location = '/models/x'): ModelPointer {
  return { schemaVersion: 1, environment: 'stage', releaseId, updatedAt: new Date().toISOString(), live: { version, checksum: 'a'.repeat(64), location } };
}

function release(deploymentId: string, startedAt: string, version = 'v1'): DeploymentRecord {
  return {
    deploymentId,
    environment: 'stage',
    kind: 'model',
    status: 'Succeeded',
    startedAt,
    model: { action: 'release', version, checksum: 'a'.repeat(64), location: '/m', dataFingerprint: 'sha256:x', previous: null },
  } as unknown as DeploymentRecord;
}

describe('LocalModelStore.publish (issue 13)', () => {
  it('a published copy whose bytes changed since (corrupt) is not reused: publishing again replaces it with the source', async () => {
    const source = await artifact('src', 'v1', 'c'.repeat(64));
    const ref = await store.publish(env, source, { version: 'v1', checksum: 'c'.repeat(64) });
    await writeFile(path.join(ref.location, 'weights.f32.gz'), 'corrupt');
    expect((await store.publish(env, source, { version: 'v1', checksum: 'c'.repeat(64) })).location).toBe(ref.location);
    expect(await readFile(path.join(ref.location, 'weights.f32.gz'), 'utf8')).toBe('weights of src');
  });

  it('issue 13: copies the artifact into the env state as <version>-<12 of the checksum>, and the copy is what the ref names', async () => {
    const manifest = await bundledManifest();
    const ref = await store.publish(env, BUNDLED, manifest);
    expect(ref).toEqual({ version: manifest.version, checksum: manifest.checksum, location: path.resolve(paths.models('stage'), `${manifest.version}-${manifest.checksum.slice(0, 12)}`) });
    expect(path.isAbsolute(ref.location)).toBe(true);
    expect((await readdir(ref.location)).sort()).toEqual(['manifest.json', 'weights.f32.gz']);
    expect((await readFile(path.join(ref.location, 'weights.f32.gz'))).equals(await readFile(path.join(BUNDLED, 'weights.f32.gz')))).toBe(true);
    expect(await store.fetch(env, ref)).toBe(ref.location);
    // No staging directory is left beside it.
    expect(await readdir(paths.models('stage'))).toEqual([path.basename(ref.location)]);
  });

  it('issue 13: the same version and checksum again is the existing ref, without a copy', async () => {
    const source = path.join(dir, 'artifact');
    await cp(BUNDLED, source, { recursive: true });
    const manifest = await bundledManifest();
    const first = await store.publish(env, source, manifest);
    const before = await stat(path.join(first.location, 'weights.f32.gz'));
    // The source is gone: a second publish that copied would fail.
    await rm(source, { recursive: true });
    const second = await store.publish(env, source, manifest);
    expect(second).toEqual(first);
    expect((await stat(path.join(first.location, 'weights.f32.gz'))).mtimeMs).toBe(before.mtimeMs);
  });

  it('issue 13: another checksum under the same version is another directory; the first is kept', async () => {
    const a = await store.publish(env, await artifact('a', 'v1', 'a'.repeat(64)), { version: 'v1', checksum: 'a'.repeat(64) });
    const b = await store.publish(env, await artifact('b', 'v1', 'b'.repeat(64)), { version: 'v1', checksum: 'b'.repeat(64) });
    expect(a.location).not.toBe(b.location);
    expect((await readdir(paths.models('stage'))).sort()).toEqual(['v1-aaaaaaaaaaaa', 'v1-bbbbbbbbbbbb']);
    expect(await readFile(path.join(a.location, 'weights.f32.gz'), 'utf8')).toBe('weights of a');
    expect(await readFile(path.join(b.location, 'weights.f32.gz'), 'utf8')).toBe('weights of b');
  });

  it('issue 13: an incomplete artifact is refused and nothing is published (no half copy)', async () => {
    const source = await artifact('broken', 'v2', 'c'.repeat(64));
    await rm(path.join(source, 'weights.f32.gz'));
    const error = await store.publish(env, source, { version: 'v2', checksum: 'c'.repeat(64) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModError);
    expect((error as ModError).code).toBe('MODEL_ARTIFACT_INVALID');
    expect((error as Error).message).toMatch(/weights\.f32\.gz is missing/);
    expect(await readdir(paths.models('stage')).catch(() => [])).toEqual([]);
  });

  it('issue 13: a staging directory left by a copy that died is not a published model', async () => {
    const source = await artifact('ok', 'v3', 'd'.repeat(64));
    await mkdir(path.join(paths.models('stage'), '.tmp-v3-dddddddddddd-999-dead'), { recursive: true });
    const ref = await store.publish(env, source, { version: 'v3', checksum: 'd'.repeat(64) });
    expect((await readdir(ref.location)).sort()).toEqual(['manifest.json', 'weights.f32.gz']);
  });

  it('issue 13: an artifact whose manifest names another checksum, or a version that cannot name a directory, is refused', async () => {
    const source = await artifact('other', 'v4', 'e'.repeat(64));
    await expect(store.publish(env, source, { version: 'v4', checksum: 'f'.repeat(64) })).rejects.toThrow(/checksum eeeeeeeeeeee is not the one released/);
    await expect(store.publish(env, source, { version: '../v4', checksum: 'e'.repeat(64) })).rejects.toThrow(/cannot name a directory/);
    await expect(store.publish(env, path.join(dir, 'nothing'), { version: 'v4', checksum: 'e'.repeat(64) })).rejects.toThrow(/no manifest\.json here/);
  });
});

describe('LocalModelStore pointer (issue 13)', () => {
  it('issue 13: absent before any release; written, read back, cleared', async () => {
    expect(await store.readPointer(env)).toBeNull();
    const written = pointer('v1', 'm-20261202T060000Z-aaaaaa');
    await store.writePointer(env, written);
    expect(await store.readPointer(env)).toEqual(written);
    expect(parseModelPointer(JSON.parse(await readFile(paths.modelPointer('stage'), 'utf8')))).toEqual(written);
    await store.clearPointer(env);
    expect(await store.readPointer(env)).toBeNull();
    await store.clearPointer(env);
  });

  it('issue 13: a reader polling the file while it is replaced reads the old or the new pointer, never half', async () => {
    await store.writePointer(env, pointer('v0', 'm-0', `/models/${'x'.repeat(4000)}`));
    let done = false;
    const seen = new Set<string>();
    const reader = (async () => {
      let reads = 0;
      while (!done || reads < 50) {
        const text = await readFile(paths.modelPointer('stage'), 'utf8');
        seen.add(parseModelPointer(JSON.parse(text)).live.version);
        reads++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let i = 1; i <= 40; i++) await store.writePointer(env, pointer(`v${i}`, `m-${i}`, `/models/${String(i).repeat(4000 + i)}`));
    done = true;
    await reader;
    expect(seen.size).toBeGreaterThan(0);
    for (const version of seen) expect(version).toMatch(/^v\d+$/);
    expect((await store.readPointer(env))?.live.version).toBe('v40');
    // Only the pointer file: no temp file is left beside it.
    expect((await readdir(path.dirname(paths.modelPointer('stage')))).filter((f) => f.startsWith('pointer'))).toEqual(['pointer.json']);
  });

  it('issue 13: an invalid pointer is never written, and one edited by hand is reported with what to do', async () => {
    await store.writePointer(env, pointer('v1', 'm-1'));
    await expect(store.writePointer(env, { ...pointer('v2', 'm-2'), schemaVersion: 2 } as unknown as ModelPointer)).rejects.toThrow(/schemaVersion/);
    expect((await store.readPointer(env))?.live.version).toBe('v1');
    await writeFile(paths.modelPointer('stage'), '{"schemaVersion": 1, "live": ');
    const error = (await store.readPointer(env).catch((e: unknown) => e)) as ModError;
    expect(error).toBeInstanceOf(ModError);
    expect(error.message).toContain(paths.modelPointer('stage'));
    expect(error.code).toBe('MODEL_POINTER_INVALID');
    expect(error.hint).toMatch(/mod model rollback --env stage --to bundled/);
  });
});

describe('LocalModelStore release records (issue 13)', () => {
  it('issue 13: newest first, limited, replaced by id', async () => {
    await store.saveRelease(env, release('m-20261202T060100Z-bbbbbb', '2026-12-02T06:01:00.000Z'));
    await store.saveRelease(env, release('m-20261202T060300Z-dddddd', '2026-12-02T06:03:00.000Z'));
    await store.saveRelease(env, release('m-20261202T060000Z-aaaaaa', '2026-12-02T06:00:00.000Z'));
    await store.saveRelease(env, release('m-20261202T060200Z-cccccc', '2026-12-02T06:02:00.000Z'));
    expect((await store.releases(env)).map((r) => r.deploymentId)).toEqual(['m-20261202T060300Z-dddddd', 'm-20261202T060200Z-cccccc', 'm-20261202T060100Z-bbbbbb', 'm-20261202T060000Z-aaaaaa']);
    expect((await store.releases(env, 2)).map((r) => r.deploymentId)).toEqual(['m-20261202T060300Z-dddddd', 'm-20261202T060200Z-cccccc']);
    await store.saveRelease(env, { ...release('m-20261202T060300Z-dddddd', '2026-12-02T06:03:00.000Z'), status: 'Failed' });
    const releases = await store.releases(env);
    expect(releases).toHaveLength(4);
    expect(releases[0]).toMatchObject({ deploymentId: 'm-20261202T060300Z-dddddd', status: 'Failed', kind: 'model' });
    expect(warnings).toEqual([]);
  });

  it('issue 13: none in an env never released to', async () => {
    expect(await store.releases(env)).toEqual([]);
  });

  it('issue 13: a corrupt record is left out of the history with a warning naming it; the others are listed', async () => {
    await store.saveRelease(env, release('m-20261202T060000Z-aaaaaa', '2026-12-02T06:00:00.000Z'));
    await store.saveRelease(env, release('m-20261202T060200Z-cccccc', '2026-12-02T06:02:00.000Z'));
    const corrupt = path.join(paths.modelReleases('stage'), 'm-20261202T060100Z-bbbbbb.json');
    await writeFile(corrupt, '{"deploymentId": "m-2026');
    await writeFile(path.join(paths.modelReleases('stage'), 'm-20261202T060150Z-xxxxxx.json'), '[1, 2]');
    expect((await store.releases(env)).map((r) => r.deploymentId)).toEqual(['m-20261202T060200Z-cccccc', 'm-20261202T060000Z-aaaaaa']);
    expect(warnings).toHaveLength(2);
    expect(warnings.find((w) => w.includes(corrupt))).toMatch(/unreadable .*left out of the history/);
    expect(warnings.find((w) => w.includes('xxxxxx'))).toMatch(/not a release record/);
  });

  it('issue 13: a release id that cannot name a file is refused', async () => {
    await expect(store.saveRelease(env, release('../escape', '2026-12-02T06:00:00.000Z'))).rejects.toThrow(/model release id/);
  });
});

describe('LocalModelStore.instanceModels (issue 13)', () => {
  const model: ServiceModelState = {
    version: '20261202-0a0b0c0d',
    source: 'released',
    releaseId: 'm-20261202T060000Z-aaaaaa',
    bundled: '20261202-6542a508',
    shadow: null,
    canary: { version: '20261202-0e0f0a0b', weight: 10 },
    loadedAt: '2026-12-02T06:00:01.000Z',
  };

  async function answer(port: number, body: unknown): Promise<void> {
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/healthz' ? body : { error: 'not found' }));
    });
    servers.push(server);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    expect((server.address() as AddressInfo).port).toBe(port);
  }

  it('issue 13: each instance says what it decides with on /healthz; one that does not answer, or predates the field, is null', async () => {
    const [one, two, three] = await ensureInstances(paths.instances('stage'), 3);
    await answer(one!.port, { status: 'ok', revision: { commit: 'abc' }, model });
    await answer(three!.port, { status: 'ok', revision: { commit: 'abc' } });
    const models = await store.instanceModels(env);
    expect(models.sort((a, b) => a.instanceId.localeCompare(b.instanceId))).toEqual([
      { instanceId: one!.id, model },
      { instanceId: two!.id, model: null },
      { instanceId: three!.id, model: null },
    ]);
  });

  it('issue 13: no instances yet, none asked', async () => {
    expect(await store.instanceModels(env)).toEqual([]);
  });
});

describe('MODEL_SOURCE for the instances (issue 13)', () => {
  it("issue 13: every instance's service.env names the env's pointer file, absolute, over the env's own variables", async () => {
    const relative = new StatePaths(path.relative(process.cwd(), path.join(dir, '.mod')));
    const instances = await ensureInstances(relative.instances('stage'), 2);
    const host = new HostClient({ databaseUrl: 'postgres://127.0.0.1:5432/test' } as HostInfo);
    await writeServiceEnv(env, host, relative, instances);
    const expected = `MODEL_SOURCE=file:${path.resolve(dir, '.mod', 'envs', 'stage', 'models', 'pointer.json')}`;
    for (const instance of instances) {
      const text = await readFile(path.join(instance.root, 'etc', 'mod', 'service.env'), 'utf8');
      expect(text.split('\n')).toContain(expected);
      expect(text.split('\n')).toContain('LOG_LEVEL=warn');
      expect(text).not.toContain('/elsewhere.json');
    }
    // The hooks and the host's restarter get the same variables.
    expect(environmentVariables(env, relative).MODEL_SOURCE).toBe(expected.slice('MODEL_SOURCE='.length));
  });
});

describe('runningRevisionOf reads /healthz `model` (issue 13)', () => {
  it('issue 13: a model field becomes RunningRevision.model; a malformed one or none is left out', () => {
    const model = { version: 'v2', source: 'released', releaseId: 'm-1', bundled: 'v1', shadow: 'v3', canary: null, loadedAt: '2026-12-02T06:00:00.000Z' };
    expect(runningRevisionOf({ revision: { commit: 'abc' }, model }).model).toEqual(model);
    expect(runningRevisionOf({ revision: { commit: 'abc' }, model: { ...model, error: { releaseId: 'm-2', message: 'checksum mismatch', at: 'now' } } }).model?.error).toEqual({ releaseId: 'm-2', message: 'checksum mismatch', at: 'now' });
    expect(runningRevisionOf({ revision: { commit: 'abc' }, model: { version: 'v2', source: 'somewhere' } })).not.toHaveProperty('model');
    expect(runningRevisionOf({ revision: { commit: 'abc' } })).toEqual({ commit: 'abc', tree: null, builtFrom: null, deploymentId: null });
  });
});
