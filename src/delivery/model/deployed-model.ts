// `mod deploy --release-model` (issue 13): a code deploy keeps the env's
// released model (the pointer wins over the bundle's); to ship the bundle's
// model on purpose, the deployed commit's models/default is read from git at
// that commit and released through releaseModel, the same gate and canary.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { readModelArtifact } from '../../moderation/model-artifact.js';
import type { Workspace } from '../workspace.js';
import { releaseModel, type ModelReleaseOutcome, type ReleaseModelOptions } from './model-release.js';
import { madeLive, sameModel } from './model-record.js';

/** Where a commit keeps the model it ships. */
export const BUNDLED_MODEL_DIR = 'models/default';

export type DeployedModelOutcome = ModelReleaseOutcome | { skipped: string };

export async function releaseDeployedModel(ws: Workspace, options: Omit<ReleaseModelOptions, 'model'> & { commit: string }): Promise<DeployedModelOutcome> {
  const at = options.commit.slice(0, 8);
  if ((await ws.git.fileAtIfExists(options.commit, `${BUNDLED_MODEL_DIR}/manifest.json`)) === undefined) {
    throw new UsageError(`--release-model: commit ${at} has no ${BUNDLED_MODEL_DIR}/manifest.json: there is no bundled model to release`, 'commit the model artifact (mod model train --out models --name default), or deploy without --release-model');
  }
  return withBundledModel(ws, options.commit, async (dir) => {
    const manifest = (await readModelArtifact(dir)).manifest;
    const env = ws.environment(options.environment);
    const store = (await ws.provider(env)).models(env);
    const pointer = await store.readPointer(env);
    if (sameModel(pointer?.live, { version: manifest.version, checksum: manifest.checksum.value })) {
      // The release that made it live, as mod status names it (not the pointer's last writer, e.g. a shadow).
      const made = madeLive(await store.releases(env, 200), pointer!.live)?.deploymentId ?? pointer!.releaseId;
      const skipped = `the bundle's model ${manifest.version} is already live in ${env.name} (released ${made}): nothing to release`;
      options.events({ type: 'notice', level: 'info', message: skipped });
      return { skipped };
    }
    options.events({ type: 'notice', level: 'info', message: `--release-model: releasing ${BUNDLED_MODEL_DIR} of ${at} (model ${manifest.version}) to ${env.name}` });
    return await releaseModel(ws, { ...options, model: dir, commit: options.commit });
  });
}

/** Runs `work` with a directory holding `commit`'s models/default (read from git; removed afterwards). */
export async function withBundledModel<T>(ws: Workspace, commit: string, work: (dir: string) => Promise<T>): Promise<T> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'mod-bundled-model-'));
  try {
    await ws.git.exportTree(commit, scratch);
    return await work(path.join(scratch, BUNDLED_MODEL_DIR));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
