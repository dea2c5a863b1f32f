// The AWS ModelStore (issue 13) with the SDK mocked at its boundary
// (aws-sdk-client-mock): a bucket without versioning is refused, a publish
// names the object versions and is idempotent, the pointer round-trips
// through SSM, a missing parameter is no pointer, fetch downloads the exact
// versions and verifies them, and release records come back newest first.
import { GetBucketVersioningCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteParameterCommand, GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema, resolveEnvironment, type Environment } from '../../../../../src/delivery/config.js';
import type { DeploymentRecord } from '../../../../../src/delivery/deployment.js';
import { AwsClients } from '../../../../../src/delivery/providers/aws/aws-clients.js';
import { runIndependent, type AwsContext } from '../../../../../src/delivery/providers/aws/aws-context.js';
import { AwsModelStore } from '../../../../../src/delivery/providers/aws/aws-model-store.js';
import { awsNames } from '../../../../../src/delivery/providers/aws/aws-names.js';
import { ModError } from '../../../../../src/errors.js';
import { readModelArtifact } from '../../../../../src/moderation/model-artifact.js';
import type { ModelPointer } from '../../../../../src/moderation/model-pointer.js';

const s3 = mockClient(S3Client);
const ssm = mockClient(SSMClient);
const MODEL_DIR = path.resolve(import.meta.dirname, '../../../../../models/default');

function environment(aws: Record<string, unknown> = { modelBucket: 'mod-models-test' }): Environment {
  const config = ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage', provider: 'aws', aws: { region: 'us-east-1', ...aws } } } });
  return resolveEnvironment(config, 'stage');
}

/** An S3 GetObject body as the SDK hands it out. */
function body(bytes: Buffer | string) {
  const buffer = Buffer.from(bytes);
  return { transformToByteArray: async () => new Uint8Array(buffer), transformToString: async () => buffer.toString('utf8') } as never;
}

function record(deploymentId: string, startedAt: string): DeploymentRecord {
  return { schemaVersion: 1, deploymentId, environment: 'stage', provider: 'aws', status: 'Succeeded', revision: { commit: 'abc' }, initiator: 'dev', startedAt, instances: [], kind: 'model' };
}

let clients: AwsClients;
let cacheRoot: string;
const store = () => new AwsModelStore((env) => ({ clients, names: awsNames(env), all: runIndependent(false) }) satisfies AwsContext, cacheRoot);
async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path.join(MODEL_DIR, file)))
    .digest('base64');
}
const MANIFEST = { version: '20261202-6542a508', checksum: 'a'.repeat(64) };

beforeEach(async () => {
  clients = new AwsClients({ region: 'us-east-1' });
  cacheRoot = await mkdtemp(path.join(os.tmpdir(), 'mod-model-cache-'));
});
afterEach(async () => {
  s3.reset();
  ssm.reset();
  clients.destroy();
  await rm(cacheRoot, { recursive: true, force: true });
});

