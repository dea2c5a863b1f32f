// Opens the model source MODEL_SOURCE names (issue 13): file: (the local
// provider's pointer file) or ssm: (the AWS provider's parameter, with its
// artifacts in S3, downloaded to MODEL_CACHE_DIR). The AWS source is loaded
// only when configured, so the AWS SDK stays out of a local process.
import { ExitCode, ModError } from '../errors.js';
import type { ServiceConfig } from './config.js';
import { createFileModelSource } from './file-model-source.js';
import type { ModelSource, SsmModelSourceOptions } from './model-source.js';

/** The configured source; null when MODEL_SOURCE is unset (the bundled model decides). */
export async function openModelSource(config: Pick<ServiceConfig, 'modelSource' | 'modelCacheDir'>): Promise<ModelSource | null> {
  const setting = config.modelSource;
  if (setting === undefined) return null;
  if (setting.kind === 'file') return createFileModelSource(setting.path);
  let create: (options: SsmModelSourceOptions) => ModelSource;
  try {
    ({ createSsmModelSource: create } = await import('./aws-model-source.js'));
  } catch (error) {
    throw new ModError('SERVICE_CONFIG_INVALID', `MODEL_SOURCE=ssm:${setting.parameterName}: this build cannot read models from SSM/S3 (${(error as Error).message})`, {
      hint: 'use MODEL_SOURCE=file:<pointer path>, or unset MODEL_SOURCE for the bundled model',
      exitCode: ExitCode.Usage,
    });
  }
  return create({ parameterName: setting.parameterName, region: setting.region, cacheDir: config.modelCacheDir, ...(setting.endpoint ? { endpoint: setting.endpoint } : {}) });
}
