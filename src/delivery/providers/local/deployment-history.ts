// The local provider's audit trail: one JSON file per deployment under
// .mod/envs/<env>/deployments/, rewritten atomically at every lifecycle step
// so `mod status` in another terminal sees progress and a crash never leaves
// a half-written record.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DeploymentRecord } from '../../deployment.js';
import { readJson, writeJsonAtomic } from '../../json-file.js';

export class DeploymentHistory {
  constructor(private readonly dir: string) {}

  async save(record: DeploymentRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.dir, `${record.deploymentId}.json`), record);
  }

  async get(deploymentId: string): Promise<DeploymentRecord | undefined> {
    if (!/^[\w.-]+$/.test(deploymentId)) return undefined;
    return readJson<DeploymentRecord>(path.join(this.dir, `${deploymentId}.json`)).catch(() => undefined);
  }

  /**
   * Newest first. Deployment ids start with their UTC start time, so only the
   * newest `limit` files are read (status polls this). Unreadable files (never
   * produced by an atomic write) are skipped.
   */
  async list(limit = Infinity): Promise<DeploymentRecord[]> {
    const files = (await readdir(this.dir).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .reverse();
    const records: DeploymentRecord[] = [];
    for (const file of files) {
      // Ids made in the same second may be out of order by their random suffix: read a few extra.
      if (records.length >= limit + 5) break;
      const record = await readJson<DeploymentRecord>(path.join(this.dir, file)).catch(() => undefined);
      if (record?.deploymentId) records.push(record);
    }
    records.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.deploymentId.localeCompare(a.deploymentId));
    return records.slice(0, limit);
  }
}
