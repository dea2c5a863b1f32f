// migrations: every migration the change adds or edits is already applied to
// the target environment's database (same version, same checksum as the
// service's migration records), so code never ships before its schema.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Gate } from './gate.js';
import { fail, pass } from './gate.js';

const FILE_PATTERN = /^(\d+)_([\w-]+)\.sql$/;

export const migrationsGate: Gate<{ directory: string }> = async (settings, context) => {
  const dir = settings.directory.replace(/\/+$/, '');
  const touched = context.change.changedFiles.filter((f) => path.posix.dirname(f.path) === dir && FILE_PATTERN.test(path.posix.basename(f.path)));
  if (touched.length === 0) return pass(`the change has no migrations under ${dir}/`);
  let applied: Map<string, string>;
  try {
    applied = await context.appliedMigrations();
  } catch (error) {
    const env = context.change.environment.name;
    if (!context.change.deployed) {
      // A first deploy: nothing runs yet, and often no database is known.
      return fail(
        `${env}'s first deploy ships ${touched.length} migration(s), and the applied migrations of its database cannot be read: ${(error as Error).message}`,
        `set environments.${env}.databaseUrl in mod.config.yml and apply them first (mod db migrate --env ${env}), then deploy; or, when the revision's own hooks migrate a new, empty database, say so: --override migrations --reason "first deploy: hooks migrate the new database"`,
      );
    }
    return fail(`cannot read the applied migrations of ${env}: ${(error as Error).message}`, `make the database reachable (databaseUrl in mod.config.yml), or override with --override migrations --reason "..."`);
  }
  const missing: string[] = [];
  for (const file of touched) {
    const name = path.posix.basename(file.path);
    const version = FILE_PATTERN.exec(name)![1]!;
    const checksum = createHash('sha256')
      .update(await context.readFileAt(context.change.target.commit, file.path))
      .digest('hex');
    const recorded = applied.get(version);
    if (!recorded) missing.push(`${name} is not applied`);
    else if (recorded !== checksum) missing.push(`${name} is applied with different content`);
  }
  if (missing.length) {
    return fail(`${missing.join('; ')} on ${context.change.environment.name}'s database`, `apply them first (mod db migrate --env ${context.change.environment.name}), then deploy`);
  }
  return pass(`${touched.map((f) => path.posix.basename(f.path)).join(', ')} applied`);
};
