// The numeric flag parsers: what each accepts, and the exact refusal (exit 2)
// the commands printed before they shared these parsers.
import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/errors.js';
import { integerInRange, lenientSeconds, numberBetween, positiveInteger, positiveSeconds } from '../../src/cli/flag-parsers.js';

function refusal(parse: () => unknown): { message: string; exitCode: number } {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return { message: (error as UsageError).message, exitCode: (error as UsageError).exitCode };
  }
  throw new Error('expected a UsageError');
}

describe('flag parsers', () => {
  it('leave a flag that was not given undefined', () => {
    expect(positiveInteger(undefined, '--limit')).toBeUndefined();
    expect(integerInRange(undefined, '--bits', { min: 10, max: 24 })).toBeUndefined();
    expect(numberBetween(undefined, '--tolerance', { atLeast: 0, below: 1 })).toBeUndefined();
    expect(positiveSeconds(undefined, '--timeout')).toBeUndefined();
  });

  it('positiveInteger: whole numbers from 1 (--limit, --max-length)', () => {
    expect(positiveInteger('20', '--limit')).toBe(20);
    expect(positiveInteger('1', '--max-length')).toBe(1);
    for (const bad of ['0', '-3', '1.5', 'abc', '', 'Infinity']) {
      expect(refusal(() => positiveInteger(bad, '--limit'))).toEqual({ message: `--limit must be a positive whole number, got ${bad}`, exitCode: ExitCode.Usage });
    }
    expect(refusal(() => positiveInteger('0', '--max-length')).message).toBe('--max-length must be a positive whole number, got 0');
  });

  it('integerInRange: a lower bound alone (--seed) or both (--bits, --epochs)', () => {
    expect(integerInRange('0', '--seed', { min: 0 })).toBe(0);
    expect(integerInRange('42', '--seed', { min: 0 })).toBe(42);
    expect(refusal(() => integerInRange('-1', '--seed', { min: 0 })).message).toBe('--seed must be a whole number >= 0, got -1');
    expect(refusal(() => integerInRange('4.2', '--seed', { min: 0 })).message).toBe('--seed must be a whole number >= 0, got 4.2');
    expect(integerInRange('10', '--bits', { min: 10, max: 24 })).toBe(10);
    expect(integerInRange('24', '--bits', { min: 10, max: 24 })).toBe(24);
    expect(refusal(() => integerInRange('99', '--bits', { min: 10, max: 24 }))).toEqual({ message: '--bits must be a whole number from 10 to 24, got 99', exitCode: ExitCode.Usage });
    expect(refusal(() => integerInRange('0', '--epochs', { min: 1, max: 200 })).message).toBe('--epochs must be a whole number from 1 to 200, got 0');
  });

  it('numberBetween: each bound inclusive or not, the message names both', () => {
    const testFraction = { above: 0, below: 0.9 };
    expect(numberBetween('0.2', '--test-fraction', testFraction)).toBe(0.2);
    for (const bad of ['0', '0.9', 'x']) expect(refusal(() => numberBetween(bad, '--test-fraction', testFraction)).message).toBe(`--test-fraction must be between 0 and 0.9, got ${bad}`);

    const probability = { above: 0, atMost: 1 };
    expect(numberBetween('1', '--approve-recall', probability)).toBe(1);
    expect(refusal(() => numberBetween('0', '--reject-precision', probability)).message).toBe('--reject-precision must be between 0 and 1, got 0');

    const tolerance = { atLeast: 0, below: 1 };
    expect(numberBetween('0', '--tolerance', tolerance)).toBe(0);
    expect(numberBetween('0.01', '--tolerance', tolerance)).toBe(0.01);
    for (const bad of ['1', '-0.1', 'Infinity']) expect(refusal(() => numberBetween(bad, '--tolerance', tolerance)).message).toBe(`--tolerance must be between 0 and 1, got ${bad}`);
  });

  it('positiveSeconds: fractions allowed, returned as milliseconds', () => {
    expect(positiveSeconds('0.3', '--timeout')).toBe(300);
    expect(positiveSeconds('60', '--timeout')).toBe(60_000);
    for (const bad of ['0', '-1', 'soon', 'Infinity']) {
      expect(refusal(() => positiveSeconds(bad, '--timeout'))).toEqual({ message: `--timeout must be a positive number of seconds, got ${bad}`, exitCode: ExitCode.Usage });
    }
  });

  it('lenientSeconds never refuses: not a number or 0 is the fallback, too short is raised', () => {
    const interval = { fallback: 2, atLeast: 0.5 };
    expect(lenientSeconds('3', interval)).toBe(3000);
    expect(lenientSeconds('abc', interval)).toBe(2000);
    expect(lenientSeconds('0', interval)).toBe(2000);
    expect(lenientSeconds(undefined, interval)).toBe(2000);
    expect(lenientSeconds('0.1', interval)).toBe(500);
    expect(lenientSeconds('-5', interval)).toBe(500);
  });
});
