// The window gate with gates.window.releaseCalendar: deploys only inside a
// planned release slot (an .ics event, recurring ones expanded, floating
// times read in the window's time zone), freezes still applying, and the
// next slot named outside one. Fixed instants; the calendars are texts.
import { describe, expect, it } from 'vitest';
import type { GateContext } from '../../../src/delivery/gates/gate.js';
import { windowGate, type WindowSettings } from '../../../src/delivery/gates/window-gate.js';

function context(now: string, files: Record<string, string>): GateContext {
  return {
    now: new Date(now),
    readText: async (location: string) => {
      const text = files[location];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${location}'`);
      return text;
    },
  } as unknown as GateContext;
}

// Weekly release: Tuesdays 10:00-12:00 Tokyo; one Tuesday moved to the Wednesday; a floating one-off hotfix slot.
const SLOTS = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Google Inc//Google Calendar 70.9054//EN
BEGIN:VTIMEZONE
TZID:Asia/Tokyo
BEGIN:STANDARD
TZOFFSETFROM:+0900
TZOFFSETTO:+0900
TZNAME:JST
DTSTART:19700101T000000
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly-release@example.com
SUMMARY:Weekly release
DTSTART;TZID=Asia/Tokyo:20261103T100000
DTEND;TZID=Asia/Tokyo:20261103T120000
RRULE:FREQ=WEEKLY;BYDAY=TU
END:VEVENT
BEGIN:VEVENT
UID:weekly-release@example.com
RECURRENCE-ID;TZID=Asia/Tokyo:20261215T100000
SUMMARY:Weekly release (moved)
DTSTART;TZID=Asia/Tokyo:20261216T140000
DTEND;TZID=Asia/Tokyo:20261216T160000
END:VEVENT
BEGIN:VEVENT
UID:hotfix@example.com
SUMMARY:Hotfix slot
DTSTART:20261210T150000
DTEND:20261210T160000
END:VEVENT
END:VCALENDAR
`;

const FREEZES = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//mod tests//EN
BEGIN:VEVENT
UID:year-end@example.com
SUMMARY:Year-end freeze
DTSTART;VALUE=DATE:20261228
DTEND;VALUE=DATE:20270105
END:VEVENT
END:VCALENDAR
`;

// days/from/to that would refuse every instant below: the slots replace them.
const SETTINGS: WindowSettings = { timezone: 'Asia/Tokyo', days: ['Sun'], from: '03:00', to: '04:00', releaseCalendar: 'ops/releases.ics' };
const FILES = { 'ops/releases.ics': SLOTS, 'ops/freeze.ics': FREEZES };

describe('window gate with a release calendar', () => {
  it('passes inside a recurring slot, naming it and saying days/from/to are not applied', async () => {
    const verdict = await windowGate(SETTINGS, context('2026-12-08T02:00:00Z', FILES)); // Tue 11:00 JST
    expect(verdict.status).toBe('pass');
    expect(verdict.reason).toBe('inside the planned release slot "Weekly release" (Tue 2026-12-08 10:00 GMT+9 to Tue 2026-12-08 12:00 GMT+9); gates.window days/from/to are not applied while releaseCalendar is set');
  });

  it('fails outside every slot and names the next one', async () => {
    const monday = await windowGate(SETTINGS, context('2026-12-07T03:00:00Z', FILES)); // Mon 12:00 JST
    expect(monday).toEqual({
      status: 'fail',
      reason: 'Mon 2026-12-07 12:00 GMT+9 is outside every planned release slot in ops/releases.ics',
      fix: 'the next planned release slot is Tue 2026-12-08 10:00 GMT+9 (Weekly release)',
    });
    // The end of a slot is outside it.
    const atEnd = await windowGate(SETTINGS, context('2026-12-08T03:00:00Z', FILES)); // Tue 12:00 JST
    expect(atEnd.status).toBe('fail');
    expect(atEnd.fix).toBe('the next planned release slot is Thu 2026-12-10 15:00 GMT+9 (Hotfix slot)');
  });

  it('follows an edited occurrence of a recurring slot', async () => {
    const usualTime = await windowGate(SETTINGS, context('2026-12-15T02:00:00Z', FILES)); // Tue 11:00 JST, moved away
    expect(usualTime.status).toBe('fail');
    expect(usualTime.fix).toBe('the next planned release slot is Wed 2026-12-16 14:00 GMT+9 (Weekly release (moved))');
    expect(await windowGate(SETTINGS, context('2026-12-16T06:00:00Z', FILES))).toMatchObject({ status: 'pass', reason: expect.stringContaining('"Weekly release (moved)"') });
  });

  it('reads floating slot times in the window time zone', async () => {
    // 15:30 in Tokyo is inside the floating 15:00-16:00 slot; the same instant read in UTC (06:30) is not.
    expect(await windowGate(SETTINGS, context('2026-12-10T06:30:00Z', FILES))).toMatchObject({ status: 'pass', reason: expect.stringContaining('"Hotfix slot"') });
    const utc = await windowGate({ ...SETTINGS, timezone: 'UTC' }, context('2026-12-10T06:30:00Z', FILES));
    expect(utc.status).toBe('fail');
    expect(utc.fix).toBe('the next planned release slot is Thu 2026-12-10 15:00 UTC (Hotfix slot)');
  });

  it('still refuses during a freeze inside a slot, and skips frozen slots when naming the next', async () => {
    const frozen = await windowGate({ ...SETTINGS, freezeCalendar: 'ops/freeze.ics' }, context('2026-12-29T01:30:00Z', FILES)); // Tue 10:30 JST
    expect(frozen).toEqual({
      status: 'fail',
      reason: 'deploy freeze "Year-end freeze" until Tue 2027-01-05 00:00 GMT+9',
      fix: 'the next planned release slot is Tue 2027-01-05 10:00 GMT+9 (Weekly release)',
    });
  });

  it('says when no slot is planned in the next 30 days', async () => {
    const pastOnly = SLOTS.replace('RRULE:FREQ=WEEKLY;BYDAY=TU', 'RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2');
    const verdict = await windowGate(SETTINGS, context('2026-12-20T02:00:00Z', { 'ops/releases.ics': pastOnly }));
    expect(verdict).toEqual({
      status: 'fail',
      reason: 'Sun 2026-12-20 11:00 GMT+9 is outside every planned release slot in ops/releases.ics',
      fix: 'no planned slot in the next 30 days: add one to ops/releases.ics',
    });
  });

  it('fails with the fix when the release calendar is missing or not iCalendar', async () => {
    const missing = await windowGate({ ...SETTINGS, releaseCalendar: 'ops/missing.ics' }, context('2026-12-08T02:00:00Z', FILES));
    expect(missing).toEqual({
      status: 'fail',
      reason: "cannot read the release calendar ops/missing.ics: ENOENT: no such file or directory, open 'ops/missing.ics'",
      fix: 'fix gates.window.releaseCalendar (a file in the repository or the https URL of an .ics feed), or override with --override window --reason "..."',
    });
    const garbage = await windowGate(SETTINGS, context('2026-12-08T02:00:00Z', { 'ops/releases.ics': '<html>Sign in</html>' }));
    expect(garbage.status).toBe('fail');
    expect(garbage.reason).toMatch(/^cannot read the release calendar ops\/releases\.ics: /);
  });
});