describe('AwsModelStore.publish', () => {
  it('refuses a bucket without versioning, with the command that enables it, and uploads nothing', async () => {
    s3.on(GetBucketVersioningCommand).resolves({});
    const failure = await store()
      .publish(environment(), MODEL_DIR, MANIFEST)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ModError);
    expect((failure as ModError).code).toBe('MODEL_BUCKET_UNVERSIONED');
    expect((failure as ModError).message).toContain('mod-models-test does not have versioning enabled');
    expect((failure as ModError).hint).toBe('aws s3api put-bucket-versioning --bucket mod-models-test --versioning-configuration Status=Enabled');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('says which key to set when aws.modelBucket is not configured', async () => {
    const failure = await store()
      .publish(environment({}), MODEL_DIR, MANIFEST)
      .catch((error: unknown) => error);
    expect((failure as ModError).code).toBe('CONFIG_INVALID');
    expect((failure as ModError).message).toBe('mod.config.yml: environments.stage.aws.modelBucket: is not set: model releases on AWS upload to a versioned S3 bucket');
    expect(s3.calls()).toHaveLength(0);
  });

  it('uploads weights then manifest under models/<env>/<version>-<checksum12>/ and names their versions; versioning is checked once', async () => {
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    s3.on(PutObjectCommand).resolves({ VersionId: 'other' });
    s3.on(PutObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/weights.f32.gz' }).resolves({ VersionId: 'vw1' });
    s3.on(PutObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/manifest.json' }).resolves({ VersionId: 'vm1' });
    const models = store();
    const ref = await models.publish(environment(), MODEL_DIR, MANIFEST);
    expect(ref).toEqual({
      version: MANIFEST.version,
      checksum: MANIFEST.checksum,
      location: 's3://mod-models-test/models/stage/20261202-6542a508-aaaaaaaaaaaa',
      objectVersions: { 'weights.f32.gz': 'vw1', 'manifest.json': 'vm1' },
    });
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.every((p) => p.Bucket === 'mod-models-test')).toBe(true);
    expect(puts.map((p) => p.Key)).toEqual(['models/stage/20261202-6542a508-aaaaaaaaaaaa/weights.f32.gz', 'models/stage/20261202-6542a508-aaaaaaaaaaaa/manifest.json']);
    expect(puts[1]!.Metadata).toEqual({ version: MANIFEST.version, checksum: MANIFEST.checksum });
    expect(Buffer.from(puts[1]!.Body as Buffer).toString('utf8')).toBe(await readFile(path.join(MODEL_DIR, 'manifest.json'), 'utf8'));
    await models.publish(environment(), MODEL_DIR, { ...MANIFEST, checksum: 'b'.repeat(64) });
    expect(s3.commandCalls(GetBucketVersioningCommand)).toHaveLength(1);
  });

  it('returns the existing ref when the same version, checksum and bytes (S3 SHA-256) are already in the bucket', async () => {
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(HeadObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/weights.f32.gz' }).resolves({ VersionId: 'vw0', Metadata: { checksum: MANIFEST.checksum }, ChecksumSHA256: await sha256Of('weights.f32.gz') });
    s3.on(HeadObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/manifest.json' }).resolves({ VersionId: 'vm0', Metadata: { checksum: MANIFEST.checksum }, ChecksumSHA256: await sha256Of('manifest.json') });
    const ref = await store().publish(environment(), MODEL_DIR, MANIFEST);
    expect(ref.objectVersions).toEqual({ 'weights.f32.gz': 'vw0', 'manifest.json': 'vm0' });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(HeadObjectCommand).every((c) => c.args[0].input.ChecksumMode === 'ENABLED')).toBe(true);
  });

  it('where S3 keeps no SHA-256, the size and ETag (MD5) vouch for the bytes; another ETag is uploaded again', async () => {
    const md5 = async (file: string) =>
      `"${createHash('md5')
        .update(await readFile(path.join(MODEL_DIR, file)))
        .digest('hex')}"`;
    const size = async (file: string) => (await readFile(path.join(MODEL_DIR, file))).length;
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(HeadObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/weights.f32.gz' }).resolves({ VersionId: 'vw0', Metadata: { checksum: MANIFEST.checksum }, ETag: await md5('weights.f32.gz'), ContentLength: await size('weights.f32.gz') });
    s3.on(HeadObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/manifest.json' }).resolves({ VersionId: 'vm0', Metadata: { checksum: MANIFEST.checksum }, ETag: await md5('manifest.json'), ContentLength: await size('manifest.json') });
    expect((await store().publish(environment(), MODEL_DIR, MANIFEST)).objectVersions).toEqual({ 'weights.f32.gz': 'vw0', 'manifest.json': 'vm0' });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);

    s3.on(HeadObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/weights.f32.gz' }).resolves({ VersionId: 'vw0', Metadata: { checksum: MANIFEST.checksum }, ETag: '"0123456789abcdef0123456789abcdef"', ContentLength: await size('weights.f32.gz') });
    s3.on(PutObjectCommand).resolves({ VersionId: 'v2' });
    expect((await store().publish(environment(), MODEL_DIR, MANIFEST)).objectVersions).toEqual({ 'weights.f32.gz': 'v2', 'manifest.json': 'v2' });
  });

  it('an object with the same checksum metadata but other bytes (or no SHA-256 S3 can vouch for) is uploaded again, with its SHA-256 for S3 to check', async () => {
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(HeadObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/weights.f32.gz' }).resolves({ VersionId: 'vw0', Metadata: { checksum: MANIFEST.checksum }, ChecksumSHA256: Buffer.alloc(32).toString('base64') });
    s3.on(HeadObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/manifest.json' }).resolves({ VersionId: 'vm0', Metadata: { checksum: MANIFEST.checksum } });
    s3.on(PutObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/weights.f32.gz' }).resolves({ VersionId: 'vw1' });
    s3.on(PutObjectCommand, { Key: 'models/stage/20261202-6542a508-aaaaaaaaaaaa/manifest.json' }).resolves({ VersionId: 'vm1' });
    const ref = await store().publish(environment(), MODEL_DIR, MANIFEST);
    expect(ref.objectVersions).toEqual({ 'weights.f32.gz': 'vw1', 'manifest.json': 'vm1' });
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.ChecksumSHA256)).toEqual([await sha256Of('weights.f32.gz'), await sha256Of('manifest.json')]);
  });

  it('an upload S3 stored with another SHA-256 fails the publish, saying it cannot be verified', async () => {
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    s3.on(PutObjectCommand).resolves({ VersionId: 'v1', ChecksumSHA256: Buffer.alloc(32).toString('base64') });
    const failure = await store()
      .publish(environment(), MODEL_DIR, MANIFEST)
      .catch((error: unknown) => error);
    expect((failure as ModError).code).toBe('MODEL_ARTIFACT_INVALID');
    expect((failure as ModError).message).toMatch(/weights\.f32\.gz \(version v1\) was stored with SHA-256 .*: the upload cannot be verified/);
  });

  it('maps an AWS failure to the provider error naming the action and object', async () => {
    s3.on(GetBucketVersioningCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const failure = await store()
      .publish(environment(), MODEL_DIR, MANIFEST)
      .catch((error: unknown) => error);
    expect((failure as ModError).code).toBe('AWS_ACCESS_DENIED');
    expect((failure as ModError).message).toBe('access denied: s3:GetBucketVersioning on s3://mod-models-test');
  });
});

describe('aws.modelBucket and aws.modelParameter', () => {
  it('default the parameter to /mod/<env>/model and refuse names AWS would refuse', () => {
    expect(awsNames(environment()).modelParameter).toBe('/mod/stage/model');
    expect(awsNames(environment()).modelBucket).toBe('mod-models-test');
    expect(() => environment({ modelBucket: 'Mod_Models' })).toThrow(/an S3 bucket name/);
    expect(() => environment({ modelParameter: 'mod stage model' })).toThrow(/an SSM parameter name/);
    expect(() => environment({ modelParameter: '/aws/mod' })).toThrow(/reserved by SSM/);
  });

  it('a missing bucket is AWS_NOT_FOUND naming it', async () => {
    s3.on(GetBucketVersioningCommand).rejects(Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }));
    const failure = await store()
      .publish(environment(), MODEL_DIR, MANIFEST)
      .catch((error: unknown) => error);
    expect((failure as ModError).code).toBe('AWS_NOT_FOUND');
    expect((failure as ModError).message).toBe('s3://mod-models-test does not exist (s3:GetBucketVersioning: NoSuchBucket)');
  });
});

describe('AwsModelStore pointer', () => {
  const pointer: ModelPointer = {
    schemaVersion: 1,
    environment: 'stage',
    releaseId: 'm-20261202T063000Z-abc123',
    updatedAt: '2026-12-02T06:30:00.000Z',
    live: { version: 'v2', checksum: 'c'.repeat(64), location: 's3://mod-models-test/models/stage/v2-cccccccccccc', objectVersions: { 'manifest.json': 'm', 'weights.f32.gz': 'w' } },
    canary: { version: 'v3', checksum: 'd'.repeat(64), location: 's3://mod-models-test/models/stage/v3-dddddddddddd', weight: 10 },
  };

  it('writes the pointer JSON as a String parameter (overwrite) and reads it back', async () => {
    let stored: string | undefined;
    ssm.on(PutParameterCommand).callsFake((input: { Value: string }) => {
      stored = input.Value;
      return {};
    });
    ssm.on(GetParameterCommand).callsFake(() => ({ Parameter: { Name: '/mod/stage/model', Value: stored } }));
    const models = store();
    await models.writePointer(environment(), pointer);
    const put = ssm.commandCalls(PutParameterCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Name: '/mod/stage/model', Type: 'String', Overwrite: true });
    expect(await models.readPointer(environment())).toEqual(pointer);
  });

  it('uses aws.modelParameter when set; a missing parameter is no pointer, and clearing a missing one is fine', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    ssm.on(DeleteParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    const env = environment({ modelBucket: 'mod-models-test', modelParameter: '/shop/stage/model-pointer' });
    expect(await store().readPointer(env)).toBeNull();
    await store().clearPointer(env);
    expect(ssm.commandCalls(GetParameterCommand)[0]!.args[0].input.Name).toBe('/shop/stage/model-pointer');
    expect(ssm.commandCalls(DeleteParameterCommand)[0]!.args[0].input.Name).toBe('/shop/stage/model-pointer');
  });

  it('refuses a parameter that does not hold a pointer, naming it', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"schemaVersion":1}' } });
    const failure = await store()
      .readPointer(environment())
      .catch((error: unknown) => error);
    expect((failure as ModError).code).toBe('MODEL_POINTER_INVALID');
    expect((failure as ModError).message).toMatch(/^the model pointer of stage \(SSM parameter \/mod\/stage\/model\) cannot be read: model pointer is invalid/);
  });
});

describe('AwsModelStore.fetch', () => {
  it('downloads each file by its version into the cache, verifies it, and reuses it next time', async () => {
    const manifest = await readFile(path.join(MODEL_DIR, 'manifest.json'));
    const weights = await readFile(path.join(MODEL_DIR, 'weights.f32.gz'));
    const { checksum, version } = (await readModelArtifact(MODEL_DIR)).manifest;
    s3.on(GetObjectCommand, { Key: 'models/stage/x/manifest.json', VersionId: 'vm' }).resolves({ Body: body(manifest) });
    s3.on(GetObjectCommand, { Key: 'models/stage/x/weights.f32.gz', VersionId: 'vw' }).resolves({ Body: body(weights) });
    const ref = { version, checksum: checksum.value, location: 's3://mod-models-test/models/stage/x', objectVersions: { 'manifest.json': 'vm', 'weights.f32.gz': 'vw' } };
    const dir = await store().fetch(environment(), ref);
    expect(dir).toBe(path.join(cacheRoot, 'fixture-stage', `${version}-${checksum.value.slice(0, 12)}`));
    expect((await readModelArtifact(dir)).manifest.version).toBe(version);
    expect(await store().fetch(environment(), ref)).toBe(dir);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
  });

  it('refuses an artifact whose checksum is not the one the ref names', async () => {
    const manifest = await readFile(path.join(MODEL_DIR, 'manifest.json'));
    const weights = await readFile(path.join(MODEL_DIR, 'weights.f32.gz'));
    s3.on(GetObjectCommand, { Key: 'models/stage/x/manifest.json' }).resolves({ Body: body(manifest) });
    s3.on(GetObjectCommand, { Key: 'models/stage/x/weights.f32.gz' }).resolves({ Body: body(weights) });
    const failure = await store()
      .fetch(environment(), { version: 'v', checksum: 'e'.repeat(64), location: 's3://mod-models-test/models/stage/x' })
      .catch((error: unknown) => error);
    expect((failure as ModError).code).toBe('MODEL_ARTIFACT_INVALID');
  });
});

describe('AwsModelStore release records', () => {
  it('saves each record as releases/<env>/<id>.json and lists them newest first, across pages', async () => {
    const records = [record('m-20261201T100000Z-aaaaaa', '2026-12-01T10:00:00.000Z'), record('m-20261202T090000Z-bbbbbb', '2026-12-02T09:00:00.000Z'), record('m-20261202T100000Z-cccccc', '2026-12-02T10:00:00.000Z')];
    const models = store();
    s3.on(PutObjectCommand).resolves({});
    await models.saveRelease(environment(), records[0]!);
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'mod-models-test', Key: 'releases/stage/m-20261201T100000Z-aaaaaa.json', ContentType: 'application/json' });
    expect(JSON.parse(put.Body as string)).toEqual(records[0]);

    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({ Contents: [{ Key: `releases/stage/${records[1]!.deploymentId}.json` }, { Key: `releases/stage/${records[0]!.deploymentId}.json` }], IsTruncated: true, NextContinuationToken: 't2' });
    s3.on(ListObjectsV2Command, { ContinuationToken: 't2' }).resolves({ Contents: [{ Key: `releases/stage/${records[2]!.deploymentId}.json` }], IsTruncated: false });
    for (const r of records) s3.on(GetObjectCommand, { Key: `releases/stage/${r.deploymentId}.json` }).resolves({ Body: body(JSON.stringify(r)) });
    expect((await models.releases(environment())).map((r) => r.deploymentId)).toEqual(records.map((r) => r.deploymentId).reverse());
    expect((await models.releases(environment(), 1)).map((r) => r.deploymentId)).toEqual([records[2]!.deploymentId]);
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({ Bucket: 'mod-models-test', Prefix: 'releases/stage/' });
  });

  it('has no releases where no bucket is configured, and cannot reach instances', async () => {
    expect(await store().releases(environment({}))).toEqual([]);
    expect(await store().instanceModels(environment())).toBeUndefined();
    expect(s3.calls()).toHaveLength(0);
  });
});
