// The local provider's ModelStore (issue 13): an env's released models live in
// its state directory, apart from any code bundle, so `mod stop` and a
// redeploy keep them. Artifacts are copied to models/artifacts/<version>-<12
// of the checksum> (whole or not at all: a temp dir renamed into place); the
// pointer the instances poll (MODEL_SOURCE=file:<it>) is replaced atomically;
// each release record is one JSON file in models/releases. What an instance
// decides with is what its process says on the health path (/healthz `model`).
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Environment } from '../../config.js';
import type { DeploymentRecord } from '../../deployment.js';
import type { InstanceModel, ModelStore } from '../../model/model-store.js';
import type { StatePaths } from '../../state-paths.js';
import { parseModelPointer, type ModelPointer, type ModelRef } from '../../../moderation/model-pointer.js';
import { ModError } from '../../../errors.js';
import { ModelPointerInvalidError } from '../../model/model-pointer-error.js';
import { readJson, writeJsonAtomic } from '../../json-file.js';
import { listInstances } from './local-instances.js';
import { askRunning } from './local-status.js';

const MANIFEST_FILE = 'manifest.json';
const DEFAULT_WEIGHTS_FILE = 'weights.f32.gz';

/** How a problem that does not stop the command is told (a corrupt release record). */
export type Warn = (message: string) => void;

const warnOnStderr: Warn = (message) => process.stderr.write(`warning: ${message}\n`);

export class LocalModelStore implements ModelStore {
  constructor(
    readonly paths: StatePaths,
    private readonly warn: Warn = warnOnStderr,
  ) {}

  async publish(environment: Environment, dir: string, manifest: { version: string; checksum: string }): Promise<ModelRef> {
    const name = artifactDirName(manifest);
    const artifacts = path.resolve(this.paths.models(environment.name));
    const target = path.join(artifacts, name);
    const ref: ModelRef = { version: manifest.version, checksum: manifest.checksum, location: target };
    const source = path.resolve(dir);
    // Only a complete copy is ever renamed into place: a directory there is a published model, reused
    // when its bytes are the source's (or the source is gone); a copy changed since is replaced.
    if (await isDirectory(target)) {
      const same = await sameFiles(source, target);
      if (same !== false) return ref;
      await rm(target, { recursive: true, force: true });
    }

    const files = await artifactFiles(source, manifest.checksum);
    await mkdir(artifacts, { recursive: true });
    const staging = path.join(artifacts, `.tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(staging);
      for (const file of files) await copyFile(path.join(source, file), path.join(staging, file));
      await rename(staging, target);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      // Another mod published the same model meanwhile: its copy is as good as ours.
      if (await isDirectory(target)) return ref;
      throw new ModError('MODEL_ARTIFACT_INVALID', `cannot publish model ${manifest.version} to ${target}: ${(error as Error).message}`, {
        hint: `check that ${artifacts} is writable and the disk has room, then release again`,
        cause: error,
      });
    }
    return ref;
  }

  async fetch(_environment: Environment, ref: ModelRef): Promise<string> {
    return ref.location;
  }

  async readPointer(environment: Environment): Promise<ModelPointer | null> {
    const file = path.resolve(this.paths.modelPointer(environment.name));
    let value: unknown;
    try {
      value = await readJson<unknown>(file);
    } catch (error) {
      throw new ModelPointerInvalidError(environment, file, (error as Error).message, error);
    }
    if (value === undefined) return null;
    try {
      return parseModelPointer(value);
    } catch (error) {
      throw new ModelPointerInvalidError(environment, file, (error as Error).message, error);
    }
  }

  async writePointer(environment: Environment, pointer: ModelPointer): Promise<void> {
    // Checked before it replaces the one the instances read: they never see an invalid pointer.
    const checked = parseModelPointer(pointer);
    await writeJsonAtomic(path.resolve(this.paths.modelPointer(environment.name)), checked);
  }

  async clearPointer(environment: Environment): Promise<void> {
    await rm(path.resolve(this.paths.modelPointer(environment.name)), { force: true });
  }

  async releases(environment: Environment, limit = 50): Promise<DeploymentRecord[]> {
    const dir = this.paths.modelReleases(environment.name);
    const files = (await readdir(dir).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .reverse();
    const records: DeploymentRecord[] = [];
    for (const file of files) {
      // Ids start with their UTC stamp; ids made in the same second may be out of order by their suffix: read a few extra.
      if (records.length >= limit + 5) break;
      const full = path.join(dir, file);
      let record: DeploymentRecord | undefined;
      try {
        record = await readJson<DeploymentRecord>(full);
      } catch (error) {
        this.warn(`model release record ${full} is unreadable (${(error as Error).message}); it is left out of the history. Move it away or delete it to silence this warning.`);
        continue;
      }
      if (!record || typeof record !== 'object' || typeof record.deploymentId !== 'string' || typeof record.startedAt !== 'string') {
        this.warn(`model release record ${full} is not a release record (no deploymentId or startedAt); it is left out of the history. Move it away or delete it to silence this warning.`);
        continue;
      }
      records.push(record);
    }
    records.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.deploymentId.localeCompare(a.deploymentId));
    return records.slice(0, limit);
  }

  async saveRelease(environment: Environment, record: DeploymentRecord): Promise<void> {
    if (!/^[\w.-]+$/.test(record.deploymentId) || record.deploymentId.startsWith('.')) {
      throw new Error(`a model release id must be letters, digits, '.', '_' or '-' (got ${JSON.stringify(record.deploymentId)})`);
    }
    await writeJsonAtomic(path.join(this.paths.modelReleases(environment.name), `${record.deploymentId}.json`), record);
  }

  async instanceModels(environment: Environment): Promise<InstanceModel[]> {
    const instances = await listInstances(this.paths.instances(environment.name));
    return Promise.all(
      instances.map(async (instance) => {
        const running = await askRunning(`http://127.0.0.1:${instance.port}${environment.healthCheck.path}`);
        return { instanceId: instance.id, model: running?.model ?? null };
      }),
    );
  }
}

