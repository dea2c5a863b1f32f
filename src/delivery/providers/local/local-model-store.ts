// The local provider's ModelStore (issue 13): artifacts, pointer and release
// records in the env's state directory. Placeholder until implemented.
import type { StatePaths } from '../../state-paths.js';
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import type { InstanceModel, ModelStore } from '../../model/model-store.js';
import type { ModelPointer, ModelRef } from '../../../moderation/model-pointer.js';

export class LocalModelStore implements ModelStore {
  constructor(readonly paths: StatePaths) {}
  publish(_e: Environment, _dir: string, _m: { version: string; checksum: string }): Promise<ModelRef> {
    throw new Error('not implemented yet');
  }
  fetch(_e: Environment, _ref: ModelRef): Promise<string> {
    throw new Error('not implemented yet');
  }
  readPointer(_e: Environment): Promise<ModelPointer | null> {
    throw new Error('not implemented yet');
  }
  writePointer(_e: Environment, _p: ModelPointer): Promise<void> {
    throw new Error('not implemented yet');
  }
  clearPointer(_e: Environment): Promise<void> {
    throw new Error('not implemented yet');
  }
  releases(_e: Environment, _limit?: number): Promise<DeploymentRecord[]> {
    throw new Error('not implemented yet');
  }
  saveRelease(_e: Environment, _r: DeploymentRecord): Promise<void> {
    throw new Error('not implemented yet');
  }
  instanceModels(_e: Environment): Promise<InstanceModel[] | undefined> {
    throw new Error('not implemented yet');
  }
}
