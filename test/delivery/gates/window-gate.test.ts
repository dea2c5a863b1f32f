// Deploy windows across time zones and DST, and freeze periods from an
// iCalendar feed (recurring, all-day, with VTIMEZONE), at fixed instants.
import { describe, expect, it } from 'vitest';
import type { GateContext } from '../../../src/delivery/gates/gate.js';
import { windowGate, type WindowSettings } from '../../../src/delivery/gates/window-gate.js';

function context(now: string, ics = ''): GateContext {
  return { now: new Date(now), readText: async () => ics } as unknown as GateContext;
}

const TOKYO: WindowSettings = { timezone: 'Asia/Tokyo', days: ['Mon', 'Tue', 'Wed', 'Thu'], from: '10:00', to: '18:00' };

const FREEZES = `BEGIN:VCALENDAR
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
UID:friday-freeze@example.com
SUMMARY:Friday: no deploys
DTSTART;TZID=Asia/Tokyo:20261106T000000
DTEND;TZID=Asia/Tokyo:20261107T000000
RRULE:FREQ=WEEKLY;BYDAY=FR
END:VEVENT
BEGIN:VEVENT
UID:year-end@example.com
SUMMARY:Year-end freeze
DTSTART;VALUE=DATE:20261228
DTEND;VALUE=DATE:20270105
END:VEVENT
END:VCALENDAR
`;

describe('window gate', () => {
  it('passes inside Monday-Thursday 10:00-18:00 Tokyo and says when the next window opens outside it', async () => {
    expect(await windowGate(TOKYO, context('2026-11-23T02:00:00Z'))).toMatchObject({ status: 'pass' });
    const early = await windowGate(TOKYO, context('2026-11-23T00:30:00Z')); // Mon 09:30 JST
    expect(early.status).toBe('fail');
    expect(early.reason).toContain('Mon 2026-11-23 09:30');
    expect(early.fix).toBe('the next window opens Mon 2026-11-23 10:00 GMT+9');
    const thursdayEvening = await windowGate(TOKYO, context('2026-11-26T09:30:00Z')); // Thu 18:30 JST
    expect(thursdayEvening.fix).toBe('the next window opens Mon 2026-11-30 10:00 GMT+9');
  });

  it('follows daylight saving time in the window time zone', async () => {
    const newYork: WindowSettings = { timezone: 'America/New_York', days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], from: '09:00', to: '17:00' };
    // 13:30 UTC is 08:30 EST before the switch (closed) and 09:30 EDT after it (open).
    const before = await windowGate(newYork, context('2026-03-02T13:30:00Z'));
    expect(before.status).toBe('fail');
    expect(before.fix).toBe('the next window opens Mon 2026-03-02 09:00 EST');
    expect(await windowGate(newYork, context('2026-03-09T13:30:00Z'))).toMatchObject({ status: 'pass' });
  });

  it('refuses during a recurring freeze from an .ics feed and skips freezes when finding the next opening', async () => {
    const everyDay: WindowSettings = { timezone: 'Asia/Tokyo', days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], from: '09:00', to: '21:00', freezeCalendar: 'freeze.ics' };
    const friday = await windowGate(everyDay, context('2026-11-27T03:00:00Z', FREEZES)); // Fri 12:00 JST
    expect(friday.status).toBe('fail');
    expect(friday.reason).toBe('deploy freeze "Friday: no deploys" until Sat 2026-11-28 00:00 GMT+9');
    expect(friday.fix).toBe('the next window opens Sat 2026-11-28 09:00 GMT+9');
    expect(await windowGate(everyDay, context('2026-11-26T03:00:00Z', FREEZES))).toMatchObject({ status: 'pass' }); // Thursday
  });

  it('reads all-day freezes in the window time zone', async () => {
    const result = await windowGate({ ...TOKYO, freezeCalendar: 'freeze.ics' }, context('2026-12-29T03:00:00Z', FREEZES)); // Tue 12:00 JST
    expect(result.reason).toBe('deploy freeze "Year-end freeze" until Tue 2027-01-05 00:00 GMT+9');
    expect(result.fix).toBe('the next window opens Tue 2027-01-05 10:00 GMT+9');
  });

  it('fails clearly on an unknown time zone or an unreadable calendar', async () => {
    expect(await windowGate({ ...TOKYO, timezone: 'Mars/Olympus' }, context('2026-11-23T02:00:00Z'))).toMatchObject({ status: 'fail', reason: 'unknown time zone "Mars/Olympus"' });
    const broken = await windowGate({ ...TOKYO, freezeCalendar: 'x.ics' }, {
      now: new Date('2026-11-23T02:00:00Z'),
      readText: async () => {
        throw new Error('ENOENT: no such file');
      },
    } as unknown as GateContext);
    expect(broken).toMatchObject({ status: 'fail', reason: 'cannot read the freeze calendar x.ics: ENOENT: no such file' });
  });
});
