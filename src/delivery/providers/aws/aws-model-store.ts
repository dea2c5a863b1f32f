// The AWS ModelStore (issue 13). Artifacts go to a versioned S3 bucket
// (aws.modelBucket) under models/<env>/<version>-<checksum12>/, and a ref
// names the S3 VersionId of each file, so a release names exact bytes. The
// pointer is an SSM String parameter (aws.modelParameter, default
// /mod/<env>/model) that the instances poll (MODEL_SOURCE=ssm:<name>);
// model release records are JSON objects under releases/<env>/. mod cannot
// reach the instances, so instanceModels is undefined.
import { GetBucketVersioningCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, ModError } from '../../../errors.js';
import { MANIFEST_FILE, readModelArtifact, WEIGHTS_FILE } from '../../../moderation/model-artifact.js';
import { assertModelNames, parseModelPointer, type ModelPointer, type ModelRef } from '../../../moderation/model-pointer.js';
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import { ModelPointerInvalidError } from '../../model/model-pointer-error.js';
import type { InstanceModel, ModelStore } from '../../model/model-store.js';
import type { AwsContext } from './aws-context.js';

/** The files of an artifact, uploaded in this order (the manifest last: its presence marks a complete upload). */
const ARTIFACT_FILES = [WEIGHTS_FILE, MANIFEST_FILE];

/** The SDK error behind a ModError from AwsClients.call (its cause). */
function sdkErrorName(error: unknown): string | undefined {
  const cause = error instanceof ModError ? error.cause : error;
  return (cause as { name?: string } | undefined)?.name;
}

/** Runs a call; an error whose SDK name is in `names` (or an S3 404) gives null. */
async function orNull<T>(call: Promise<T>, names: string[]): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    const cause = (error instanceof ModError ? error.cause : error) as { $metadata?: { httpStatusCode?: number } } | undefined;
    if (names.includes(sdkErrorName(error) ?? '') || cause?.$metadata?.httpStatusCode === 404) return null;
    throw error;
  }
}

