// Freeze periods from an iCalendar feed (a file or an https URL, as Google
// Calendar exports it): every event is a period in which deploys are
// refused; recurring events are expanded, VTIMEZONE definitions honoured, and
// all-day or floating times read in the deploy window's time zone (the
// expansion is calendar-events.ts, shared with the release slots).
import { calendarPeriods, type CalendarPeriod } from './calendar-events.js';

export type FreezePeriod = CalendarPeriod;

/** Freeze periods that overlap [from, until). */
export function freezePeriods(ics: string, zone: string, from: Date, until: Date): FreezePeriod[] {
  return calendarPeriods(ics, zone, from, until, 'freeze');
}
