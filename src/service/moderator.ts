// Loads the classifier the service scores posts with: the shipped model
// (models/default) unless MODEL_DIR names another artifact.
import { Moderator } from '../moderation/moderator.js';
import path from 'node:path';
import { packageRoot } from '../moderation/datasets.js';

export async function loadModerator(options: { modelDir?: string; maxTextLength?: number } = {}): Promise<Moderator> {
  return Moderator.load(options.modelDir ?? path.join(packageRoot, 'models', 'default'), { maxTextLength: options.maxTextLength });
}
