// The Ruby values the CodeDeploy agent's AppSpec parser works on (what
// Psych's YAML.load returns), and the few Ruby conversions it applies to them
// (to_s, to_i, ==), so appspec.ts and appspec-permissions.ts can follow the
// agent's code case for case without guessing at JavaScript equivalents.

/** A Ruby Float (kept apart from Integer: `644.0.to_s` is "644.0", not "644"). */
export class RubyFloat {
  constructor(readonly value: number) {}
}

/** A Ruby Symbol (`:name`): YAML.load permits them; it never equals a String. */
export class RubySymbol {
  constructor(readonly name: string) {}
}

export type RubyValue = null | boolean | number | string | RubyFloat | RubySymbol | RubyValue[] | RubyHash;

/** A Ruby Hash: keys compared as Ruby does (the String "1" is not the Integer 1), insertion order kept. */
export class RubyHash {
  private readonly entries = new Map<string, { key: RubyValue; value: RubyValue }>();

  set(key: RubyValue, value: RubyValue): void {
    const id = hashKey(key);
    const existing = this.entries.get(id);
    // Re-assigning a key keeps its first position, as in Ruby.
    if (existing) existing.value = value;
    else this.entries.set(id, { key, value });
  }

  /** `hash['name']`: nil when absent. */
  get(name: string): RubyValue {
    return this.entries.get(hashKey(name))?.value ?? null;
  }

  has(name: string): boolean {
    return this.entries.has(hashKey(name));
  }

  *pairs(): Generator<[RubyValue, RubyValue]> {
    for (const { key, value } of this.entries.values()) yield [key, value];
  }
}

function hashKey(key: RubyValue): string {
  if (key === null) return 'nil';
  if (typeof key === 'string') return `s:${key}`;
  if (typeof key === 'number') return `i:${key}`;
  if (typeof key === 'boolean') return `b:${key}`;
  if (key instanceof RubyFloat) return `f:${key.value}`;
  if (key instanceof RubySymbol) return `y:${key.name}`;
  return `o:${rubyInspect(key)}`;
}

/** A refusal by the agent's parser: where (a key path), which rule of the agent, and why. */
export class AppspecRuleError extends Error {
  constructor(
    readonly path: string[],
    readonly rule: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The Ruby class name, as the agent's NoMethodError/TypeError would say it. */
export function typeName(value: RubyValue): string {
  if (value === null) return 'NilClass';
  if (value === true) return 'TrueClass';
  if (value === false) return 'FalseClass';
  if (typeof value === 'number') return 'Integer';
  if (typeof value === 'string') return 'String';
  if (value instanceof RubyFloat) return 'Float';
  if (value instanceof RubySymbol) return 'Symbol';
  if (Array.isArray(value)) return 'Array';
  return 'Hash';
}

function floatToS(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
    const sign = exponent.startsWith('-') ? '-' : '+';
    const digits = exponent.replace(/^[-+]/, '').padStart(2, '0');
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}e${sign}${digits}`;
  }
  if (Number.isInteger(value)) return `${Object.is(value, -0) ? '-0' : String(value)}.0`;
  return String(value);
}

/** Ruby's `to_s`. */
export function rubyToS(value: RubyValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof RubyFloat) return floatToS(value.value);
  if (value instanceof RubySymbol) return value.name;
  return rubyInspect(value);
}

/** Ruby's `inspect` (what the agent's messages interpolate for lists and hashes). */
export function rubyInspect(value: RubyValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof RubySymbol) return `:${value.name}`;
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(', ')}]`;
  if (value instanceof RubyHash) return `{${[...value.pairs()].map(([k, v]) => `${rubyInspect(k)}=>${rubyInspect(v)}`).join(', ')}}`;
  return rubyToS(value);
}

/** Ruby's String#to_i: leading blanks, a sign, digits with single underscores; 0 when none. */
export function rubyStringToI(text: string): number {
  const match = /^\s*([-+]?)(\d+(?:_\d+)*)/.exec(text);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * Number.parseInt(match[2]!.replaceAll('_', ''), 10);
}

/** Ruby's `to_i` on a value; true, symbols, lists and hashes have none (NoMethodError in the agent). */
export function rubyToI(value: RubyValue, at: string[], rule: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return rubyStringToI(value);
  if (value instanceof RubyFloat) {
    if (!Number.isFinite(value.value)) throw new AppspecRuleError(at, rule, `${rubyToS(value)} has no whole number (FloatDomainError)`);
    return Math.trunc(value.value);
  }
  if (value === null) return 0;
  throw new AppspecRuleError(at, rule, `undefined method 'to_i' for ${rubyInspect(value)} (${typeName(value)}): a number of seconds is expected`);
}
