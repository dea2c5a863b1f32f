// The service's SSM/S3 model source (MODEL_SOURCE=ssm:<name>, issue 13)
// with the SDK mocked at its boundary: a missing parameter is no release, a
// value that is not a pointer is an error naming the parameter, and an
// artifact is downloaded by its object versions once, then read from the
// cache (a failed download leaves no half directory behind).
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRef } from '../../../src/moderation/model-pointer.js';
import { createSsmModelSource } from '../../../src/service/aws-model-source.js';

const s3 = mockClient(S3Client);
const ssm = mockClient(SSMClient);

function body(text: string) {
  return { transformToByteArray: async () => new Uint8Array(Buffer.from(text)) } as never;
}

let cacheDir: string;
beforeEach(async () => {
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'mod-ssm-source-'));
});
afterEach(async () => {
  s3.reset();
  ssm.reset();
  await rm(cacheDir, { recursive: true, force: true });
});

const source = () => createSsmModelSource({ parameterName: '/mod/stage/model', region: 'us-east-1', cacheDir });
const ref: ModelRef = { version: 'v7', checksum: 'f'.repeat(64), location: 's3://models-bucket/models/stage/v7-ffffffffffff', objectVersions: { 'manifest.json': 'vm', 'weights.f32.gz': 'vw' } };

describe('createSsmModelSource', () => {
  it('reads the pointer from the parameter; no parameter is no released model', async () => {
    const pointer = { schemaVersion: 1, environment: 'stage', releaseId: 'm-1', updatedAt: '2026-12-02T06:00:00.000Z', live: ref };
    ssm
      .on(GetParameterCommand, { Name: '/mod/stage/model' })
      .resolvesOnce({ Parameter: { Value: JSON.stringify(pointer) } })
      .rejects(new ParameterNotFound({ message: 'gone', $metadata: {} }));
    expect(await source().read()).toEqual(pointer);
    expect(await source().read()).toBeNull();
  });

  it('says which parameter holds something that is not a pointer, or could not be read', async () => {
    ssm
      .on(GetParameterCommand)
      .resolvesOnce({ Parameter: { Value: 'not json' } })
      .resolvesOnce({ Parameter: { Value: '{"schemaVersion":2}' } })
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await expect(source().read()).rejects.toThrow(/^the SSM parameter \/mod\/stage\/model is not JSON/);
    await expect(source().read()).rejects.toThrow(/^model pointer is invalid: schemaVersion/);
    await expect(source().read()).rejects.toThrow('ssm:GetParameter /mod/stage/model failed: AccessDeniedException: User is not authorized');
  });

  it('downloads each object by its version into <cacheDir>/<version>-<checksum12> once, then reuses it', async () => {
    s3.on(GetObjectCommand, { Bucket: 'models-bucket', Key: 'models/stage/v7-ffffffffffff/manifest.json', VersionId: 'vm' }).resolves({ Body: body('{"manifest":true}') });
    s3.on(GetObjectCommand, { Bucket: 'models-bucket', Key: 'models/stage/v7-ffffffffffff/weights.f32.gz', VersionId: 'vw' }).resolves({ Body: body('weights') });
    const dir = await source().materialise(ref);
    expect(dir).toBe(path.join(cacheDir, 'v7-ffffffffffff'));
    expect(await readFile(path.join(dir, 'manifest.json'), 'utf8')).toBe('{"manifest":true}');
    expect(await readFile(path.join(dir, 'weights.f32.gz'), 'utf8')).toBe('weights');
    expect(await source().materialise(ref)).toBe(dir);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(2);
  });

  it('leaves nothing in the cache when a download fails, naming the object and version', async () => {
    s3.on(GetObjectCommand, { Key: 'models/stage/v7-ffffffffffff/manifest.json' }).resolves({ Body: body('{}') });
    s3.on(GetObjectCommand, { Key: 'models/stage/v7-ffffffffffff/weights.f32.gz' }).rejects(Object.assign(new Error('The specified version does not exist.'), { name: 'NoSuchVersion' }));
    await expect(source().materialise(ref)).rejects.toThrow('s3:GetObject s3://models-bucket/models/stage/v7-ffffffffffff/weights.f32.gz (version vw) failed: NoSuchVersion: The specified version does not exist.');
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('refuses a ref whose location is not in S3', async () => {
    await expect(source().materialise({ ...ref, location: '/var/lib/mod/models/v7' })).rejects.toThrow('model v7: location /var/lib/mod/models/v7 is not s3://bucket/prefix');
  });
});
