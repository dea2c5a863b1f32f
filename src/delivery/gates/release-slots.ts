// Planned release slots from an iCalendar feed (gates.window.releaseCalendar:
// a file in the repository or an https URL, e.g. a shared Google Calendar's
// secret .ics address): every event is a slot in which deploys are allowed,
// recurring ones expanded like the freeze calendar's (calendar-events.ts).
// Freezes still apply inside a slot.
import { calendarPeriods, type CalendarPeriod } from './calendar-events.js';
import type { FreezePeriod } from './freeze-calendar.js';

export type ReleaseSlot = CalendarPeriod;

/** How far ahead the next slot is looked for. */
export const SLOT_LOOKAHEAD_DAYS = 30;

/** Release slots that overlap [from, until). */
export function releaseSlots(ics: string, zone: string, from: Date, until: Date): ReleaseSlot[] {
  return calendarPeriods(ics, zone, from, until, 'release slot');
}

/** The slot `now` is in (outside every freeze: a frozen slot is none), or undefined. */
export function currentSlot(slots: ReleaseSlot[], freezes: FreezePeriod[], now: Date): ReleaseSlot | undefined {
  if (freezes.some((f) => f.start <= now && now < f.end)) return undefined;
  return slots.find((s) => s.start <= now && now < s.end);
}

/** The first instant after `now` inside a slot and outside every freeze, with its slot; undefined when none is planned. */
export function nextSlotOpening(slots: ReleaseSlot[], freezes: FreezePeriod[], now: Date): { at: Date; slot: ReleaseSlot } | undefined {
  let best: { at: Date; slot: ReleaseSlot } | undefined;
  for (const slot of slots) {
    let t = new Date(Math.max(slot.start.getTime(), now.getTime()));
    while (t < slot.end) {
      const freeze = freezes.find((f) => f.start <= t && t < f.end);
      if (!freeze) break;
      t = freeze.end;
    }
    if (t < slot.end && (!best || t < best.at)) best = { at: t, slot };
  }
  return best;
}
