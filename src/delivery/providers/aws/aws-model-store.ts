// The AWS ModelStore (issue 13): a versioned S3 bucket, an SSM pointer
// and release records in S3. Placeholder until implemented.
import type { AwsContext } from './aws-context.js';
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import type { InstanceModel, ModelStore } from '../../model/model-store.js';
import type { ModelPointer, ModelRef } from '../../../moderation/model-pointer.js';

export class AwsModelStore implements ModelStore {
  constructor(readonly context: (env: Environment) => AwsContext) {}
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
