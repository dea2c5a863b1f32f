// A `mod model release` in a process of its own, for the test of what its
// death leaves (model-abandoned.test.ts): the real LocalModelStore on the
// state directory given, instances that never load anything (the release
// waits for them until it is killed). Run with tsx: <stateDir> <modelDir>.
import type { Environment } from '../../../../src/delivery/config.js';
import type { InstanceModel, ModelStore } from '../../../../src/delivery/model/model-store.js';
import { releaseModel } from '../../../../src/delivery/model/model-release.js';
import { LocalModelStore } from '../../../../src/delivery/providers/local/local-model-store.js';
import { StatePaths } from '../../../../src/delivery/state-paths.js';
import { FakeProvider } from '../../../fakes/fake-provider.js';
import { FakeWorkspace } from '../../../fakes/fake-workspace.js';
import { TempRepository } from '../../../fakes/temp-repository.js';
import { CONFIG } from '../model-support.js';

class StuckStore extends LocalModelStore {
  override async instanceModels(_env: Environment): Promise<InstanceModel[]> {
    return [{ instanceId: 'i-1', model: { version: 'bundled-x', source: 'bundled', releaseId: null, bundled: 'bundled-x', shadow: null, canary: null, loadedAt: new Date().toISOString() } }];
  }
}

const [stateDir, modelDir] = process.argv.slice(2) as [string, string];
const repo = await TempRepository.create('stage');
await repo.commit('First', { 'app.txt': 'v1\n' });
const store = new StuckStore(new StatePaths(stateDir));
const provider = new (class extends FakeProvider {
  override models(): ModelStore {
    return store;
  }
})();
const ws = await FakeWorkspace.create(repo, { config: CONFIG, provider });
Object.assign(ws, { paths: new StatePaths(stateDir) });
await releaseModel(ws, { environment: 'stage', model: modelDir, overrides: [{ gate: 'model', reason: 'test' }], signal: new AbortController().signal, events: () => {}, timeoutMs: 600_000, wait: { pollMs: 50 } });
