// A Moderator from an artifact directory and, optionally, a decision-policy
// file over the model's own policy: what the service (MODEL_DIR,
// MODERATION_POLICY) and `mod moderate --policy` both load.
import { modelPolicy } from './model-artifact.js';
import { Moderator } from './moderator.js';
import { applyPolicyOverrides, readPolicyFile } from './policy-config.js';

export async function loadModerator(modelDir: string, options: { maxTextLength?: number; policyFile?: string } = {}): Promise<Moderator> {
  const overrides = options.policyFile ? await readPolicyFile(options.policyFile) : undefined;
  return Moderator.load(modelDir, (model) => ({
    maxTextLength: options.maxTextLength,
    ...(overrides ? { policy: applyPolicyOverrides(modelPolicy(model.manifest), overrides, options.policyFile) } : {}),
  }));
}
