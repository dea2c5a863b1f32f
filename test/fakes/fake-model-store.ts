// An in-memory ModelStore (issue 13) for the model release's domain tests:
// published artifacts, the pointer, release records and what each instance
// reports, all in maps the test can read and set.
import type { Environment } from '../../src/delivery/config.js';
import type { DeploymentRecord } from '../../src/delivery/deployment.js';
import type { InstanceModel, ModelStore } from '../../src/delivery/model/model-store.js';
import type { ModelPointer, ModelRef } from '../../src/moderation/model-pointer.js';

export class FakeModelStore implements ModelStore {
  readonly published = new Map<string, { dir: string; ref: ModelRef }>();
  readonly pointers = new Map<string, ModelPointer>();
  readonly pointerWrites: ModelPointer[] = [];
  readonly records = new Map<string, DeploymentRecord[]>();
  /** What instanceModels answers per env; unset: undefined (the provider cannot ask). */
  readonly instances = new Map<string, InstanceModel[]>();
  /** When set, the instances follow every pointer written (as a healthy fleet does). */
  followPointer = true;

  async publish(environment: Environment, dir: string, manifest: { version: string; checksum: string }): Promise<ModelRef> {
    const key = `${environment.name}/${manifest.version}-${manifest.checksum}`;
    const existing = this.published.get(key);
    if (existing) return existing.ref;
    const ref: ModelRef = { version: manifest.version, checksum: manifest.checksum, location: dir };
    this.published.set(key, { dir, ref });
    return ref;
  }

  async fetch(_environment: Environment, ref: ModelRef): Promise<string> {
    return ref.location;
  }

  async readPointer(environment: Environment): Promise<ModelPointer | null> {
    return this.pointers.get(environment.name) ?? null;
  }

  async writePointer(environment: Environment, pointer: ModelPointer): Promise<void> {
    this.pointers.set(environment.name, pointer);
    this.pointerWrites.push(pointer);
    const instances = this.instances.get(environment.name);
    if (this.followPointer && instances) {
      for (const instance of instances) {
        if (!instance.model) continue;
        instance.model = {
          ...instance.model,
          version: pointer.live.version,
          source: 'released',
          releaseId: pointer.releaseId,
          shadow: pointer.shadow?.version ?? null,
          canary: pointer.canary ? { version: pointer.canary.version, weight: pointer.canary.weight } : null,
        };
      }
    }
  }

  async clearPointer(environment: Environment): Promise<void> {
    this.pointers.delete(environment.name);
    for (const instance of this.instances.get(environment.name) ?? []) {
      if (instance.model && this.followPointer) instance.model = { ...instance.model, version: instance.model.bundled, source: 'bundled', releaseId: null, shadow: null, canary: null };
    }
  }

  async releases(environment: Environment, limit = 50): Promise<DeploymentRecord[]> {
    return [...(this.records.get(environment.name) ?? [])].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.deploymentId.localeCompare(a.deploymentId)).slice(0, limit);
  }

  async saveRelease(environment: Environment, record: DeploymentRecord): Promise<void> {
    const list = (this.records.get(environment.name) ?? []).filter((r) => r.deploymentId !== record.deploymentId);
    list.push(structuredClone(record));
    this.records.set(environment.name, list);
  }

  async instanceModels(environment: Environment): Promise<InstanceModel[] | undefined> {
    const instances = this.instances.get(environment.name);
    return instances ? structuredClone(instances) : undefined;
  }
}
