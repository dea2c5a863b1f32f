#!/usr/bin/env node
// Runs every benchmark in bench/ (files named *.bench.js, or *.bench.ts run
// with tsx), or only those whose name contains an argument: `npm run bench -- delivery`.
// An argument that is a benchmark's whole name selects that one only
// (`service` runs service.bench.ts, not service-profile.bench.ts too).
import { readdir } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = (await readdir(here))
  .filter((f) => f.endsWith('.bench.js') || f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .filter((f, _, all) => !filters.some((x) => all.some((g) => g.replace(/\.bench\.[jt]s$/, '') === x) && f.includes(x) && f.replace(/\.bench\.[jt]s$/, '') !== x))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const args = file.endsWith('.ts') ? ['--import', 'tsx', path.join(here, file)] : [path.join(here, file)];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
