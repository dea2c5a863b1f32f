// How a deployment is split into batches, as CodeDeploy's predefined configs:
// OneAtATime (one instance at a time), HalfAtATime (up to half, at least one),
// AllAtOnce (every instance together).
import type { Rollout } from './config.js';

export function planBatches<T>(instances: readonly T[], rollout: Rollout): T[][] {
  if (instances.length === 0) return [];
  const size = rollout === 'AllAtOnce' ? instances.length : rollout === 'HalfAtATime' ? Math.max(1, Math.floor(instances.length / 2)) : 1;
  const batches: T[][] = [];
  for (let i = 0; i < instances.length; i += size) batches.push(instances.slice(i, i + size));
  return batches;
}
