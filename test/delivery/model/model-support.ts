// What the model release tests share: a FakeWorkspace on a real git
// repository, the real models of this package (models/default and
// models/baseline), instances that report a model state, and rows of a fake
// release database.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DecisionRow, ReleaseDatabase } from '../../../src/delivery/model/model-store.js';
import type { ServiceModelState } from '../../../src/moderation/model-pointer.js';
import type { FakeModelStore } from '../../fakes/fake-model-store.js';
import type { ConfigInput } from '../../fakes/fake-workspace.js';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
export const DEFAULT_DIR = path.join(root, 'models', 'default');
export const BASELINE_DIR = path.join(root, 'models', 'baseline');

export async function manifestOf(dir: string): Promise<{ version: string; checksum: string }> {
  const m = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { version: string; checksum: { value: string } };
  return { version: m.version, checksum: m.checksum.value };
}

export const CONFIG: ConfigInput = {
  app: 'shop',
  environments: {
    stage: { branch: 'stage', instances: 2 },
    qa: { branch: 'qa', instances: 1, canary: { weight: 20, durationSeconds: 1, minSamples: 50, onMarginal: 'pause' } },
    production: { branch: 'master', instances: 1, gates: { window: { timezone: 'Asia/Tokyo', days: ['Mon', 'Tue', 'Wed', 'Thu'], from: '10:00', to: '18:00' } } },
  },
};

/** Instances holding their bundled model (`bundled`), as a fresh fleet reports it. */
export function bundledInstances(store: FakeModelStore, env: string, bundled: string, ids = ['i-1', 'i-2']): void {
  const state = (): ServiceModelState => ({ version: bundled, source: 'bundled', releaseId: null, bundled, shadow: null, canary: null, loadedAt: '2026-12-01T00:00:00.000Z' });
  store.instances.set(
    env,
    ids.map((instanceId) => ({ instanceId, model: state() })),
  );
}

/** `n` rows decided by `version`: `reject` of them rejected (category scam), the rest approved. */
export function rows(version: string, n: number, reject: number): DecisionRow[] {
  return Array.from({ length: n }, (_, i) => (i < reject ? { modelVersion: version, decision: 'reject' as const, category: 'scam' } : { modelVersion: version, decision: 'approve' as const, category: null }));
}

export class FakeReleaseDatabase implements ReleaseDatabase {
  readonly queries: { since: Date; versions: string[] }[] = [];
  closed = 0;
  constructor(private readonly answer: DecisionRow[]) {}
  async decisionsSince(since: Date, versions: string[]): Promise<DecisionRow[]> {
    this.queries.push({ since, versions });
    return this.answer.filter((r) => versions.includes(r.modelVersion));
  }
  async close(): Promise<void> {
    this.closed++;
  }
}
