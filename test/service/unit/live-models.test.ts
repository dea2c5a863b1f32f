// Issue 13: the holder swaps the whole set of models at once (a request that
// read the set keeps it), and the watcher applies a pointer only once every
// model it names loaded and checked; it keeps what it has otherwise.
import { describe, expect, it } from 'vitest';
import type { ModelPointer, ModelRef } from '../../../src/moderation/model-pointer.js';
import type { ModerationRequest, ModerationResult, Moderator } from '../../../src/moderation/moderator.js';
import { LiveModels } from '../../../src/service/live-models.js';
import type { ModelSource } from '../../../src/service/model-source.js';
import { ModelWatcher } from '../../../src/service/model-watcher.js';

/** A model that answers its version; enough of a Moderator for the watcher. */
function model(version: string, checksum = `sum-${version}`, score = 0.1): Moderator {
  return {
    modelVersion: version,
    model: { manifest: { version, checksum: { algorithm: 'sha256', value: checksum } } },
    moderate: (r: ModerationRequest): ModerationResult => ({ ...(r.id ? { id: r.id } : {}), decision: 'approve', category: null, categories: [], score, reasons: [], modelVersion: version }),
  } as unknown as Moderator;
}
const ref = (version: string, checksum = `sum-${version}`): ModelRef => ({ version, checksum, location: `/m/${version}` });
const pointer = (releaseId: string, parts: Partial<ModelPointer> & Pick<ModelPointer, 'live'>): ModelPointer => ({ schemaVersion: 1, environment: 'dev', releaseId, updatedAt: '2026-12-02T00:00:00Z', ...parts });

function setup(artifacts: Record<string, Moderator>) {
  let current: ModelPointer | null | Error = null;
  const loads: string[] = [];
  const source: ModelSource = {
    description: 'test:',
    read: async () => {
      if (current instanceof Error) throw current;
      return current;
    },
    materialise: async (r) => r.location,
  };
  const models = new LiveModels(model('bundled'));
  const warnings: string[] = [];
  const watcher = new ModelWatcher({
    source,
    models,
    pollMs: 100,
    load: async (dir) => {
      loads.push(dir);
      const found = artifacts[dir];
      if (!found) throw new Error(`no artifact in ${dir}`);
      return found;
    },
    log: { info: () => undefined, warn: (_d, m) => warnings.push(m) },
  });
  return { models, watcher, loads, warnings, set: (p: ModelPointer | null | Error) => (current = p) };
}

describe('live models and the watcher', () => {
  it('swaps the whole set at once; a set read before the swap is unchanged', async () => {
    const t = setup({ '/m/v2': model('v2'), '/m/v3': model('v3') });
    const before = t.models.models();
    t.set(pointer('m-1', { live: ref('v2'), shadow: ref('v3'), canary: { ...ref('v3'), weight: 10 } }));
    await t.watcher.check();
    expect(before.live.modelVersion).toBe('bundled');
    const after = t.models.models();
    expect([after.live.modelVersion, after.shadow?.modelVersion, after.canary?.model.modelVersion, after.canary?.weight]).toEqual(['v2', 'v3', 'v3', 10]);
    expect(t.models.state()).toMatchObject({ version: 'v2', source: 'released', releaseId: 'm-1', bundled: 'bundled', shadow: 'v3', canary: { version: 'v3', weight: 10 } });
    // One load per artifact, and none again for a model the set already holds.
    expect(t.loads).toEqual(['/m/v2', '/m/v3']);
    t.set(pointer('m-2', { live: ref('v3') }));
    await t.watcher.check();
    expect(t.loads).toEqual(['/m/v2', '/m/v3']);
    expect(t.models.loaded()).toEqual([{ version: 'v3', role: 'live', source: 'released' }]);
  });

  it('keeps its models when a model of the pointer cannot be loaded or is not the one named, and records why', async () => {
    const t = setup({ '/m/v2': model('v2'), '/m/bad': model('v9'), '/m/nan': model('nan', 'sum-nan', Number.NaN) });
    t.set(pointer('m-1', { live: ref('v2') }));
    await t.watcher.check();
    t.set(pointer('m-2', { live: ref('v2'), shadow: ref('missing') }));
    await t.watcher.check();
    expect(t.models.state()).toMatchObject({ version: 'v2', releaseId: 'm-1', shadow: null, error: { releaseId: 'm-2', message: expect.stringContaining('shadow model missing') } });
    t.set(pointer('m-3', { live: { ...ref('v9'), location: '/m/bad', version: 'v8' } }));
    await t.watcher.check();
    expect(t.models.state().error?.message).toContain('is version v9, the pointer names v8');
    t.set(pointer('m-4', { live: { ...ref('v9'), location: '/m/bad', checksum: 'other' } }));
    await t.watcher.check();
    expect(t.models.state().error?.message).toContain("checksum sum-v9 is not the pointer's other");
    t.set(pointer('m-5', { live: { ...ref('nan'), location: '/m/nan' } }));
    await t.watcher.check();
    expect(t.models.state().error?.message).toContain('probe text scored NaN');
    expect(t.models.state()).toMatchObject({ version: 'v2', releaseId: 'm-1' });
    expect(t.warnings).toHaveLength(4);
    // An unreadable pointer: the same, with the error logged once while it lasts.
    t.set(new Error('permission denied'));
    await t.watcher.check();
    await t.watcher.check();
    expect(t.models.state()).toMatchObject({ version: 'v2', error: { message: expect.stringContaining('permission denied') } });
    expect(t.warnings).toHaveLength(5);
  });

  it('goes back to the bundled model when the pointer is removed, and the error clears', async () => {
    const t = setup({ '/m/v2': model('v2') });
    t.set(pointer('m-1', { live: ref('v2') }));
    await t.watcher.check();
    t.set(new Error('flaky'));
    await t.watcher.check();
    t.set(null);
    await t.watcher.check();
    expect(t.models.state()).toEqual({ version: 'bundled', source: 'bundled', releaseId: null, bundled: 'bundled', shadow: null, canary: null, loadedAt: expect.any(String) });
  });
});
