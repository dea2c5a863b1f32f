// window: deploys only inside the allowed days and hours (in the team's time
// zone, DST included) and outside freeze periods; outside, say when the next
// window opens. With a release calendar (planned release slots as .ics
// events), its slots replace the days and hours; freezes still apply. A
// calendar's URL is often a bearer secret (Google Calendar's "secret address
// in iCal format"): the reasons, which go to Slack and the logs, show only
// its scheme and host.
import { DateTime } from 'luxon';
import { freezePeriods, type FreezePeriod } from './freeze-calendar.js';
import { currentSlot, nextSlotOpening, releaseSlots, SLOT_LOOKAHEAD_DAYS } from './release-slots.js';
import { fail, pass, type Gate, type GateResult } from './gate.js';

export interface WindowSettings {
  timezone: string;
  days: ('Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat' | 'Sun')[];
  from: string;
  to: string;
  freezeCalendar?: string;
  /** Planned release slots (.ics): when set, deploys only inside one of its events, instead of days/from/to. */
  releaseCalendar?: string;
}

/** How a calendar's location is shown: a URL as scheme + host + "…" (its path and query may be the secret), a file as is. */
export function shownLocation(location: string): string {
  if (!/^https?:\/\//i.test(location)) return location;
  try {
    const url = new URL(location);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return 'the calendar URL';
  }
}

const WEEKDAY = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

function at(day: DateTime, clock: string): DateTime {
  const [hour, minute] = clock.split(':').map(Number) as [number, number];
  return day.set({ hour, minute, second: 0, millisecond: 0 });
}

/** The next instant at or after `now` inside a window and outside every freeze (searching two weeks ahead). */
export function nextOpening(settings: WindowSettings, now: Date, freezes: FreezePeriod[]): Date | undefined {
  const start = DateTime.fromJSDate(now, { zone: settings.timezone }).startOf('day');
  for (let offset = 0; offset < 15; offset++) {
    const day = start.plus({ days: offset });
    if (!settings.days.includes(WEEKDAY[day.weekday - 1]!)) continue;
    const open = at(day, settings.from).toJSDate();
    const close = at(day, settings.to).toJSDate();
    let t = new Date(Math.max(open.getTime(), now.getTime()));
    while (t < close) {
      const freeze = freezes.find((f) => f.start <= t && t < f.end);
      if (!freeze) return t;
      t = freeze.end;
    }
  }
  return undefined;
}

export const windowGate: Gate<WindowSettings> = async (settings, context) => {
  if (!DateTime.local().setZone(settings.timezone).isValid) {
    return fail(`unknown time zone "${settings.timezone}"`, 'use an IANA name such as Asia/Tokyo in gates.window.timezone');
  }
  const now = context.now;
  let freezes: FreezePeriod[] = [];
  if (settings.freezeCalendar) {
    try {
      freezes = freezePeriods(await context.readText(settings.freezeCalendar), settings.timezone, new Date(now.getTime() - 366 * 86400_000), new Date(now.getTime() + 30 * 86400_000));
    } catch (error) {
      return fail(`cannot read the freeze calendar ${shownLocation(settings.freezeCalendar)}: ${(error as Error).message}`, 'fix gates.window.freezeCalendar, or override with --override window --reason "..."');
    }
  }
  const local = DateTime.fromJSDate(now, { zone: settings.timezone });
  const describe = (d: Date) => DateTime.fromJSDate(d, { zone: settings.timezone }).toFormat('ccc yyyy-LL-dd HH:mm ZZZZ');
  const freeze = freezes.find((f) => f.start <= now && now < f.end);
  const next = nextOpening(settings, now, freezes);
  const nextText = next ? `the next window opens ${describe(next)}` : 'no window opens in the next two weeks';
  if (settings.releaseCalendar) return releaseSlotVerdict(settings, shownLocation(settings.releaseCalendar), now, freezes, await context.readText(settings.releaseCalendar).catch((error: unknown) => error as Error), describe);
  if (freeze) return fail(`deploy freeze "${freeze.summary}" until ${describe(freeze.end)}`, nextText);
  const inDay = settings.days.includes(WEEKDAY[local.weekday - 1]!);
  const inHours = now >= at(local, settings.from).toJSDate() && now < at(local, settings.to).toJSDate();
  if (!inDay || !inHours) {
    return fail(`${describe(now)} is outside the deploy window (${settings.days.join(', ')} ${settings.from}-${settings.to} ${settings.timezone})`, nextText);
  }
  return pass(`inside the deploy window (${settings.days.join(', ')} ${settings.from}-${settings.to} ${settings.timezone})`);
};

/** The verdict when gates.window.releaseCalendar is set: inside a slot (and no freeze) passes, naming it; outside, the next slot. */
function releaseSlotVerdict(settings: WindowSettings, location: string, now: Date, freezes: FreezePeriod[], ics: string | Error, describe: (d: Date) => string): Omit<GateResult, 'name'> {
  let slots;
  try {
    if (ics instanceof Error) throw ics;
    slots = releaseSlots(ics, settings.timezone, new Date(now.getTime() - 366 * 86400_000), new Date(now.getTime() + SLOT_LOOKAHEAD_DAYS * 86400_000));
  } catch (error) {
    return fail(`cannot read the release calendar ${location}: ${(error as Error).message}`, 'fix gates.window.releaseCalendar (a file in the repository or the https URL of an .ics feed), or override with --override window --reason "..."');
  }
  const next = nextSlotOpening(slots, freezes, now);
  const nextText = next ? `the next planned release slot is ${describe(next.at)} (${next.slot.summary})` : `no planned slot in the next ${SLOT_LOOKAHEAD_DAYS} days: add one to ${location}`;
  const freeze = freezes.find((f) => f.start <= now && now < f.end);
  if (freeze) return fail(`deploy freeze "${freeze.summary}" until ${describe(freeze.end)}`, nextText);
  const slot = currentSlot(slots, freezes, now);
  if (!slot) return fail(`${describe(now)} is outside every planned release slot in ${location}`, nextText);
  return pass(`inside the planned release slot "${slot.summary}" (${describe(slot.start)} to ${describe(slot.end)}); gates.window days/from/to are not applied while releaseCalendar is set`);
}
