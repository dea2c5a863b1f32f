// The bot server serves the deploy calendar (issue 16): `mod bot serve`'s
// startBotServer registers calendarRoutes, guarded by MOD_BOT_CALENDAR_TOKEN
// from its environment (test/e2e/history-calendar.test.ts covers the feed's
// events on real deploys). A Slack Web API stand-in answers the bot's start.
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotServer, type BotServer } from '../../src/bot/bot-server.js';
import { FixtureApp } from '../support/fixture-app.js';
import { SlackStandIn } from '../support/slack-stand-in.js';

const slack = new SlackStandIn();
let app: FixtureApp;
let bot: BotServer;

beforeAll(async () => {
  await slack.start();
  app = await FixtureApp.create();
  bot = await startBotServer({
    cwd: app.dir,
    env: { ...process.env, SLACK_API_URL: slack.url, MOD_BOT_CALENDAR_TOKEN: 'cal-token-1234', MOD_STATE_DIR: '' },
    port: 0,
    host: '127.0.0.1',
    signingSecret: 'test-signing-secret',
    botToken: slack.token,
    log: { info: () => {}, error: () => {} },
  });
});

afterAll(async () => {
  await bot?.close();
  await app?.dispose({ stop: false });
  await slack.stop();
});

describe('GET /calendar.ics on the bot server', () => {
  it('refuses without the token of MOD_BOT_CALENDAR_TOKEN and serves the calendar with it', async () => {
    expect((await fetch(`${bot.url}/calendar.ics`)).status).toBe(401);
    const served = await fetch(`${bot.url}/calendar.ics?token=cal-token-1234`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const calendar = new ICAL.Component(ICAL.parse(await served.text()));
    expect(calendar.getFirstPropertyValue('x-wr-calname')).toBe('fixture deployments');
    expect(calendar.getAllSubcomponents('vevent')).toEqual([]);
  });

  it('is off (404 saying how to turn it on) when the bot is started without MOD_BOT_CALENDAR_TOKEN', async () => {
    const untokened = await startBotServer({
      cwd: app.dir,
      env: { ...process.env, SLACK_API_URL: slack.url, MOD_BOT_CALENDAR_TOKEN: '', MOD_STATE_DIR: '' },
      port: 0,
      host: '127.0.0.1',
      signingSecret: 'test-signing-secret',
      botToken: slack.token,
      log: { info: () => {}, error: () => {} },
    });
    try {
      const answer = await fetch(`${untokened.url}/calendar.ics`);
      expect(answer.status).toBe(404);
      const body = await answer.text();
      expect(body).toContain('MOD_BOT_CALENDAR_TOKEN');
      expect(body).not.toContain('BEGIN:VCALENDAR');
    } finally {
      await untokened.close();
    }
  });
});
