// The deploy history as a calendar, end to end (issue 16): real local deploys
// of the fixture app through the built CLI, then `mod history --ics` parsed
// back with ical.js (one VEVENT per record, keyed by deployment id), its
// flags, and the bot's GET /calendar.ics (calendarRoutes on its own Fastify
// instance over loopback, with the workspace of the same repository) serving
// the same events, behind MOD_BOT_CALENDAR_TOKEN.
import Fastify, { type FastifyInstance } from 'fastify';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarRoutes } from '../../src/bot/calendar-routes.js';
import { openWorkspace } from '../../src/delivery/workspace.js';
import { FixtureApp } from '../support/fixture-app.js';

const DEPLOY_MS = 120_000;

interface HistoryJson {
  deployments: { deploymentId: string; environment: string; status: string; revision: { commit: string; subject: string | null } }[];
}

function events(ics: string): ICAL.Component[] {
  return new ICAL.Component(ICAL.parse(ics)).getAllSubcomponents('vevent');
}
const uids = (ics: string) => events(ics).map((e) => String(e.getFirstPropertyValue('uid')));

describe('mod history --ics and GET /calendar.ics', () => {
  let app: FixtureApp;
  let history: HistoryJson['deployments'] = [];
  let server: FastifyInstance;
  let base = '';

  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 1 });
    const first = await app.json(['deploy', '--env', 'stage']);
    expect(first.exitCode, first.stderr).toBe(0);
    await app.write('VERSION', 'v2\n');
    await app.commit('リリース: しきい値を調整してスパム判定の誤検知を減らす（長い件名の折り返し確認用）');
    const second = await app.json(['deploy', '--env', 'stage']);
    expect(second.exitCode, second.stderr).toBe(0);
    const listed = await app.json<HistoryJson>(['history']);
    expect(listed.exitCode, listed.stderr).toBe(0);
    history = listed.body.deployments;
    expect(history).toHaveLength(2);

    server = Fastify();
    await server.register(calendarRoutes, { openWorkspace: () => openWorkspace(app.dir, { ...process.env, CI: 'true' }), token: 'calendar-secret' });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
  }, 4 * DEPLOY_MS);

  afterAll(async () => {
    await server?.close();
    await app?.dispose();
  }, DEPLOY_MS);

  it('prints one VEVENT per deployment, parsed back with ical.js, keyed by deployment id at the app', async () => {
    const run = await app.mod(['history', '--ics']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    const calendar = new ICAL.Component(ICAL.parse(run.stdout));
    expect(calendar.getFirstPropertyValue('x-wr-calname')).toBe('fixture deployments');
    expect(uids(run.stdout)).toEqual(history.map((d) => `${d.deploymentId}@fixture`));
    const summaries = events(run.stdout).map((e) => e.getFirstPropertyValue('summary'));
    expect(summaries).toEqual(history.map((d) => `stage: Succeeded ${d.revision.commit.slice(0, 7)} ${d.revision.subject}`));
    for (const line of run.stdout.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
  });

  it('keeps to --env and --limit, and refuses --ics with --json', async () => {
    const one = await app.mod(['history', '--ics', '--env', 'staging', '--limit', '1']);
    expect(one.exitCode, one.stderr).toBe(0);
    expect(uids(one.stdout)).toEqual([`${history[0]!.deploymentId}@fixture`]);
    const none = await app.mod(['history', '--ics', '--env', 'production']);
    expect(none.exitCode, none.stderr).toBe(0);
    expect(events(none.stdout)).toEqual([]);
    const both = await app.mod(['history', '--ics', '--json']);
    expect(both.exitCode).toBe(2);
    expect(both.stdout + both.stderr).toContain('--ics and --json cannot be combined');
  });

  it('serves the same events at GET /calendar.ics with the right token only', async () => {
    const missing = await fetch(`${base}/calendar.ics`);
    expect(missing.status).toBe(401);
    expect(await missing.text()).toContain('missing calendar token');
    const wrong = await fetch(`${base}/calendar.ics?token=calendar-secreT`);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('wrong calendar token');

    const served = await fetch(`${base}/calendar.ics?token=calendar-secret`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(uids(await served.text())).toEqual(history.map((d) => `${d.deploymentId}@fixture`));

    const limited = await fetch(`${base}/calendar.ics?token=calendar-secret&env=stage&limit=1`);
    expect(uids(await limited.text())).toEqual([`${history[0]!.deploymentId}@fixture`]);
    const unknown = await fetch(`${base}/calendar.ics?token=calendar-secret&env=qa`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('unknown environment "qa"');
    const badLimit = await fetch(`${base}/calendar.ics?token=calendar-secret&limit=lots`);
    expect(badLimit.status).toBe(400);
    expect(await badLimit.text()).toContain('limit must be a whole number from 1 to 1000, got lots');
  });

  it('serves nothing without MOD_BOT_CALENDAR_TOKEN: 404 saying how to turn the feed on', async () => {
    const open = Fastify();
    await open.register(calendarRoutes, { openWorkspace: () => openWorkspace(app.dir, { ...process.env, CI: 'true' }) });
    const url = await open.listen({ port: 0, host: '127.0.0.1' });
    try {
      const served = await fetch(`${url}/calendar.ics`);
      expect(served.status).toBe(404);
      const body = await served.text();
      expect(body).toContain('MOD_BOT_CALENDAR_TOKEN');
      expect(body).not.toContain('BEGIN:VEVENT');
    } finally {
      await open.close();
    }
  });
});
