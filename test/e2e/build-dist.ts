// Global setup of the e2e project: these tests run bin/mod, which runs dist/,
// so dist/ is compiled from the current src/ before any of them starts, and
// an e2e run never tests yesterday's build. A dist/ newer than every source
// is reused (the build takes ~20 s on two busy cores); a failed build stops
// the run with the compiler's messages, as `npm install` (prepare) would.
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
/** Inputs of the build besides src/: a change to either recompiles everything. */
const BUILD_CONFIG = ['tsconfig.json', 'tsconfig.build.json'];

/** Why dist/ must be rebuilt, or null when every output is newer than every input. */
async function staleReason(): Promise<string | null> {
  const sources = (await readdir(path.join(ROOT, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  let oldestOutput = Infinity;
  for (const source of sources) {
    const output = path.join(ROOT, 'dist', source.replace(/\.ts$/, '.js'));
    const built = await stat(output).catch(() => null);
    if (!built) return `dist/${source.replace(/\.ts$/, '.js')} is missing`;
    oldestOutput = Math.min(oldestOutput, built.mtimeMs);
  }
  // tsc rewrites every output on each build, so one input newer than the oldest output means a change since.
  for (const input of [...sources.map((s) => path.join('src', s)), ...BUILD_CONFIG]) {
    if ((await stat(path.join(ROOT, input))).mtimeMs > oldestOutput) return `${input} changed since the last build`;
  }
  return null;
}

export default async function buildDist(): Promise<void> {
  const reason = await staleReason();
  if (!reason) return;
  process.stderr.write(`e2e: compiling dist/ (${reason}): tsc -p tsconfig.build.json\n`);
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [TSC, '-p', 'tsconfig.build.json'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve();
      reject(new Error(`e2e: dist/ could not be built, so the e2e tests would run old code; fix these and run again:\n${stdout}${stderr}`));
    });
  });
}
