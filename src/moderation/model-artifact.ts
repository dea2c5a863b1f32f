// Model artifacts on disk: a directory with manifest.json (version, created,
// training-data fingerprint, feature settings, metrics, thresholds, checksum)
// and the weights as gzipped little-endian float32. The checksum covers the
// weights file and every other manifest field, so a corrupt file or a
// hand-edited threshold is refused at load time.
//
// Format 2 is a softmax model over ok and the categories, with a reject
// threshold per category; format 1 (a binary logistic regression, e.g. the
// model a format-2 model replaced) is still read, as a two-class model whose
// NG has no category.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { TextClassifier } from './classifier.js';
import { ModelArtifactError } from './errors.js';
import { CATEGORIES, type Category } from './categories.js';
import { uniformPolicy, type DecisionPolicy } from './policy.js';
import { SoftmaxRegression } from './softmax-regression.js';
import type { TrainedModel, TrainingSummary } from './training.js';

export const MODEL_FORMAT = 'mod-moderation-model';
export const MODEL_FORMAT_VERSION = 2;
const READABLE_FORMAT_VERSIONS = [1, 2];
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.f32.gz';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const probability = z.number().min(0).max(1);

const manifestSchema = z.strictObject({
  format: z.literal(MODEL_FORMAT),
  formatVersion: z.number().int(),
  version: z.string().min(1),
  created: z.string(),
  training: z.strictObject({
    data: z.string(),
    fingerprint: z.string(),
    examples: z.number().int(),
    ok: z.number().int(),
    ng: z.number().int(),
    duplicatesRemoved: z.number().int(),
    conflictingLabels: z.number().int(),
    /** Examples per class (ok, each category, ng of no known category); format 2. */
    classes: z.record(z.string(), z.number().int()).optional(),
    trainExamples: z.number().int(),
    heldOutExamples: z.number().int(),
    seed: z.number().int(),
    testFraction: z.number(),
    folds: z.number().int(),
    seconds: z.number(),
    /** Issue 13: the moderators' labels merged in (`mod model train --from-db`); absent in older manifests. */
    labels: z
      .strictObject({
        source: z.literal('database'),
        environment: z.string().min(1),
        count: z.number().int().min(0),
        from: z.string().nullable(),
        to: z.string().nullable(),
        fingerprint: z.string(),
        conflictsExcluded: z.number().int().min(0),
        /** Labels left out because their text is in the model gate's check set; absent in older manifests. */
        checkSetExcluded: z.number().int().min(0).optional(),
        replacedRepoLabels: z.number().int().min(0),
      })
      .optional(),
  }),
  features: z.strictObject({
    bits: z.number().int().min(10).max(24),
    charNgramMin: z.number().int().min(0).max(8),
    charNgramMax: z.number().int().min(0).max(8),
    wordNgramMax: z.number().int().min(0).max(3),
    ruleFeatures: z.boolean(),
    maxChars: z.number().int().positive(),
    numberShapes: z.boolean().optional(),
    lengthFeature: z.boolean().optional(),
  }),
  model: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('logistic-regression'),
      optimizer: z.literal('adagrad'),
      learningRate: finite,
      epochs: z.number().int(),
      l2: finite,
      seed: z.number().int(),
      bias: finite,
    }),
    z.strictObject({
      kind: z.literal('softmax-regression'),
      classes: z.array(z.string()).min(2),
      optimizer: z.literal('adagrad'),
      learningRate: finite,
      epochs: z.number().int(),
      l2: finite,
      seed: z.number().int(),
      biases: z.array(finite),
    }),
  ]),
  calibration: z.strictObject({ method: z.literal('platt'), a: finite, b: finite }),
  thresholds: z.strictObject({
    approveBelow: probability,
    rejectAbove: probability,
    /** Format 2: the reject threshold of each category. */
    categories: z.record(z.string(), probability).optional(),
    targets: z.record(z.string(), probability),
  }),
  metrics: z.record(z.string(), z.unknown()),
  weights: z.strictObject({ file: z.string(), encoding: z.literal('float32le+gzip'), length: z.number().int().positive() }),
  checksum: z.strictObject({ algorithm: z.literal('sha256'), value: z.string().regex(/^[0-9a-f]{64}$/) }),
});

