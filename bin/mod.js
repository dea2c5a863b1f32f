#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli/main.js (built by `npm run build`,
// which `npm ci` runs through `prepare`). A fresh clone has neither dist/ nor
// node_modules/: say which step is missing in one line, not a stack trace.
import { fileURLToPath } from 'node:url';

let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (error) {
  const hint = missingStep(error);
  if (!hint) throw error;
  process.stderr.write(`mod: ${hint}\n`);
  process.exit(2);
}

process.exitCode = await main(process.argv);

/** The setup step a failed import of dist/ points to, or undefined for any other failure. */
function missingStep(error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  const message = String(error.message);
  const distMain = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  if (message.includes(`Cannot find module '${distMain}'`)) return 'dist/ is not built: run npm ci first (it builds dist/ too), or npm run build when node_modules/ is already installed';
  const distDir = fileURLToPath(new URL('../dist/', import.meta.url));
  if (message.includes(`Cannot find module '${distDir}`)) return 'dist/ is incomplete or older than src/: run npm run build';
  const pkg = /Cannot find package '([^']+)'/.exec(message)?.[1];
  if (pkg) return `the dependency ${pkg} is not installed: run npm ci first (then npm run build if dist/ is older than src/)`;
  return undefined;
}
