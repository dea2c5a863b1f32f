// Freeze periods from an iCalendar feed (a file or an https URL, as Google
// Calendar exports it): every event is a period in which deploys are
// refused; recurring events are expanded, VTIMEZONE definitions honoured, and
// all-day or floating times read in the deploy window's time zone.
import ICAL from 'ical.js';
import { DateTime } from 'luxon';

export interface FreezePeriod {
  summary: string;
  start: Date;
  end: Date;
}

function toDate(time: ICAL.Time, zone: string): Date {
  const floating = time.isDate || !time.zone || time.zone.tzid === 'floating';
  if (!floating) return time.toJSDate();
  return DateTime.fromObject({ year: time.year, month: time.month, day: time.day, hour: time.hour, minute: time.minute, second: time.second }, { zone }).toJSDate();
}

/** Freeze periods that overlap [from, until). */
export function freezePeriods(ics: string, zone: string, from: Date, until: Date): FreezePeriod[] {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  for (const vtimezone of calendar.getAllSubcomponents('vtimezone')) {
    const timezone = new ICAL.Timezone(vtimezone);
    if (!ICAL.TimezoneService.has(timezone.tzid)) ICAL.TimezoneService.register(timezone);
  }
  const periods: FreezePeriod[] = [];
  const vevents = calendar.getAllSubcomponents('vevent');
  const exceptions = vevents.filter((v) => v.hasProperty('recurrence-id'));
  for (const vevent of vevents.filter((v) => !v.hasProperty('recurrence-id'))) {
    const event = new ICAL.Event(vevent, { exceptions: exceptions.filter((x) => x.getFirstPropertyValue('uid') === vevent.getFirstPropertyValue('uid')) });
    const summary = event.summary || 'freeze';
    if (!event.isRecurring()) {
      const start = toDate(event.startDate, zone);
      const end = event.endDate ? toDate(event.endDate, zone) : new Date(start.getTime() + 24 * 3600 * 1000);
      if (start < until && end > from) periods.push({ summary, start, end });
      continue;
    }
    const iterator = event.iterator();
    for (let next = iterator.next(), guard = 0; next && guard < 5000; next = iterator.next(), guard++) {
      const occurrence = event.getOccurrenceDetails(next);
      const start = toDate(occurrence.startDate, zone);
      if (start >= until) break;
      const end = toDate(occurrence.endDate, zone);
      if (end > from) periods.push({ summary: occurrence.item.summary || summary, start, end });
    }
  }
  return periods.sort((a, b) => a.start.getTime() - b.start.getTime());
}
