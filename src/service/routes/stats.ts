// The dashboard's numbers (issue 15): GET /v1/stats?hours=N for a bearer
// token, and the same handler at GET /console/api/stats for a console
// session (registered by the console plugin with its session check):
// decisions and categories per hour, the review and auto-approve rates, the
// labels given, the queue's depth and oldest item, agreement between
// moderators on the reviews decided in the window (GET /v1/reviews/agreement's
// shape and arithmetic; that route is all time) and the revision / model
// timeline of the service's instances with where it changed. Reads only;
// every read but the queue's depth is bounded by the window
// (dashboard-stats-store.ts), so a poll costs the window, not the history.
import type { FastifyPluginAsync, preHandlerAsyncHookHandler, RouteHandlerMethod } from 'fastify';
import { dashboardStats, STATS_DEFAULT_HOURS, STATS_MAX_HOURS, statsWindow, type DashboardCounts } from '../../moderation/dashboard-stats.js';
import type { SecondOpinionStats } from '../../moderation/post-records.js';
import type { Authenticate } from '../authenticate.js';
import { HttpError } from '../http-errors.js';

/** What the stats need from the database (PostgresStore implements it). */
export interface StatsSource {
  dashboardCounts(window: { from: Date; to: Date }): Promise<DashboardCounts>;
  secondOpinionStatsIn(window: { from: Date; to: Date }): Promise<SecondOpinionStats>;
}

export interface StatsHandlerOptions {
  store: StatsSource;
  clock: () => Date;
}

export const statsQuerySchema = { type: 'object', additionalProperties: false, properties: { hours: { type: 'string' } } } as const;

/** `hours` of the query: a whole number from 1 to STATS_MAX_HOURS, STATS_DEFAULT_HOURS when left out. */
export function statsHours(raw: string | undefined): number {
  if (raw === undefined) return STATS_DEFAULT_HOURS;
  if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > STATS_MAX_HOURS) {
    throw new HttpError('INVALID_REQUEST', `hours=${JSON.stringify(raw).slice(0, 40)} is not a whole number from 1 to ${STATS_MAX_HOURS}: send e.g. ?hours=24 (the default) or ?hours=168 for a week`);
  }
  return Number(raw);
}

/** The one handler both routes use. */
export function createStatsHandler({ store, clock }: StatsHandlerOptions): RouteHandlerMethod {
  return async function stats(request, reply) {
    const hours = statsHours((request.query as { hours?: string }).hours);
    const now = clock();
    const window = statsWindow(now, hours);
    const counts = await store.dashboardCounts(window);
    const secondOpinions = await store.secondOpinionStatsIn(window);
    void reply.header('cache-control', 'no-store');
    return dashboardStats(counts, window, now, secondOpinions);
  };
}

/** GET /v1/stats: any moderator's or viewer's bearer token. */
export const statsRoutes: FastifyPluginAsync<StatsHandlerOptions & { authenticate: Authenticate }> = async (app, options) => {
  app.get('/v1/stats', { preHandler: options.authenticate, schema: { querystring: statsQuerySchema } }, createStatsHandler(options));
};

/**
 * GET /api/stats inside the console plugin (prefix /console): `session` is
 * the console's session check (requireSession(['moderator', 'viewer'])).
 */
export const consoleStatsRoutes: FastifyPluginAsync<StatsHandlerOptions & { session: preHandlerAsyncHookHandler }> = async (app, options) => {
  app.get('/api/stats', { preHandler: options.session, schema: { querystring: statsQuerySchema } }, createStatsHandler(options));
};
