// Parsers for numeric flags. Commander hands every value over as a string;
// these turn it into a number or refuse it with a UsageError (exit 2) that
// reads "<flag> must be <what it accepts>, got <value>". A flag that was not
// given (undefined) stays undefined.
import { UsageError } from '../errors.js';

/** Bounds of a number flag; give at most one lower and one upper bound. */
export interface NumberBounds {
  atLeast?: number;
  above?: number;
  atMost?: number;
  below?: number;
}

function parseNumber(value: string, flag: string, accepts: (x: number) => boolean, expected: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || !accepts(x)) throw new UsageError(`${flag} must be ${expected}, got ${value}`);
  return x;
}

/** A whole number >= 1 (a count, a limit, a length). */
export function positiveInteger(value: string, flag: string): number;
export function positiveInteger(value: string | undefined, flag: string): number | undefined;
export function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  return parseNumber(value, flag, (x) => Number.isInteger(x) && x >= 1, 'a positive whole number');
}

/** A whole number from `min` (to `max`, when given). */
export function integerInRange(value: string, flag: string, range: { min: number; max?: number }): number;
export function integerInRange(value: string | undefined, flag: string, range: { min: number; max?: number }): number | undefined;
export function integerInRange(value: string | undefined, flag: string, { min, max }: { min: number; max?: number }): number | undefined {
  if (value === undefined) return undefined;
  const expected = max === undefined ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
  return parseNumber(value, flag, (x) => Number.isInteger(x) && x >= min && (max === undefined || x <= max), expected);
}

/** A number between a lower and an upper bound, each inclusive (atLeast, atMost) or not (above, below). */
export function numberBetween(value: string, flag: string, bounds: NumberBounds): number;
export function numberBetween(value: string | undefined, flag: string, bounds: NumberBounds): number | undefined;
export function numberBetween(value: string | undefined, flag: string, bounds: NumberBounds): number | undefined {
  if (value === undefined) return undefined;
  const { atLeast, above, atMost, below } = bounds;
  const accepts = (x: number) => (atLeast === undefined || x >= atLeast) && (above === undefined || x > above) && (atMost === undefined || x <= atMost) && (below === undefined || x < below);
  return parseNumber(value, flag, accepts, `between ${atLeast ?? above ?? '-infinity'} and ${atMost ?? below ?? 'infinity'}`);
}

/** A positive number of seconds (fractions allowed), as milliseconds. */
export function positiveSeconds(value: string, flag: string): number;
export function positiveSeconds(value: string | undefined, flag: string): number | undefined;
export function positiveSeconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  return parseNumber(value, flag, (x) => x > 0, 'a positive number of seconds') * 1000;
}

/**
 * A refresh interval in seconds, as milliseconds, that never refuses: a value
 * that is not a number (or is 0) means `fallback`, and anything shorter than
 * `atLeast` is raised to it, so a typo cannot stop a watch or spin it.
 */
export function lenientSeconds(value: string | undefined, { fallback, atLeast }: { fallback: number; atLeast: number }): number {
  return Math.max(atLeast, Number(value) || fallback) * 1000;
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** How far back `--since` reaches: ten years (3650d), far more than any database keeps, and a time a Date can hold. */
export const SINCE_LIMIT_DAYS = 3650;

/**
 * `--since`: an ISO 8601 time, or a duration back from `now` (30m, 24h, 7d,
 * 2w). Undefined when it is neither; a UsageError (exit 2) when it reaches
 * back further than SINCE_LIMIT_DAYS or names a time after `now`.
 */
export function parseSince(value: string, now: Date, flag = '--since'): Date | undefined {
  const limitMs = SINCE_LIMIT_DAYS * UNIT_MS.d!;
  const duration = DURATION.exec(value.trim());
  if (duration) {
    const ms = Number(duration[1]) * (UNIT_MS[(duration[2] as string).toLowerCase()] as number);
    if (!(ms <= limitMs)) throw new UsageError(`${flag} ${value} reaches back further than the limit of ${SINCE_LIMIT_DAYS}d (ten years)`, `give a shorter duration (30m, 24h, 7d, 2w, at most ${SINCE_LIMIT_DAYS}d) or an ISO 8601 time`);
    return new Date(now.getTime() - ms);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim())) return undefined;
  const at = new Date(value.trim());
  if (Number.isNaN(at.getTime())) return undefined;
  if (at.getTime() > now.getTime()) throw new UsageError(`${flag} ${value} is in the future (now is ${now.toISOString()}): no post was created since then`, 'give a time in the past, or a duration back from now (24h, 7d)');
  if (now.getTime() - at.getTime() > limitMs) throw new UsageError(`${flag} ${value} reaches back further than the limit of ${SINCE_LIMIT_DAYS}d (ten years)`, `give a time within the last ${SINCE_LIMIT_DAYS} days`);
  return at;
}
