// Loads the classifier the service scores posts with: the shipped model
// (models/default) unless MODEL_DIR names another artifact, with the model's
// decision policy unless MODERATION_POLICY names a policy file over it.
import path from 'node:path';
import { packageRoot } from '../moderation/datasets.js';
import { loadModerator as loadModeratorFrom } from '../moderation/load-moderator.js';
import type { Moderator } from '../moderation/moderator.js';

export async function loadModerator(options: { modelDir?: string; maxTextLength?: number; policyFile?: string } = {}): Promise<Moderator> {
  return loadModeratorFrom(options.modelDir ?? path.join(packageRoot, 'models', 'default'), { maxTextLength: options.maxTextLength, policyFile: options.policyFile });
}
