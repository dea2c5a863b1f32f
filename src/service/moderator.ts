// Loads the classifier the service scores posts with: the shipped model
// (models/default) unless MODEL_DIR names another artifact, with the model's
// decision policy unless MODERATION_POLICY names a policy file over it.
import path from 'node:path';
import { packageRoot } from '../moderation/datasets.js';
import { modelPolicy } from '../moderation/model-artifact.js';
import { Moderator } from '../moderation/moderator.js';
import { applyPolicyOverrides, readPolicyFile } from '../moderation/policy-config.js';

export async function loadModerator(options: { modelDir?: string; maxTextLength?: number; policyFile?: string } = {}): Promise<Moderator> {
  const overrides = options.policyFile ? await readPolicyFile(options.policyFile) : undefined;
  return Moderator.load(options.modelDir ?? path.join(packageRoot, 'models', 'default'), (model) => ({
    maxTextLength: options.maxTextLength,
    ...(overrides ? { policy: applyPolicyOverrides(modelPolicy(model.manifest), overrides) } : {}),
  }));
}
