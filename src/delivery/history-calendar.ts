// The deploy history as an iCalendar feed (RFC 5545, written with ical.js):
// one VEVENT per deployment or model release, so a team can subscribe to
// "what shipped when" in Google Calendar or any calendar app (`mod history
// --ics`, the bot's GET /calendar.ics). Each event's UID is the deployment id
// at the app, stable across fetches, and its SEQUENCE rises when the
// deployment ends, so subscribers update an event rather than add another.
// ical.js writes CRLF line ends and folds lines by UTF-8 octets, never inside
// a character.
import ICAL from 'ical.js';
import type { DeploymentRecord } from './deployment.js';

export const CALENDAR_PRODID = '-//mod//deploy history//EN';

/** A running deployment is shown this long (it has no end yet). */
const RUNNING_MS = 60_000;

export interface HistoryCalendarOptions {
  /** mod.config.yml's app: the calendar's name and the UIDs' domain part. */
  app: string;
  /** When the calendar is written (DTSTAMP). */
  now?: Date;
}

/** The records (newest first, as history() returns them) as VCALENDAR text. */
export function historyCalendar(records: DeploymentRecord[], options: HistoryCalendarOptions): string {
  const calendar = new ICAL.Component(['vcalendar', [], []]);
  calendar.addPropertyWithValue('prodid', CALENDAR_PRODID);
  calendar.addPropertyWithValue('version', '2.0');
  calendar.addPropertyWithValue('calscale', 'GREGORIAN');
  calendar.addPropertyWithValue('method', 'PUBLISH');
  calendar.addPropertyWithValue('x-wr-calname', `${options.app} deployments`);
  calendar.addPropertyWithValue('x-wr-caldesc', `Deployments and model releases of ${options.app}, from mod history`);
  const stamp = utc(options.now ?? new Date());
  for (const record of records) calendar.addSubcomponent(deploymentEvent(record, options.app, stamp));
  return stringify(calendar) + '\r\n';
}

/**
 * ical.js folds at ICAL.foldLength octets of content, then prefixes each
 * continuation with its space: 76 octets. RFC 5545 (3.1) wants at most 75 with
 * that space, so the content is folded at 74 while this calendar is written.
 */
function stringify(calendar: ICAL.Component): string {
  const foldLength = ICAL.foldLength;
  ICAL.foldLength = 74;
  try {
    return calendar.toString();
  } finally {
    ICAL.foldLength = foldLength;
  }
}

function deploymentEvent(record: DeploymentRecord, app: string, stamp: ICAL.Time): ICAL.Component {
  const event = new ICAL.Component('vevent');
  const started = new Date(record.startedAt);
  const ended = record.endedAt ? new Date(record.endedAt) : undefined;
  const end = ended && ended > started ? ended : new Date(started.getTime() + (ended ? 1000 : RUNNING_MS));
  event.addPropertyWithValue('uid', `${record.deploymentId}@${app}`);
  event.addPropertyWithValue('dtstamp', stamp);
  event.addPropertyWithValue('dtstart', utc(started));
  event.addPropertyWithValue('dtend', utc(end));
  event.addPropertyWithValue('last-modified', utc(ended ?? started));
  event.addPropertyWithValue('sequence', record.status === 'InProgress' ? 0 : 1);
  event.addPropertyWithValue('summary', summary(record));
  event.addPropertyWithValue('description', description(record));
  event.addPropertyWithValue('status', eventStatus(record));
  event.addPropertyWithValue('transp', 'TRANSPARENT');
  const categories = event.addPropertyWithValue('categories', record.environment);
  categories.setValues([record.environment, record.kind === 'model' ? 'model' : 'code', record.status]);
  return event;
}

/** "<env>: <status> <short commit> <subject>", or "<env>: model <version> <status>" for a model release. */
export function summary(record: DeploymentRecord): string {
  if (record.kind === 'model' && record.model) {
    const action = record.model.action === 'release' ? '' : ` ${record.model.action}`;
    return `${record.environment}: model${action} ${record.model.version} ${record.status}`;
  }
  const rollback = record.rollbackOf ? ' rollback to' : '';
  return `${record.environment}: ${record.status}${rollback} ${record.revision.commit.slice(0, 7)} ${record.revision.subject ?? ''}`.trimEnd();
}

function description(record: DeploymentRecord): string {
  const lines = [`Deployment ${record.deploymentId} (${record.provider})`, `Initiated by ${record.initiator}`];
  if (record.kind === 'model' && record.model) {
    const m = record.model;
    lines.push(`Model ${m.action}: ${m.version} (checksum ${m.checksum}) from ${m.location}`);
    lines.push(`Replacing: ${m.previous ? m.previous.version : 'the bundled model'}`);
    if (m.gate) lines.push(`Model gate: ${m.gate.passed ? 'passed' : 'failed'} against ${m.gate.baseline.version} on ${m.gate.checkSet} (${m.gate.examples} examples)`);
  } else {
    lines.push(`Commit: ${record.revision.commit}${record.revision.subject ? ` ${record.revision.subject}` : ''}${record.revision.author ? ` (${record.revision.author})` : ''}`);
  }
  if (record.reason) lines.push(`Reason: ${record.reason}`);
  if (record.rollbackOf) lines.push(`Rollback of: ${record.rollbackOf}`);
  if (record.revertCommit) lines.push(`Revert commit: ${record.revertCommit}`);
  if (record.pendingRevert) lines.push(`Revert still pending: ${record.pendingRevert.reason}`);
  if (record.gates?.length) {
    lines.push('Gates:');
    for (const gate of record.gates) lines.push(`  ${gate.name}: ${gate.status}${gate.overridden ? ` (overridden by ${gate.overridden.by}: ${gate.overridden.reason})` : ''} - ${gate.reason}`);
  }
  if (record.canary) lines.push(`Canary: ${canaryVerdict(record)}`);
  if (record.autoRollback) lines.push(`Auto-rollback to ${record.autoRollback.revision.commit.slice(0, 7)}: ${record.autoRollback.status}`);
  if (record.stopReason) lines.push(`Stopped: ${record.stopReason}`);
  if (record.error) lines.push(`Error ${record.error.code}: ${record.error.message}${record.error.hint ? ` (${record.error.hint})` : ''}`);
  if (record.endedAt) lines.push(`Finished: ${record.endedAt}`);
  else if (record.status === 'InProgress') lines.push('Still running');
  return lines.join('\n');
}

function canaryVerdict(record: DeploymentRecord): string {
  const canary = record.canary!;
  if (!canary.verdict) return `${canary.status}${canary.note ? ` (${canary.note})` : ''}`;
  return `${canary.verdict.verdict} (score ${canary.verdict.score}): ${canary.verdict.reason}${canary.outcome ? `, ${canary.outcome}` : ''}`;
}

/** A stopped deployment was called off; anything else happened (its outcome is in the summary). */
// RFC 5545 STATUS values (a table, not returns: they are not error codes).
const EVENT_STATUS: Partial<Record<DeploymentRecord['status'], 'TENTATIVE' | 'CANCELLED'>> = { InProgress: 'TENTATIVE', Stopped: 'CANCELLED' };

function eventStatus(record: DeploymentRecord): 'TENTATIVE' | 'CONFIRMED' | 'CANCELLED' {
  return EVENT_STATUS[record.status] ?? 'CONFIRMED';
}

function utc(date: Date): ICAL.Time {
  return ICAL.Time.fromJSDate(date, true);
}