/** `<version>-<first 12 of the checksum>`: one directory per version and checksum, safe as a file name. */
export function artifactDirName(manifest: { version: string; checksum: string }): string {
  if (!/^[\w.-]+$/.test(manifest.version) || /^\.+$/.test(manifest.version)) {
    throw new ModError('MODEL_ARTIFACT_INVALID', `model version ${JSON.stringify(manifest.version)} cannot name a directory: a version is letters, digits, '.', '_' or '-'`, {
      hint: 'release an artifact `mod model train` wrote (its manifest names its version)',
    });
  }
  const digest = checksumDigest(manifest.checksum).slice(0, 12);
  if (!digest) throw new ModError('MODEL_ARTIFACT_INVALID', `model ${manifest.version} has no usable checksum (${JSON.stringify(manifest.checksum)})`, { hint: 'release an artifact `mod model train` wrote' });
  return `${manifest.version}-${digest}`;
}

/** The checksum's hex digits, without an `sha256:` prefix. */
function checksumDigest(checksum: string): string {
  return checksum
    .slice(checksum.lastIndexOf(':') + 1)
    .replace(/[^0-9a-zA-Z]/g, '')
    .toLowerCase();
}

/** The files an artifact is made of (its manifest and the weights it names), checked to be there and to be the checksum's. */
async function artifactFiles(dir: string, checksum: string): Promise<string[]> {
  let manifest: { checksum?: { value?: unknown }; weights?: { file?: unknown } } | undefined;
  try {
    manifest = await readJson(path.join(dir, MANIFEST_FILE));
  } catch (error) {
    throw new ModError('MODEL_ARTIFACT_INVALID', `${path.join(dir, MANIFEST_FILE)} cannot be read: ${(error as Error).message}`, { hint: 'the artifact is corrupt: train it again', cause: error });
  }
  if (!manifest) throw new ModError('MODEL_ARTIFACT_INVALID', `${dir}: no ${MANIFEST_FILE} here: not a model artifact`, { hint: 'pass the directory `mod model train --out` wrote' });
  const recorded = typeof manifest.checksum?.value === 'string' ? manifest.checksum.value : undefined;
  if (recorded !== undefined && checksumDigest(recorded) !== checksumDigest(checksum)) {
    throw new ModError('MODEL_ARTIFACT_INVALID', `${dir}: its manifest's checksum ${recorded.slice(0, 12)} is not the one released (${checksumDigest(checksum).slice(0, 12)})`, {
      hint: 'the artifact changed after it was checked: release it again',
    });
  }
  const weights = typeof manifest.weights?.file === 'string' && /^[\w.-]+$/.test(manifest.weights.file) ? manifest.weights.file : DEFAULT_WEIGHTS_FILE;
  if (!(await stat(path.join(dir, weights)).catch(() => undefined))?.isFile()) {
    throw new ModError('MODEL_ARTIFACT_INVALID', `${dir}: ${weights} is missing: the artifact is incomplete`, { hint: 'train the model again' });
  }
  return [MANIFEST_FILE, weights];
}

/** Whether `target` holds the artifact files of `source` byte for byte; undefined when the source cannot be read (nothing to compare with). */
async function sameFiles(source: string, target: string): Promise<boolean | undefined> {
  const manifest = await readFile(path.join(source, MANIFEST_FILE)).catch(() => undefined);
  if (!manifest) return undefined;
  let weights = DEFAULT_WEIGHTS_FILE;
  try {
    const file = (JSON.parse(manifest.toString('utf8')) as { weights?: { file?: unknown } }).weights?.file;
    if (typeof file === 'string' && /^[\w.-]+$/.test(file)) weights = file;
  } catch {
    return undefined;
  }
  for (const file of [MANIFEST_FILE, weights]) {
    const [a, b] = await Promise.all([readFile(path.join(source, file)).catch(() => undefined), readFile(path.join(target, file)).catch(() => undefined)]);
    if (!a) return undefined;
    if (!b || !a.equals(b)) return false;
  }
  return true;
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined))?.isDirectory() ?? false;
}
