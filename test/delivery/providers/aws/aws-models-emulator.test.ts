// Issue 13 on AWS against the moto emulator (real HTTP): mod publishes a
// model artifact to a versioned S3 bucket and writes the SSM pointer; the
// service's SSM source (what an instance runs with MODEL_SOURCE=ssm:<name>)
// reads that pointer and materialises the exact object versions into a
// directory the artifact reader loads and verifies. A bucket without
// versioning is refused before anything is uploaded.
import { CreateBucketCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, resolveEnvironment, type Environment } from '../../../../src/delivery/config.js';
import type { DeploymentRecord } from '../../../../src/delivery/deployment.js';
import { AwsClients } from '../../../../src/delivery/providers/aws/aws-clients.js';
import { runIndependent } from '../../../../src/delivery/providers/aws/aws-context.js';
import { AwsModelStore } from '../../../../src/delivery/providers/aws/aws-model-store.js';
import { awsNames } from '../../../../src/delivery/providers/aws/aws-names.js';
import { ModError } from '../../../../src/errors.js';
import { readModelArtifact } from '../../../../src/moderation/model-artifact.js';
import type { ModelPointer } from '../../../../src/moderation/model-pointer.js';
import { createSsmModelSource } from '../../../../src/service/aws-model-source.js';
import { startMoto, type Moto } from '../../../support/moto.js';

// An emulator of its own: aws-emulator.test.ts resets the shared one (MOTO_ENDPOINT) while this file may run beside it.
delete process.env.MOTO_ENDPOINT;
const moto = await startMoto();
if (!moto.available) console.warn(`\n*** AWS model store emulator suite NOT RUN: ${moto.reason} ***\n`);

const MODEL_DIR = path.resolve(import.meta.dirname, '../../../../models/default');