export type ModelManifest = z.infer<typeof manifestSchema>;
/** Where the moderators' labels a model trained on came from (manifest training.labels). */
export type TrainingLabelsRecord = NonNullable<ModelManifest['training']['labels']>;

/** What the manifest records beyond the trained model itself. */
export interface PackOptions {
  /** The moderators' labels merged into the training data (`--from-db`). */
  labels?: TrainingLabelsRecord;
}

export interface LoadedModel {
  /** The artifact directory. */
  path: string;
  manifest: ModelManifest;
  classifier: TextClassifier;
}

/** JSON with object keys sorted, so the checksum does not depend on key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function checksumOf(manifestWithoutChecksum: Omit<ModelManifest, 'checksum'>, weightsFile: Buffer): string {
  return createHash('sha256').update(weightsFile).update('\n').update(canonicalJson(manifestWithoutChecksum)).digest('hex');
}

function metricsJson(metrics: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(metrics, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as Record<string, unknown>;
}

function weightsBytes(weights: Float32Array): Buffer {
  const raw = Buffer.alloc(weights.length * 4);
  for (let i = 0; i < weights.length; i++) raw.writeFloatLE(weights[i] as number, i * 4);
  return gzipSync(raw, { level: 9 });
}

/** Builds the manifest and weight bytes of a trained model (nothing written yet). */
export function packModel(trained: TrainedModel, created: Date = new Date(), options: PackOptions = {}): { manifest: ModelManifest; weights: Buffer } {
  const weights = weightsBytes(trained.classifier.model.weights);
  const day = created.toISOString().slice(0, 10).replaceAll('-', '');
  const weightsHash = createHash('sha256').update(weights).digest('hex').slice(0, 8);
  const summary: TrainingSummary = { ...trained.summary, seconds: Math.round(trained.summary.seconds * 100) / 100 };
  const body: Omit<ModelManifest, 'checksum'> = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    version: `${day}-${weightsHash}`,
    created: created.toISOString(),
    training: options.labels ? { ...summary, labels: options.labels } : summary,
    features: trained.features,
    model: {
      kind: 'softmax-regression',
      classes: [...trained.classifier.classes],
      optimizer: 'adagrad',
      learningRate: trained.training.learningRate,
      epochs: trained.training.epochs,
      l2: trained.training.l2,
      seed: trained.training.seed,
      biases: [...trained.classifier.model.biases],
    },
    calibration: trained.calibration,
    thresholds: { ...trained.thresholds, targets: { ...trained.targets } },
    metrics: metricsJson({ ...trained.metrics, decisions: trained.decisions }),
    weights: { file: WEIGHTS_FILE, encoding: 'float32le+gzip', length: trained.classifier.model.weights.length },
  };
  return { manifest: { ...body, checksum: { algorithm: 'sha256', value: checksumOf(body, weights) } }, weights };
}

