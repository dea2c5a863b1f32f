// A Moderator from an artifact directory and, optionally, a decision-policy
// file over the model's own policy: what the service (MODEL_DIR,
// MODERATION_POLICY), `mod moderate --policy` and `mod model eval --policy`
// all load.
import { modelPolicy, type ModelManifest } from './model-artifact.js';
import { Moderator } from './moderator.js';
import type { DecisionPolicy } from './policy.js';
import { applyPolicyOverrides, readPolicyFile } from './policy-config.js';

/** The model's policy with a policy file's overrides applied. */
export async function policyWithFile(manifest: ModelManifest, policyFile: string): Promise<DecisionPolicy> {
  return applyPolicyOverrides(modelPolicy(manifest), await readPolicyFile(policyFile), policyFile);
}

export async function loadModerator(modelDir: string, options: { maxTextLength?: number; policyFile?: string } = {}): Promise<Moderator> {
  const { maxTextLength, policyFile } = options;
  // Read (and check) the policy file before the weights: a bad file fails fast.
  const overrides = policyFile ? await readPolicyFile(policyFile) : undefined;
  return Moderator.load(modelDir, (model) => ({
    maxTextLength,
    ...(overrides && policyFile ? { policy: applyPolicyOverrides(modelPolicy(model.manifest), overrides, policyFile) } : {}),
  }));
}