function environment(aws: Record<string, unknown>): Environment {
  return resolveEnvironment(ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage', provider: 'aws', aws: { region: 'us-east-1', ...aws } } } }), 'stage');
}

describe.skipIf(!moto.available)('issue 13: models on AWS against the moto emulator (real HTTP)', () => {
  let clients: AwsClients;
  let store: AwsModelStore;
  let temp: string;
  let previousEndpoint: string | undefined;
  const s3 = () => new S3Client({ region: 'us-east-1', forcePathStyle: true });

  beforeAll(async () => {
    const m = moto as Moto;
    await m.reset();
    previousEndpoint = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = m.endpoint;
    temp = await mkdtemp(path.join(os.tmpdir(), 'mod-aws-models-'));
    clients = new AwsClients({ region: 'us-east-1' });
    store = new AwsModelStore((env) => ({ clients, names: awsNames(env), all: runIndependent(false) }), path.join(temp, 'mod-cache'));
    await s3().send(new CreateBucketCommand({ Bucket: 'mod-models-fixture' }));
    await s3().send(new PutBucketVersioningCommand({ Bucket: 'mod-models-fixture', VersioningConfiguration: { Status: 'Enabled' } }));
    await s3().send(new CreateBucketCommand({ Bucket: 'mod-models-plain' }));
  });
  afterAll(async () => {
    clients?.destroy();
    if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = previousEndpoint;
    if (temp) await rm(temp, { recursive: true, force: true });
    await (moto as Moto).stop();
  });

  it('refuses a bucket without versioning before uploading anything', async () => {
    const { manifest } = await readModelArtifact(MODEL_DIR);
    const failure = await store.publish(environment({ modelBucket: 'mod-models-plain' }), MODEL_DIR, { version: manifest.version, checksum: manifest.checksum.value }).catch((error: unknown) => error);
    expect((failure as ModError).code).toBe('MODEL_BUCKET_UNVERSIONED');
    expect((await s3().send(new ListObjectVersionsCommand({ Bucket: 'mod-models-plain' }))).Versions ?? []).toEqual([]);
  });

  it('publish -> pointer -> the SSM source reads it and materialises the exact versions', async () => {
    const env = environment({ modelBucket: 'mod-models-fixture' });
    const { manifest } = await readModelArtifact(MODEL_DIR);
    const published = { version: manifest.version, checksum: manifest.checksum.value };
    const ref = await store.publish(env, MODEL_DIR, published);
    expect(ref.location).toBe(`s3://mod-models-fixture/models/stage/${manifest.version}-${manifest.checksum.value.slice(0, 12)}`);
    expect(Object.keys(ref.objectVersions ?? {}).sort()).toEqual(['manifest.json', 'weights.f32.gz']);
    // The same version and checksum again: the same ref, no new object versions.
    expect(await store.publish(env, MODEL_DIR, published)).toEqual(ref);
    const prefix = ref.location.replace('s3://mod-models-fixture/', '');
    expect((await s3().send(new ListObjectVersionsCommand({ Bucket: 'mod-models-fixture', Prefix: prefix }))).Versions).toHaveLength(2);

    const source = createSsmModelSource({ parameterName: '/mod/stage/model', region: 'us-east-1', cacheDir: path.join(temp, 'instance-cache'), endpoint: (moto as Moto).endpoint });
    expect(source.description).toBe('ssm:/mod/stage/model');
    expect(await source.read()).toBeNull();

    const pointer: ModelPointer = { schemaVersion: 1, environment: 'stage', releaseId: 'm-20261202T063000Z-abc123', updatedAt: new Date().toISOString(), live: ref };
    await store.writePointer(env, pointer);
    expect(await store.readPointer(env)).toEqual(pointer);
    const read = await source.read();
    expect(read).toEqual(pointer);

    // Someone overwrites the objects in place: the release still names the bytes it published.
    await s3().send(new PutObjectCommand({ Bucket: 'mod-models-fixture', Key: `${prefix}/manifest.json`, Body: '{"not":"a model"}' }));
    const dir = await source.materialise(read!.live);
    expect(dir).toBe(path.join(temp, 'instance-cache', `${manifest.version}-${manifest.checksum.value.slice(0, 12)}`));
    const loaded = await readModelArtifact(dir);
    expect(loaded.manifest.checksum.value).toBe(manifest.checksum.value);
    expect(await source.materialise(read!.live)).toBe(dir);

    const fetched = await store.fetch(env, ref);
    expect((await readModelArtifact(fetched)).manifest.version).toBe(manifest.version);

    await store.clearPointer(env);
    expect(await source.read()).toBeNull();
    expect(await store.readPointer(env)).toBeNull();
    await store.clearPointer(env);
  });

  it('an object rewritten in place with the same checksum metadata but other bytes is not reused: publish uploads it again', async () => {
    await s3().send(new CreateBucketCommand({ Bucket: 'mod-models-corrupt' }));
    await s3().send(new PutBucketVersioningCommand({ Bucket: 'mod-models-corrupt', VersioningConfiguration: { Status: 'Enabled' } }));
    const env = environment({ modelBucket: 'mod-models-corrupt' });
    const { manifest } = await readModelArtifact(MODEL_DIR);
    const published = { version: manifest.version, checksum: manifest.checksum.value };
    const first = await store.publish(env, MODEL_DIR, published);
    const prefix = first.location.replace('s3://mod-models-corrupt/', '');
    const corrupt = await s3().send(new PutObjectCommand({ Bucket: 'mod-models-corrupt', Key: `${prefix}/weights.f32.gz`, Body: 'not the weights', Metadata: { version: manifest.version, checksum: manifest.checksum.value } }));
    const again = await store.publish(env, MODEL_DIR, published);
    expect(again.objectVersions!['weights.f32.gz']).not.toBe(corrupt.VersionId);
    expect(again.objectVersions!['weights.f32.gz']).not.toBe(first.objectVersions!['weights.f32.gz']);
    const fetched = await new AwsModelStore((e) => ({ clients, names: awsNames(e), all: runIndependent(false) }), path.join(temp, 'fresh-cache')).fetch(env, again);
    expect((await readModelArtifact(fetched)).manifest.checksum.value).toBe(manifest.checksum.value);
  });

  it('keeps release records in the bucket, newest first', async () => {
    const env = environment({ modelBucket: 'mod-models-fixture' });
    const record = (id: string, startedAt: string): DeploymentRecord => ({ schemaVersion: 1, deploymentId: id, environment: 'stage', provider: 'aws', status: 'Succeeded', revision: { commit: 'abc' }, initiator: 'dev', startedAt, instances: [], kind: 'model' });
    await store.saveRelease(env, record('m-20261201T100000Z-aaaaaa', '2026-12-01T10:00:00.000Z'));
    await store.saveRelease(env, record('m-20261202T100000Z-bbbbbb', '2026-12-02T10:00:00.000Z'));
    await store.saveRelease(env, { ...record('m-20261201T100000Z-aaaaaa', '2026-12-01T10:00:00.000Z'), status: 'RolledBack' });
    const releases = await store.releases(env);
    expect(releases.map((r) => [r.deploymentId, r.status])).toEqual([
      ['m-20261202T100000Z-bbbbbb', 'Succeeded'],
      ['m-20261201T100000Z-aaaaaa', 'RolledBack'],
    ]);
  });
});