/** Writes the artifact into `dir` (created; an existing artifact there is replaced whole). */
export async function writeModelArtifact(dir: string, trained: TrainedModel, created?: Date, options: PackOptions = {}): Promise<ModelManifest> {
  const { manifest, weights } = packModel(trained, created, options);
  const staging = `${dir.replace(/[\\/]+$/, '')}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(path.join(staging, WEIGHTS_FILE), weights);
  await writeFile(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(path.resolve(dir)), { recursive: true });
  await rename(staging, dir);
  return manifest;
}

/** Reads and verifies an artifact directory (or its manifest.json). */
export async function readModelArtifact(location: string): Promise<LoadedModel> {
  const dir = path.basename(location) === MANIFEST_FILE ? path.dirname(location) : location;
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR';
    throw new ModelArtifactError(dir, missing ? `no ${MANIFEST_FILE} here: not a model artifact` : `cannot read ${MANIFEST_FILE}: ${(error as Error).message}`, 'pass the directory `mod model train --out` wrote', error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelArtifactError(dir, `${MANIFEST_FILE} is not valid JSON (${(error as Error).message})`, 'the artifact is corrupt: train it again', error);
  }
  const header = json as { format?: unknown; formatVersion?: unknown };
  if (header?.format !== MODEL_FORMAT) throw new ModelArtifactError(dir, `${MANIFEST_FILE} is not a ${MODEL_FORMAT} manifest`);
  if (!READABLE_FORMAT_VERSIONS.includes(header.formatVersion as number)) {
    throw new ModelArtifactError(dir, `format version ${String(header.formatVersion)} is not supported (this mod reads versions ${READABLE_FORMAT_VERSIONS.join(' and ')})`, 'train the model again with this version of mod, or use the mod that wrote it');
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelArtifactError(dir, `${MANIFEST_FILE}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`, 'the artifact is corrupt: train it again');
  }
  const manifest = parsed.data;
  if (manifest.weights.file.includes('/') || manifest.weights.file.includes('\\')) throw new ModelArtifactError(dir, 'weights.file must be a file name inside the artifact');
  let weightsFile: Buffer;
  try {
    weightsFile = await readFile(path.join(dir, manifest.weights.file));
  } catch (error) {
    throw new ModelArtifactError(dir, `cannot read ${manifest.weights.file}: ${(error as Error).message}`, 'the artifact is incomplete: train it again', error);
  }
  const { checksum, ...body } = manifest;
  if (checksumOf(body, weightsFile) !== checksum.value) {
    throw new ModelArtifactError(dir, 'checksum mismatch: the weights or the manifest changed after training', 'do not edit artifacts by hand; train the model again');
  }
  const classes = manifest.model.kind === 'softmax-regression' ? manifest.model.classes : ['ok', 'ng'];
  if (manifest.model.kind === 'softmax-regression' && manifest.model.biases.length !== classes.length) throw new ModelArtifactError(dir, `model.biases has ${manifest.model.biases.length} entries for ${classes.length} classes`);
  // A format-1 file holds one weight per feature (the NG log-odds).
  const perFeature = manifest.model.kind === 'softmax-regression' ? classes.length : 1;
  const expected = (1 << manifest.features.bits) * perFeature;
  if (manifest.weights.length !== expected) throw new ModelArtifactError(dir, `weights.length ${manifest.weights.length} does not match features.bits ${manifest.features.bits}`);
  let raw: Buffer;
  try {
    raw = gunzipSync(weightsFile);
  } catch (error) {
    throw new ModelArtifactError(dir, `${manifest.weights.file} is not valid gzip`, 'the artifact is corrupt: train it again', error);
  }
  if (raw.length !== expected * 4) throw new ModelArtifactError(dir, `${manifest.weights.file} holds ${raw.length} bytes, expected ${expected * 4}`);
  const stored = new Float32Array(expected);
  for (let i = 0; i < expected; i++) stored[i] = raw.readFloatLE(i * 4);
  let model: SoftmaxRegression;
  if (manifest.model.kind === 'softmax-regression') {
    model = new SoftmaxRegression(classes.length, stored, Float64Array.from(manifest.model.biases));
  } else {
    // Binary log-odds z as two classes with logits (0, z): softmax gives sigmoid(z) for NG.
    const weights = new Float32Array(expected * 2);
    for (let i = 0; i < expected; i++) weights[i * 2 + 1] = stored[i] as number;
    model = new SoftmaxRegression(2, weights, Float64Array.from([0, manifest.model.bias]));
  }
  const features = { ...manifest.features, numberShapes: manifest.features.numberShapes ?? false, lengthFeature: manifest.features.lengthFeature ?? false };
  return { path: dir, manifest, classifier: new TextClassifier(features, model, manifest.calibration, classes) };
}

/** The policy a model ships with: its thresholds, every category allowed to auto-reject. */
export function modelPolicy(manifest: ModelManifest): DecisionPolicy {
  const t = manifest.thresholds;
  const perCategory: Partial<Record<Category, number>> = {};
  for (const c of CATEGORIES) {
    const v = t.categories?.[c];
    if (v !== undefined) perCategory[c] = v;
  }
  return uniformPolicy(t.approveBelow, t.rejectAbove, perCategory);
}
