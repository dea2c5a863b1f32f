// The events of an iCalendar feed (a file or an https URL, as Google Calendar
// exports it) within a time range, as plain periods: recurring events
// expanded (with their edited occurrences), VTIMEZONE definitions honoured,
// and all-day or floating times read in the deploy window's time zone. The
// window gate reads both of its calendars through it: freeze periods
// (freeze-calendar.ts) and planned release slots (release-slots.ts).
import ICAL from 'ical.js';
import { DateTime } from 'luxon';

export interface CalendarPeriod {
  summary: string;
  start: Date;
  end: Date;
}

/** How many occurrences of one recurring event are looked through at most. */
const MAX_OCCURRENCES = 20_000;

function toDate(time: ICAL.Time, zone: string): Date {
  const floating = time.isDate || !time.zone || time.zone.tzid === 'floating';
  if (!floating) return time.toJSDate();
  return DateTime.fromObject({ year: time.year, month: time.month, day: time.day, hour: time.hour, minute: time.minute, second: time.second }, { zone }).toJSDate();
}

/** The calendar's events that overlap [from, until), earliest first; `fallbackSummary` names those without a SUMMARY. */
export function calendarPeriods(ics: string, zone: string, from: Date, until: Date, fallbackSummary: string): CalendarPeriod[] {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  for (const vtimezone of calendar.getAllSubcomponents('vtimezone')) {
    const timezone = new ICAL.Timezone(vtimezone);
    if (!ICAL.TimezoneService.has(timezone.tzid)) ICAL.TimezoneService.register(timezone);
  }
  const periods: CalendarPeriod[] = [];
  const vevents = calendar.getAllSubcomponents('vevent');
  const exceptions = vevents.filter((v) => v.hasProperty('recurrence-id'));
  for (const vevent of vevents.filter((v) => !v.hasProperty('recurrence-id'))) {
    const event = new ICAL.Event(vevent, { exceptions: exceptions.filter((x) => x.getFirstPropertyValue('uid') === vevent.getFirstPropertyValue('uid')) });
    const summary = event.summary || fallbackSummary;
    if (!event.isRecurring()) {
      const start = toDate(event.startDate, zone);
      const end = event.endDate ? toDate(event.endDate, zone) : new Date(start.getTime() + 24 * 3600 * 1000);
      if (start < until && end > from) periods.push({ summary, start, end });
      continue;
    }
    const iterator = event.iterator();
    for (let next = iterator.next(), guard = 0; next && guard < MAX_OCCURRENCES; next = iterator.next(), guard++) {
      const occurrence = event.getOccurrenceDetails(next);
      const start = toDate(occurrence.startDate, zone);
      if (start >= until) break;
      const end = toDate(occurrence.endDate, zone);
      if (end > from) periods.push({ summary: occurrence.item.summary || summary, start, end });
    }
  }
  return periods.sort((a, b) => a.start.getTime() - b.start.getTime());
}
