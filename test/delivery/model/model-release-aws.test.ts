// `mod model release` and `mod model shadow` on an AWS env whose model bucket
// has no versioning: refused (MODEL_BUCKET_UNVERSIONED) before anything is
// written: no release record uploaded, no pointer, no wait. The real
// AwsModelStore, the SDK mocked at its boundary (aws-sdk-client-mock).
import { GetBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelStore } from '../../../src/delivery/model/model-store.js';
import { releaseModel } from '../../../src/delivery/model/model-release.js';
import { shadowModel } from '../../../src/delivery/model/model-shadow.js';
import { AwsClients } from '../../../src/delivery/providers/aws/aws-clients.js';
import { runIndependent } from '../../../src/delivery/providers/aws/aws-context.js';
import { AwsModelStore } from '../../../src/delivery/providers/aws/aws-model-store.js';
import { awsNames } from '../../../src/delivery/providers/aws/aws-names.js';
import type { DeliveryEvent } from '../../../src/delivery/events.js';
import { ModError } from '../../../src/errors.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { FakeWorkspace } from '../../fakes/fake-workspace.js';
import { TempRepository } from '../../fakes/temp-repository.js';
import { DEFAULT_DIR } from './model-support.js';

const s3 = mockClient(S3Client);
const ssm = mockClient(SSMClient);

let repo: TempRepository;
let ws: FakeWorkspace;
let clients: AwsClients;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  await repo.commit('First', { 'app.txt': 'v1\n' });
  clients = new AwsClients({ region: 'us-east-1' });
  const store = new AwsModelStore((env) => ({ clients, names: awsNames(env), all: runIndependent(false) }));
  const provider = new (class extends FakeProvider {
    override models(): ModelStore {
      return store;
    }
  })();
  ws = await FakeWorkspace.create(repo, { config: { app: 'shop', environments: { stage: { branch: 'stage', provider: 'aws', aws: { region: 'us-east-1', modelBucket: 'mod-models-plain' } } } }, provider });
  s3.on(GetBucketVersioningCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
  ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
});
afterEach(async () => {
  s3.reset();
  ssm.reset();
  clients.destroy();
  await repo.dispose();
});

describe('an unversioned model bucket', () => {
  it.each([
    ['release', (events: (e: DeliveryEvent) => void) => releaseModel(ws, { environment: 'stage', model: DEFAULT_DIR, signal: new AbortController().signal, events })],
    ['shadow', (events: (e: DeliveryEvent) => void) => shadowModel(ws, { environment: 'stage', model: DEFAULT_DIR, signal: new AbortController().signal, events })],
  ])('mod model %s is refused before any record is uploaded or the pointer written', async (_name, run) => {
    const events: DeliveryEvent[] = [];
    const failure = await run((e) => void events.push(e)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ModError);
    expect((failure as ModError).code).toBe('MODEL_BUCKET_UNVERSIONED');
    expect((failure as ModError).hint).toBe('aws s3api put-bucket-versioning --bucket mod-models-plain --versioning-configuration Status=Enabled');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(events.filter((e) => e.type === 'notice' && /releasing model|waiting/.test(e.message))).toEqual([]);
  });
});
