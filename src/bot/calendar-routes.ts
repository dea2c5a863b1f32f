// GET /calendar.ics[?env=E][&limit=N][&token=T]: the deploy history as an
// iCalendar feed (issue 16), the same history() the CLI's `mod history --ics`
// prints and written by the same history-calendar.ts, so Google Calendar (or
// any calendar app) can subscribe to what shipped when. The feed names who
// deployed what, and the bot is reachable from the internet (Slack and GitHub
// call it), so it is served only when MOD_BOT_CALENDAR_TOKEN is set, to a
// request carrying that token in the URL (calendar apps cannot send headers;
// compared in constant time); without it, 404 saying how to turn it on.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { environmentNames } from '../delivery/config.js';
import { historyCalendar } from '../delivery/history-calendar.js';
import { history } from '../delivery/history.js';
import type { Workspace } from '../delivery/workspace.js';
import { isModError } from '../errors.js';

export interface CalendarRoutesOptions {
  /** Opens the repository's Workspace (once per request: a new deploy or an edited config counts at once). */
  openWorkspace(): Promise<Workspace>;
  /** MOD_BOT_CALENDAR_TOKEN: the feed is served only when set, and only to `?token=` equal to it (else 401). */
  token?: string;
}

/** Events in a feed when no `limit` is asked for, and the most it may ask for. */
export const CALENDAR_DEFAULT_LIMIT = 100;
export const CALENDAR_MAX_LIMIT = 1000;

interface CalendarQuery {
  env?: string;
  limit?: string;
  token?: string;
}

export const calendarRoutes: FastifyPluginAsync<CalendarRoutesOptions> = async (app: FastifyInstance, options) => {
  app.get<{ Querystring: CalendarQuery }>('/calendar.ics', async (request, reply) => {
    const query = request.query;
    if (!options.token) return problem(reply, 404, 'the deploy calendar is off: start the bot with MOD_BOT_CALENDAR_TOKEN=<a long random string> and subscribe to /calendar.ics?token=<that string>');
    if (!sameSecret(typeof query.token === 'string' ? query.token : '', options.token)) {
      return problem(reply, 401, `${query.token ? 'wrong' : 'missing'} calendar token: subscribe to /calendar.ics?token=<MOD_BOT_CALENDAR_TOKEN> (the value the bot was started with)`);
    }
    const limit = query.limit === undefined ? CALENDAR_DEFAULT_LIMIT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > CALENDAR_MAX_LIMIT) {
      return problem(reply, 400, `limit must be a whole number from 1 to ${CALENDAR_MAX_LIMIT}, got ${String(query.limit)}`);
    }
    try {
      const ws = await options.openWorkspace();
      const names = query.env ? [ws.environment(String(query.env)).name] : environmentNames(ws.config);
      const ics = historyCalendar(await history(ws, names, limit), { app: ws.config.app });
      return reply.header('content-type', 'text/calendar; charset=utf-8').header('content-disposition', `inline; filename="${ws.config.app}-deployments.ics"`).header('cache-control', 'no-cache').send(ics);
    } catch (error) {
      if (isModError(error) && error.code === 'USAGE') return problem(reply, 400, `${error.message}${error.hint ? ` (${error.hint})` : ''}`);
      request.log.error(error);
      return problem(reply, 500, `cannot read the deploy history: ${(error as Error).message}`);
    }
  });
};

/** Compares the digests, so neither the time taken nor a length difference tells how much of the token matched. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function problem(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(`${message}\n`);
}
