// The window gate as runGates judges it (window-gate.test.ts covers time
// zones, DST and calendar parsing on the gate alone): the clock comes from the
// gate dependencies, the freeze calendar is read from the repository, and an
// override lets a deploy outside the window through, recorded; release slots
// come from a file in the repository or over HTTP.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GateScenario, gate } from './gate-scenario.js';

const WINDOW = { timezone: 'Asia/Tokyo', days: ['Mon', 'Tue', 'Wed', 'Thu'] as ('Mon' | 'Tue' | 'Wed' | 'Thu')[], from: '10:00', to: '18:00' };
const TUESDAY_NOON = new Date('2026-11-24T03:00:00Z');
const TUESDAY_EVENING = new Date('2026-11-24T10:00:00Z');

const RELEASE_FREEZE = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//mod tests//EN
BEGIN:VEVENT
UID:sale@example.com
SUMMARY:Black Friday sale
DTSTART:20261123T000000Z
DTEND:20261126T000000Z
END:VEVENT
END:VCALENDAR
`;

let scenario: GateScenario;
afterEach(() => scenario.dispose());

describe('window gate through runGates', () => {
  beforeEach(async () => {
    scenario = await GateScenario.create({ window: WINDOW });
    await scenario.merge(7);
  });

  it('judges by the clock it is given: inside the window passes, outside fails and says when it opens', async () => {
    scenario.deps.clock = TUESDAY_NOON;
    const inside = await scenario.judge();
    expect(inside.passed).toBe(true);
    expect(gate(inside, 'window').status).toBe('pass');

    scenario.deps.clock = TUESDAY_EVENING;
    const outside = await scenario.judge();
    expect(outside.passed).toBe(false);
    expect(gate(outside, 'window')).toMatchObject({ status: 'fail', fix: expect.stringContaining('2026-11-25 10:00') });
  });

  it('lets a deploy outside the window through with an override, recorded', async () => {
    scenario.deps.clock = TUESDAY_EVENING;
    const report = await scenario.judge({ overrides: [{ gate: 'window', reason: 'security fix' }] });
    expect(report.passed).toBe(true);
    expect(gate(report, 'window')).toMatchObject({ status: 'pass', overridden: { reason: 'security fix', by: 'carol' } });
    expect(report.overrides).toEqual([{ gate: 'window', reason: 'security fix', by: 'carol' }]);
  });
});

describe('window gate with a freeze calendar in the repository', () => {
  it('reads the calendar relative to the repository and refuses during a freeze', async () => {
    scenario = await GateScenario.create({ window: { ...WINDOW, freezeCalendar: 'ops/freeze.ics' } });
    await scenario.repo.write('ops/freeze.ics', RELEASE_FREEZE);
    scenario.deps.clock = TUESDAY_NOON;
    const frozen = gate(await scenario.judge(), 'window');
    expect(frozen.status).toBe('fail');
    expect(frozen.reason).toContain('Black Friday sale');
    expect(frozen.fix).toContain('2026-11-26 10:00');

    scenario.deps.clock = new Date('2026-11-30T03:00:00Z'); // the Monday after
    expect(gate(await scenario.judge(), 'window').status).toBe('pass');
  });

  it('fails when the calendar cannot be read', async () => {
    scenario = await GateScenario.create({ window: { ...WINDOW, freezeCalendar: 'ops/missing.ics' } });
    scenario.deps.clock = TUESDAY_NOON;
    const verdict = gate(await scenario.judge(), 'window');
    expect(verdict.status).toBe('fail');
    expect(verdict.reason).toContain('ops/missing.ics');
  });
});

const WEEKLY_SLOT = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//mod tests//EN
BEGIN:VEVENT
UID:weekly-release@example.com
SUMMARY:Weekly release
DTSTART:20261103T010000Z
DTEND:20261103T040000Z
RRULE:FREQ=WEEKLY;BYDAY=TU
END:VEVENT
END:VCALENDAR
`;

describe('window gate with a release calendar', () => {
  it('reads the slots from the repository: inside one passes, outside names the next', async () => {
    scenario = await GateScenario.create({ window: { ...WINDOW, releaseCalendar: 'ops/releases.ics' } });
    await scenario.repo.write('ops/releases.ics', WEEKLY_SLOT);
    scenario.deps.clock = TUESDAY_NOON;
    expect(gate(await scenario.judge(), 'window')).toMatchObject({ status: 'pass', reason: expect.stringContaining('"Weekly release"') });
    scenario.deps.clock = new Date('2026-11-25T03:00:00Z'); // Wednesday noon: inside days/from/to, outside every slot
    expect(gate(await scenario.judge(), 'window')).toMatchObject({ status: 'fail', fix: 'the next planned release slot is Tue 2026-12-01 10:00 GMT+9 (Weekly release)' });
  });

  it('reads the slots from an http(s) URL', async () => {
    const server = createServer((request, response) => {
      if (request.url === '/releases.ics') response.writeHead(200, { 'content-type': 'text/calendar' }).end(WEEKLY_SLOT);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      scenario = await GateScenario.create({ window: { ...WINDOW, releaseCalendar: `${base}/releases.ics` } });
      scenario.deps.clock = TUESDAY_NOON;
      expect(gate(await scenario.judge(), 'window').status).toBe('pass');
      await scenario.dispose();
      // A secret address (path and query): the reason, bound for Slack and the logs, shows only scheme and host.
      scenario = await GateScenario.create({ window: { ...WINDOW, releaseCalendar: `${base}/calendar/ical/private-s3cr3t/basic.ics?key=s3cr3t`, freezeCalendar: `${base}/freeze/private-fr33ze.ics` } });
      scenario.deps.clock = TUESDAY_NOON;
      const refused = gate(await scenario.judge(), 'window');
      expect(refused).toMatchObject({ status: 'fail', reason: `cannot read the freeze calendar ${base}/…: HTTP 404` });
      await scenario.dispose();
      scenario = await GateScenario.create({ window: { ...WINDOW, releaseCalendar: `${base}/calendar/ical/private-s3cr3t/basic.ics?key=s3cr3t` } });
      scenario.deps.clock = TUESDAY_NOON;
      const unread = gate(await scenario.judge(), 'window');
      expect(unread).toMatchObject({ status: 'fail', reason: `cannot read the release calendar ${base}/…: HTTP 404` });
      expect(JSON.stringify([refused, unread])).not.toMatch(/s3cr3t|fr33ze/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
