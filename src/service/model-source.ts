// Where a service process finds the env's released model (issue 13): the
// pointer mod writes (MODEL_SOURCE), and the artifact it names as a local
// directory. Declared here, by the model watcher that polls it; the file
// source (file-model-source.ts, the local provider) and the SSM/S3 source
// (aws-model-source.ts) implement it.
import type { ModelPointer, ModelRef } from '../moderation/model-pointer.js';

export interface ModelSource {
  /** For logs and /healthz: `file:/...` or `ssm:/mod/stage/model`. */
  readonly description: string;
  /** The pointer now; null when no model is released (the bundled model decides). Throws when it cannot be read or is invalid. */
  read(): Promise<ModelPointer | null>;
  /** A local directory holding the artifact `ref` names (downloaded and cached when remote). */
  materialise(ref: ModelRef): Promise<string>;
}

/** What the SSM/S3 source needs (aws-model-source.ts exports `createSsmModelSource(options)`). */
export interface SsmModelSourceOptions {
  parameterName: string;
  region?: string;
  /** Downloaded artifacts, one directory per version and checksum. */
  cacheDir: string;
  /** Tests: an emulator (moto) endpoint. */
  endpoint?: string;
}
