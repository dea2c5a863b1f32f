// How the dashboard writes its numbers and times, in one place so the
// charts' labels, the tables and the summary say the same thing. Times are
// UTC (the service's hours are whole UTC hours, and logs and alarms are in
// UTC too), written `2026-12-02 13:00`.

/** `2026-12-02 13:00` (UTC) for an ISO time; minutes kept, seconds dropped. */
export function timeLabel(iso) {
  return new Date(iso).toISOString().slice(0, 16).replace('T', ' ');
}

/** The hour of an hourly row: `2026-12-02 13:00`. */
export const hourLabel = timeLabel;

/** A share (0..1) as a percentage with one decimal: `12.5%`; `–` for null (an hour without posts). */
export function percent(share) {
  return share === null || share === undefined ? '–' : `${(share * 100).toFixed(1)}%`;
}

/** A count with thousands separators: `1,234`. */
export function count(n) {
  return Number(n).toLocaleString('en-US');
}

/** `1 change`, `3 changes`. */
export function plural(n, one, many) {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** Cohen's kappa with three decimals, `–` when it is not defined. */
export function kappa(k) {
  return k === null || k === undefined ? '–' : k.toFixed(3);
}

/** A duration in seconds as a person says it: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`; `–` for null (nothing waiting). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** A commit as people quote it (12 characters), `unknown` when the process did not know it. */
export function revision(rev) {
  return rev === null || rev === undefined ? 'unknown' : rev.slice(0, 12);
}

/** What one change of the timeline says: `model 2026-a → 2026-b`. */
export function changeText(change) {
  const show = change.kind === 'revision' ? revision : (v) => v ?? 'unknown';
  return `${change.kind} ${show(change.from)} → ${show(change.to)}`;
}
