// The console's one third-party front-end library, uPlot (the dashboard's
// charts), served from the installed package (node_modules/uplot/dist, a
// production dependency, so deployed bundles have it) rather than a CDN:
// the CSP allows scripts and styles from 'self' only. Registered inside the
// console plugin, so the routes are /console/assets/vendor/uplot.esm.js and
// /console/assets/vendor/uplot.min.css and get the console's headers.
// The files are read once, when the plugin is registered; caching is the
// console plugin's (no-store on everything it answers).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';

const VENDOR_FILES: { route: string; file: string; type: string }[] = [
  { route: '/assets/vendor/uplot.esm.js', file: 'uPlot.esm.js', type: 'text/javascript; charset=utf-8' },
  { route: '/assets/vendor/uplot.min.css', file: 'uPlot.min.css', type: 'text/css; charset=utf-8' },
];

/** node_modules/uplot/dist, wherever the package was installed. */
export function uplotDistDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
}

export const vendorAssetRoutes: FastifyPluginAsync = async (app) => {
  const dir = uplotDistDir();
  for (const { route, file, type } of VENDOR_FILES) {
    const body = await readFile(path.join(dir, file));
    app.get(route, async (_request, reply) => reply.header('content-type', type).send(body));
  }
};