/** s3://bucket/prefix -> its parts. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.+?)\/?$/.exec(location);
  if (!match) throw new ModError('MODEL_ARTIFACT_INVALID', `model location ${location} is not an s3://bucket/prefix location`, { hint: 'the release was published by another provider: publish it again on this environment' });
  return { bucket: match[1]!, prefix: match[2]! };
}

export class AwsModelStore implements ModelStore {
  /** Buckets whose versioning was checked (once per bucket and process). */
  private readonly versioned = new Set<string>();

  /** `cacheRoot`: where fetch downloads artifacts (default <tmpdir>/mod-models). */
  constructor(
    readonly context: (env: Environment) => AwsContext,
    private readonly cacheRoot: string = path.join(os.tmpdir(), 'mod-models'),
  ) {}

  private bucket(env: Environment): string {
    const bucket = this.context(env).names.modelBucket;
    if (!bucket) {
      throw new ConfigError('mod.config.yml', `environments.${env.name}.aws.modelBucket`, 'is not set: model releases on AWS upload to a versioned S3 bucket', `set environments.${env.name}.aws.modelBucket to a bucket with versioning enabled (README: Models on AWS)`);
    }
    return bucket;
  }

  private async ensureVersioned(env: Environment, bucket: string): Promise<void> {
    if (this.versioned.has(bucket)) return;
    const { clients } = this.context(env);
    const answer = await clients.call(clients.s3, new GetBucketVersioningCommand({ Bucket: bucket }), `s3://${bucket}`);
    if (answer.Status !== 'Enabled') {
      throw new ModError('MODEL_BUCKET_UNVERSIONED', `the model bucket ${bucket} does not have versioning enabled (status: ${answer.Status ?? 'never enabled'}): a release must name exact object versions`, {
        hint: `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`,
      });
    }
    this.versioned.add(bucket);
  }

  async ready(environment: Environment): Promise<void> {
    await this.ensureVersioned(environment, this.bucket(environment));
  }

  async publish(environment: Environment, dir: string, manifest: { version: string; checksum: string }): Promise<ModelRef> {
    assertModelNames(manifest);
    const bucket = this.bucket(environment);
    await this.ensureVersioned(environment, bucket);
    const { clients, all } = this.context(environment);
    const prefix = `models/${environment.name}/${manifest.version}-${manifest.checksum.slice(0, 12)}`;
    const ref = (objectVersions: Record<string, string>): ModelRef => ({ version: manifest.version, checksum: manifest.checksum, location: `s3://${bucket}/${prefix}`, objectVersions });

    // The bytes of each file, and their SHA-256 as S3 keeps it (base64): S3 checks an upload against it and returns it on HeadObject.
    const files = await Promise.all(ARTIFACT_FILES.map(async (file) => ({ file, body: await readFile(path.join(dir, file)) })));
    const sums = files.map(({ body }) => createHash('sha256').update(body).digest('base64'));
    const md5s = files.map(({ body }) => `"${createHash('md5').update(body).digest('hex')}"`);
    // S3's SHA-256 of the object where it keeps one; else its size and ETag (the MD5 of a single-part upload without KMS: any other ETag is not vouched for).
    const sameBytes = (head: HeadObjectCommandOutput, i: number) => (head.ChecksumSHA256 !== undefined ? head.ChecksumSHA256 === sums[i] : head.ContentLength === files[i]!.body.length && head.ETag === md5s[i]);

    // Published before with the same checksum and the same bytes: the same ref, nothing uploaded.
    // An object whose bytes S3 cannot vouch for is uploaded again: a new version.
    const heads = await all(ARTIFACT_FILES.map((file) => () => orNull(clients.call(clients.s3, new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}/${file}`, ChecksumMode: 'ENABLED' }), `s3://${bucket}/${prefix}/${file}`), ['NotFound', 'NoSuchKey'])));
    if (heads.every((head, i) => head?.VersionId && head.Metadata?.checksum === manifest.checksum && sameBytes(head, i))) {
      return ref(Object.fromEntries(ARTIFACT_FILES.map((file, i) => [file, heads[i]!.VersionId!])));
    }

    const objectVersions: Record<string, string> = {};
    for (const [i, { file, body }] of files.entries()) {
      const key = `${prefix}/${file}`;
      const put = await clients.call(
        clients.s3,
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ChecksumSHA256: sums[i],
          ContentType: file === MANIFEST_FILE ? 'application/json' : 'application/gzip',
          Metadata: { version: manifest.version, checksum: manifest.checksum },
        }),
        `s3://${bucket}/${key}`,
      );
      if (!put.VersionId) throw new ModError('MODEL_BUCKET_UNVERSIONED', `s3://${bucket}/${key} was stored without a version id: the bucket's versioning is off`, { hint: `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled` });
      if (put.ChecksumSHA256 !== undefined && put.ChecksumSHA256 !== sums[i]) {
        throw new ModError('MODEL_ARTIFACT_INVALID', `s3://${bucket}/${key} (version ${put.VersionId}) was stored with SHA-256 ${put.ChecksumSHA256}, not the ${sums[i]} of ${path.join(dir, file)}: the upload cannot be verified`, {
          hint: 'release again; if it repeats, check what rewrites objects in the bucket',
        });
      }
      objectVersions[file] = put.VersionId;
    }
    return ref(objectVersions);
  }

  async fetch(environment: Environment, ref: ModelRef): Promise<string> {
    assertModelNames(ref);
    const { bucket, prefix } = parseS3Location(ref.location);
    const dir = path.join(this.cacheRoot, `${environment.app}-${environment.name}`, `${ref.version}-${ref.checksum.slice(0, 12)}`);
    const cached = await readModelArtifact(dir).catch(() => null);
    if (cached?.manifest.checksum.value === ref.checksum) return dir;

    const { clients } = this.context(environment);
    const staging = `${dir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
    await mkdir(staging, { recursive: true });
    try {
      for (const file of Object.keys(ref.objectVersions ?? {}).length ? Object.keys(ref.objectVersions!) : ARTIFACT_FILES) {
        const key = `${prefix}/${file}`;
        const versionId = ref.objectVersions?.[file];
        const object = await clients.call(clients.s3, new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }), `s3://${bucket}/${key}${versionId ? `?versionId=${versionId}` : ''}`);
        if (!object.Body) throw new ModError('AWS_ERROR', `s3://${bucket}/${key} came back without a body`);
        await writeFile(path.join(staging, path.basename(file)), await object.Body.transformToByteArray());
      }
      const loaded = await readModelArtifact(staging);
      if (loaded.manifest.checksum.value !== ref.checksum) {
        throw new ModError('MODEL_ARTIFACT_INVALID', `${ref.location} holds checksum ${loaded.manifest.checksum.value.slice(0, 12)}, the release names ${ref.checksum.slice(0, 12)}`, { hint: 'publish the model again' });
      }
      await rm(dir, { recursive: true, force: true });
      await rename(staging, dir);
      return dir;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async readPointer(environment: Environment): Promise<ModelPointer | null> {
    const { clients, names } = this.context(environment);
    const answer = await orNull(clients.call(clients.ssm, new GetParameterCommand({ Name: names.modelParameter }), `parameter ${names.modelParameter}`), ['ParameterNotFound']);
    const value = answer?.Parameter?.Value;
    if (value === undefined) return null;
    try {
      return parseModelPointer(JSON.parse(value));
    } catch (error) {
      throw new ModelPointerInvalidError(environment, `SSM parameter ${names.modelParameter}`, (error as Error).message, error);
    }
  }

  async writePointer(environment: Environment, pointer: ModelPointer): Promise<void> {
    const { clients, names } = this.context(environment);
    // One PutParameter replaces the whole value: an instance reads the old pointer or the new one.
    await clients.call(
      clients.ssm,
      new PutParameterCommand({ Name: names.modelParameter, Type: 'String', Overwrite: true, Value: JSON.stringify(pointer), Description: `mod: the model pointer of ${environment.app} ${environment.name}` }),
      `parameter ${names.modelParameter}`,
    );
  }

  async clearPointer(environment: Environment): Promise<void> {
    const { clients, names } = this.context(environment);
    await orNull(clients.call(clients.ssm, new DeleteParameterCommand({ Name: names.modelParameter }), `parameter ${names.modelParameter}`), ['ParameterNotFound']);
  }

  async releases(environment: Environment, limit = 50): Promise<DeploymentRecord[]> {
    // No bucket: nothing was ever released to the env (publish needs one).
    const bucket = this.context(environment).names.modelBucket;
    if (!bucket) return [];
    const { clients, all } = this.context(environment);
    const prefix = `releases/${environment.name}/`;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await clients.call(clients.s3, new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }), `s3://${bucket}/${prefix}`);
      for (const object of page.Contents ?? []) if (object.Key?.endsWith('.json')) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    // Release ids (m-<UTC stamp>-<random6>) sort by time: only the newest `limit` are read.
    keys.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    const records = await all(
      keys.slice(0, limit).map((key) => async () => {
        const object = await orNull(clients.call(clients.s3, new GetObjectCommand({ Bucket: bucket, Key: key }), `s3://${bucket}/${key}`), ['NoSuchKey']);
        if (!object?.Body) return null;
        try {
          return JSON.parse(await object.Body.transformToString('utf8')) as DeploymentRecord;
        } catch {
          return null; // A record that is not JSON is skipped, as the other providers' histories do.
        }
      }),
    );
    return records
      .filter((record): record is DeploymentRecord => record !== null)
      .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.deploymentId.localeCompare(a.deploymentId))
      .slice(0, limit);
  }

  async saveRelease(environment: Environment, record: DeploymentRecord): Promise<void> {
    const bucket = this.bucket(environment);
    const { clients } = this.context(environment);
    const key = `releases/${environment.name}/${record.deploymentId}.json`;
    await clients.call(clients.s3, new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${JSON.stringify(record, null, 2)}\n`, ContentType: 'application/json' }), `s3://${bucket}/${key}`);
  }

  /** Instances are not reachable from mod on AWS: they poll the parameter within MODEL_POLL_MS. */
  async instanceModels(_environment: Environment): Promise<InstanceModel[] | undefined> {
    return undefined;
  }
}
