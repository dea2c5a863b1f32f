// GET /v1/labels/export, for moderators (bearer token): every human label,
// streamed as CSV or JSONL in the format `mod model train` reads (the label
// is ok, a category, or ng: see moderation/label-format.ts). A review two
// moderators labelled differently (a conflict, issue 13) is left out: it is
// not trained on until someone looks again (GET /v1/reviews/agreement lists them).
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { LABELS_CSV_HEADER, formatLabel } from '../../moderation/label-format.js';
import type { LabelledPost } from '../../moderation/post-records.js';
import type { Authenticate } from '../authenticate.js';

/** What the route needs from the database (PostgresStore implements it). */
export interface LabelSource {
  labels(pageSize?: number): AsyncIterable<LabelledPost>;
}

export interface LabelRouteOptions {
  store: LabelSource;
  authenticate: Authenticate;
}

export const labelRoutes: FastifyPluginAsync<LabelRouteOptions> = async (app, { store, authenticate }) => {
  app.get('/v1/labels/export', { preHandler: authenticate, schema: { querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['csv', 'jsonl'] } } } } }, async (request, reply) => {
    const format = (request.query as { format?: 'csv' | 'jsonl' }).format ?? 'csv';
    // Read the first page before answering, so an unavailable database is a
    // 503 and not a truncated 200.
    const iterator = store.labels()[Symbol.asyncIterator]();
    const first = await iterator.next();
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield LABELS_CSV_HEADER;
      for (let item = first; !item.done; item = await iterator.next()) if (!item.value.conflict) yield formatLabel(item.value, format);
    }
    void reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8').header('content-disposition', `attachment; filename="labels.${format}"`);
    return reply.send(Readable.from(lines()));
  });
};
