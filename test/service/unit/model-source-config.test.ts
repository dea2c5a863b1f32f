// Issue 13: MODEL_SOURCE, MODEL_POLL_MS and MODEL_CACHE_DIR are checked at
// start like the other service variables; the file source reads the pointer
// (no file: nothing released; a bad one: an error naming what is wrong).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServiceConfig, ServiceConfigError } from '../../../src/service/config.js';
import { createFileModelSource } from '../../../src/service/file-model-source.js';
import { openModelSource } from '../../../src/service/open-model-source.js';

const problems = (env: NodeJS.ProcessEnv): string[] => {
  try {
    parseServiceConfig(env, '/srv');
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceConfigError);
    return (error as ServiceConfigError).problems;
  }
};

describe('service configuration: the model source', () => {
  it('has no source by default (the bundled model), polls every 2 s for file: and 5 s for ssm:, caches under the data directory', () => {
    expect(parseServiceConfig({}, '/srv')).toMatchObject({ modelSource: undefined, modelPollMs: 2000, modelCacheDir: '/srv/.mod/data/models' });
    expect(parseServiceConfig({ MODEL_SOURCE: 'file:/state/envs/dev/models/pointer.json' }, '/srv')).toMatchObject({ modelSource: { kind: 'file', path: '/state/envs/dev/models/pointer.json' }, modelPollMs: 2000 });
    expect(parseServiceConfig({ MODEL_SOURCE: 'ssm:/mod/prod/model', AWS_REGION: 'eu-west-1', MOD_DATA_DIR: '/var/mod' }, '/srv')).toMatchObject({
      modelSource: { kind: 'ssm', parameterName: '/mod/prod/model', region: 'eu-west-1' },
      modelPollMs: 5000,
      modelCacheDir: '/var/mod/models',
    });
    expect(parseServiceConfig({ MODEL_SOURCE: 'file:/p.json', MODEL_POLL_MS: '250', MODEL_CACHE_DIR: 'cache' }, '/srv')).toMatchObject({ modelPollMs: 250, modelCacheDir: '/srv/cache' });
  });

  it('names a source it does not know and a poll interval out of range', () => {
    expect(problems({ MODEL_SOURCE: 's3://bucket/model' })).toEqual(['MODEL_SOURCE="s3://bucket/model": expected file:<path of the model pointer JSON> or ssm:<parameter name>, or unset for the bundled model']);
    expect(problems({ MODEL_SOURCE: 'file:' })).toHaveLength(1);
    expect(problems({ MODEL_POLL_MS: '10' })).toEqual(['MODEL_POLL_MS="10": expected a whole number from 100 to 600000']);
  });
});

describe('the file model source', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'mod-file-source-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('reads no file as nothing released, a valid pointer as it is, and refuses what is not a pointer', async () => {
    const file = path.join(tmp, 'pointer.json');
    const source = createFileModelSource(file);
    expect(source.description).toBe(`file:${file}`);
    expect(await source.read()).toBeNull();
    const live = { version: 'v2', checksum: 'a'.repeat(64), location: '/models/v2' };
    await writeFile(file, JSON.stringify({ schemaVersion: 1, environment: 'dev', releaseId: 'm-1', updatedAt: '2026-12-02T00:00:00Z', live }));
    expect(await source.read()).toMatchObject({ releaseId: 'm-1', live });
    expect(await source.materialise(live)).toBe('/models/v2');
    await writeFile(file, '{not json');
    await expect(source.read()).rejects.toThrow(/not JSON/);
    await writeFile(file, JSON.stringify({ schemaVersion: 1, environment: 'dev', releaseId: 'm-1', updatedAt: 'x' }));
    await expect(source.read()).rejects.toThrow(/model pointer is invalid: live/);
  });

  it('openModelSource: none without MODEL_SOURCE, the file source for file:', async () => {
    expect(await openModelSource({ modelSource: undefined, modelCacheDir: '/c' })).toBeNull();
    expect((await openModelSource({ modelSource: { kind: 'file', path: '/p.json' }, modelCacheDir: '/c' }))!.description).toBe('file:/p.json');
  });
});

describe('openModelSource: ssm:', () => {
  it('opens the SSM/S3 source for ssm: (loaded only then)', async () => {
    const source = await openModelSource({ modelSource: { kind: 'ssm', parameterName: '/mod/dev/model', region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }, modelCacheDir: '/tmp/mod-cache' });
    expect(source!.description).toContain('/mod/dev/model');
  });
});
