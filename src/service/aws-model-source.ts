// The AWS model source of a service process (MODEL_SOURCE=ssm:<name>,
// issue 13): the pointer is the SSM parameter mod writes; the artifacts it
// names are S3 objects read by their VersionId and cached in
// <MODEL_CACHE_DIR>/<version>-<checksum12> (downloaded into a temporary
// directory, then renamed, so a cached directory is always whole). The
// service verifies the checksum when it loads the directory. Credentials
// come from the SDK's default chain (the instance role on EC2).
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertModelNames, parseModelPointer, type ModelPointer, type ModelRef } from '../moderation/model-pointer.js';
import type { ModelSource, SsmModelSourceOptions } from './model-source.js';

// The SDK warns that its releases after January 2027 need Node 22 (this build
// pins one that supports Node 20); the warning would break the service's
// one-JSON-line-per-event log. Setting the variable opts back in.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What a ref without object versions (not published by mod) is made of. */
const DEFAULT_FILES = ['manifest.json', 'weights.f32.gz'];

function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${(e?.message ?? String(error)).split('\n')[0]}`;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export function createSsmModelSource(options: SsmModelSourceOptions): ModelSource {
  const region = options.region ? { region: options.region } : {};
  const ssm = new SSMClient({ ...region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  // The endpoint serves S3 too unless it is SSM's own (AWS_ENDPOINT_URL_SSM); the
  // SDK reads AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL itself. An emulator has
  // no per-bucket host names: path-style addressing with any custom endpoint.
  const s3Endpoint = options.endpoint && options.endpoint !== process.env.AWS_ENDPOINT_URL_SSM ? options.endpoint : undefined;
  const pathStyle = Boolean(s3Endpoint || process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  const s3 = new S3Client({ ...region, ...(s3Endpoint ? { endpoint: s3Endpoint } : {}), ...(pathStyle ? { forcePathStyle: true } : {}) });
  const name = options.parameterName;

  async function download(ref: ModelRef, dir: string): Promise<void> {
    const match = /^s3:\/\/([^/]+)\/(.+?)\/?$/.exec(ref.location);
    if (!match) throw new Error(`model ${ref.version}: location ${ref.location} is not s3://bucket/prefix`);
    const [, bucket, prefix] = match as unknown as [string, string, string];
    const staging = `${dir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
    await mkdir(staging, { recursive: true });
    try {
      const files = ref.objectVersions && Object.keys(ref.objectVersions).length ? Object.keys(ref.objectVersions) : DEFAULT_FILES;
      for (const file of files) {
        const key = `${prefix}/${file}`;
        const versionId = ref.objectVersions?.[file];
        let bytes: Uint8Array;
        try {
          const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
          if (!object.Body) throw new Error('no body');
          bytes = await object.Body.transformToByteArray();
        } catch (error) {
          throw new Error(`s3:GetObject s3://${bucket}/${key}${versionId ? ` (version ${versionId})` : ''} failed: ${describeError(error)}`, { cause: error });
        }
        await writeFile(path.join(staging, path.basename(file)), bytes);
      }
      try {
        await rename(staging, dir);
      } catch (error) {
        // Another process of this machine cached it first: theirs is whole too.
        if (!(await exists(path.join(dir, 'manifest.json')))) throw error;
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  return {
    description: `ssm:${name}`,

    async read(): Promise<ModelPointer | null> {
      let value: string | undefined;
      try {
        value = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
      } catch (error) {
        // No parameter: nothing is released to the env (or the release was cleared).
        if ((error as { name?: string }).name === 'ParameterNotFound') return null;
        throw new Error(`ssm:GetParameter ${name} failed: ${describeError(error)}`, { cause: error });
      }
      if (value === undefined) return null;
      let json: unknown;
      try {
        json = JSON.parse(value);
      } catch (error) {
        throw new Error(`the SSM parameter ${name} is not JSON: ${(error as Error).message}`);
      }
      return parseModelPointer(json);
    },

    async materialise(ref: ModelRef): Promise<string> {
      assertModelNames(ref);
      const dir = path.join(options.cacheDir, `${ref.version}-${ref.checksum.slice(0, 12)}`);
      if (await exists(path.join(dir, 'manifest.json'))) return dir;
      await mkdir(options.cacheDir, { recursive: true });
      await download(ref, dir);
      return dir;
    },
  };
}
