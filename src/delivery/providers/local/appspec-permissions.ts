// The appspec `permissions` section, parsed and matched exactly as the
// CodeDeploy agent does: application_specification.rb parse_permissions and
// the helper classes linux_permission_info.rb (object, pattern, except,
// type, matching), mode_info.rb, acl_info.rb / ace_info.rb (setfacl entries)
// and context_info.rb / range_info.rb (SELinux). Applying them after Install
// is install-instructions.ts's job.
import path from 'node:path';
import { AppspecRuleError, RubyHash, rubyInspect, rubyToS, typeName, type RubyValue } from './appspec-ruby.js';

export interface Mode {
  /** Three or four octal digits, as the agent keeps it (a short mode is zero-padded to three). */
  mode: string;
}

export interface Ace {
  default: boolean;
  type: 'user' | 'group' | 'mask' | 'other';
  name: string;
  read: boolean;
  write: boolean;
  execute: boolean;
}

export interface Acl {
  aces: Ace[];
}

export interface SelinuxRange {
  low: number;
  high: number;
  categories?: number[];
}

export interface SelinuxContext {
  /** `name:` (semanage -s), as written. */
  user?: string;
  type: string;
  range?: SelinuxRange;
}

export interface LinuxPermission {
  object: string;
  /** `**` (any depth) or a simple glob of one path segment; the agent keeps any other value as written. */
  pattern: RubyValue;
  except: RubyValue[];
  type: ('file' | 'directory')[];
  owner: RubyValue;
  group: RubyValue;
  mode?: Mode;
  acls?: Acl;
  context?: SelinuxContext;
}

const SPEC = 'application_specification.rb';

export function parsePermission(value: RubyValue, at: string[]): LinuxPermission {
  if (!(value instanceof RubyHash)) throw new AppspecRuleError(at, `${SPEC} parse_permissions (permission.has_key?)`, `a permission must be a mapping with an object, got ${typeName(value)}`);
  const rawObject = value.get('object');
  const object = rubyToS(rawObject).trim();
  if (rawObject === null || object === '') throw new AppspecRuleError(at, `${SPEC} parse_permissions / linux_permission_info.rb`, 'a permission with no object value');
  const rawPattern = value.get('pattern');
  const pattern = rawPattern === null || rawPattern === '**' ? '**' : rawPattern;
  const except = listOf(value.get('except'), [...at, 'except'], `${SPEC} parse_simple_glob_list (glob_list.each)`) ?? [];
  const permission: LinuxPermission = {
    object,
    pattern,
    except,
    type: parseTypes(value.get('type'), [...at, 'type']),
    owner: value.get('owner'),
    group: value.get('group'),
  };
  const mode = value.get('mode');
  if (mode !== null) permission.mode = parseMode(mode, [...at, 'mode']);
  const acls = value.get('acls');
  if (acls !== null) permission.acls = parseAcl(acls, [...at, 'acls']);
  const context = value.get('context');
  if (context !== null) permission.context = parseContext(context, [...at, 'context']);
  return permission;
}

/** Ruby's `(list || []).each`: nil and false are empty, anything but a list fails. */
function listOf(value: RubyValue, at: string[], rule: string): RubyValue[] | undefined {
  if (value === null || value === false) return undefined;
  if (!Array.isArray(value)) throw new AppspecRuleError(at, rule, `expected a list, got ${typeName(value)} ${rubyInspect(value)}`);
  return value;
}

function parseTypes(value: RubyValue, at: string[]): ('file' | 'directory')[] {
  const list = listOf(value, at, `${SPEC} parse_type_list (type_list.each)`) ?? ['file', 'directory'];
  for (const type of list) {
    if (type !== 'file' && type !== 'directory') {
      throw new AppspecRuleError(at, `${SPEC} parse_type_list: supported_types are file, directory`, `a permission for an object type that is not supported (${rubyToS(type)})`);
    }
  }
  return list as ('file' | 'directory')[];
}

export function parseMode(value: RubyValue, at: string[]): Mode {
  let mode = rubyToS(value);
  while (mode.length < 3) mode = `0${mode}`;
  if (mode.length > 4) throw new AppspecRuleError(at, 'mode_info.rb: one to four characters', `the mode (${mode}) is too long`, 'a mode like 644 or 0755 in quotes ("0755"): unquoted, YAML 1.1 reads 0755 as the octal number 493');
  for (const char of mode) {
    if (char < '0' || char > '7') {
      throw new AppspecRuleError(
        at,
        'mode_info.rb: octal digits 0-7',
        `the mode (${mode}) contains an invalid character (${char})`,
        /^0\d+$/.test(String(value)) || typeof value === 'number' ? 'unquoted, YAML 1.1 reads a leading-zero mode as an octal number: write 755 or "0755"' : undefined,
      );
    }
  }
  return { mode };
}

function aclError(at: string[], ace: string, detail = 'invalid acl entry'): AppspecRuleError {
  return new AppspecRuleError(at, 'ace_info.rb: [d[efault]:][u[ser]|g[roup]|m[ask]|o[ther]]:[name]:(r|-)(w|-)(x|-) or 0-7', `${detail} (${ace})`);
}

/** One acl entry (ace_info.rb); `internal` entries are the base ones the agent adds itself. */
export function parseAce(ace: string, at: string[], internal = false): Ace {
  const parts = ace.split(':').reverse();
  if (parts.length < 2 || parts.length > 4) throw aclError(at, ace);
  let isDefault = false;
  let type: Ace['type'] | undefined;
  let name = '';
  if (parts.length === 4) {
    if (parts[3] !== 'd' && parts[3] !== 'default') throw aclError(at, ace);
    isDefault = true;
  }
  if (parts.length >= 3) {
    const kind = parts[2];
    if (kind === 'd' || kind === 'default') {
      if (isDefault) throw aclError(at, ace);
      isDefault = true;
    } else if (kind === 'm' || kind === 'mask') type = 'mask';
    else if (kind === 'o' || kind === 'other') type = 'other';
    else if (kind === 'g' || kind === 'group') type = 'group';
    else if (kind === 'u' || kind === 'user') type = 'user';
    else throw aclError(at, ace);
  }
  const second = parts[1]!;
  if (second === 'm' || second === 'mask') {
    if (type === undefined) type = 'mask';
    else name = 'mask';
  } else if (second === 'o' || second === 'other') {
    if (type === undefined) type = 'other';
    else name = 'other';
  } else {
    type ??= 'user';
    name = second;
  }
  if ((type === 'mask' || type === 'other') && name !== '') throw aclError(at, ace);
  if (!internal && !isDefault && type !== 'mask' && name === '') throw aclError(at, ace, 'use mode to set the base acl entry');
  const perms = parts[0]!;
  let read = false;
  let write = false;
  let execute = false;
  if (perms.length === 1 && perms >= '0' && perms <= '7') {
    const bits = Number(perms);
    read = (bits & 4) !== 0;
    write = (bits & 2) !== 0;
    execute = (bits & 1) !== 0;
  } else {
    for (const char of perms) {
      if (char === 'r') read = true;
      else if (char === 'w') write = true;
      else if (char === 'x') execute = true;
      else if (char !== '-') throw aclError(at, ace, `an invalid character (${char}) in the acl`);
    }
  }
  return { default: isDefault, type, name, read, write, execute };
}

function parseAcl(value: RubyValue, at: string[]): Acl {
  if (!Array.isArray(value)) throw new AppspecRuleError(at, 'acl_info.rb initialize (acl.each)', `acls must be a list of entries, got ${typeName(value)}`);
  return {
    aces: value.map((ace, index) => {
      if (typeof ace !== 'string') throw new AppspecRuleError([...at, String(index)], 'ace_info.rb initialize (ace.split)', `an acl entry must be a string, got ${typeName(ace)}`);
      return parseAce(ace, [...at, String(index)]);
    }),
  };
}

/** `[default:]type:name:rwx`, the form the agent passes to setfacl. */
export function aceText(ace: Ace): string {
  return `${ace.default ? 'default:' : ''}${ace.type}:${ace.name}:${ace.read ? 'r' : '-'}${ace.write ? 'w' : '-'}${ace.execute ? 'x' : '-'}`;
}

function parseContext(value: RubyValue, at: string[]): SelinuxContext {
  // context['type'] on a String is Ruby's substring lookup; on anything else but a Hash it fails.
  const lookup = (key: string): RubyValue => (value instanceof RubyHash ? value.get(key) : typeof value === 'string' && value.includes(key) ? key : null);
  if (!(value instanceof RubyHash) && typeof value !== 'string') throw new AppspecRuleError(at, 'context_info.rb initialize', `context must be a mapping {name, type, range}, got ${typeName(value)}`);
  const type = lookup('type');
  if (type === null) throw new AppspecRuleError(at, 'context_info.rb initialize: type is required', `an invalid context (${rubyInspect(value)}): it has no type`);
  const context: SelinuxContext = { type: rubyToS(type) };
  const name = lookup('name');
  if (name !== null) context.user = rubyToS(name);
  const range = lookup('range');
  if (range !== null) {
    if (typeof range !== 'string') throw new AppspecRuleError([...at, 'range'], 'range_info.rb initialize', `range must be a string like s0-s3:c0.c7, got ${typeName(range)}`);
    context.range = parseRange(range, [...at, 'range']);
  }
  return context;
}

const RANGE_RULE = 'range_info.rb: s#[-s#][:c#[.c#](,c#[.c#])*]';

/** Ruby's `input.split(on, 2)` with the agent's ensure_parts checks. */
function ensureParts(input: string, on: string, at: string[]): string[] {
  const index = input.indexOf(on);
  const parts = input === '' ? [] : index < 0 ? [input] : [input.slice(0, index), input.slice(index + on.length)];
  if (parts.length !== (index < 0 ? 1 : 2) || parts.some((part) => part === '')) throw new AppspecRuleError(at, RANGE_RULE, `invalid range part ${input}`);
  return parts;
}

function levelOf(text: string | undefined, prefix: 's' | 'c', at: string[]): number {
  const what = prefix === 's' ? 'sensitivity' : 'category';
  if (text === undefined || text.length < 2 || !text.startsWith(prefix) || !/^\d+$/.test(text.slice(1))) throw new AppspecRuleError(at, RANGE_RULE, `invalid ${what} ${text ?? ''}`);
  return Number.parseInt(text.slice(1), 10);
}

export function parseRange(range: string, at: string[]): SelinuxRange {
  const parts = ensureParts(range, ':', at);
  const sensitivity = ensureParts(parts[0]!, '-', at);
  const low = levelOf(sensitivity[0], 's', at);
  let high = low;
  if (sensitivity.length === 2) {
    high = levelOf(sensitivity[1], 's', at);
    if (high < low) throw new AppspecRuleError(at, RANGE_RULE, `the SELinux range ${range} has its high sensitivity below its low one`);
  }
  const result: SelinuxRange = { low, high };
  if (parts.length === 2) {
    const categories: number[] = [];
    // Ruby's split(",") drops trailing empty strings.
    const items = parts[1]!.split(',');
    while (items.length > 0 && items.at(-1) === '') items.pop();
    for (const item of items) {
      const category = (text: string | undefined) => {
        const level = levelOf(text, 'c', at);
        if (level > 1023) throw new AppspecRuleError(at, RANGE_RULE, `invalid category ${text}`);
        return level;
      };
      if (item.includes('.')) {
        const [from, to] = ensureParts(item, '.', at);
        const lo = category(from);
        const hi = category(to);
        if (hi < lo) throw new AppspecRuleError(at, RANGE_RULE, `invalid category range ${from}.${to}`);
        for (let n = lo; n <= hi; n++) categories.push(n);
      } else {
        categories.push(category(item));
      }
    }
    categories.sort((a, b) => a - b);
    if (new Set(categories).size !== categories.length) throw new AppspecRuleError(at, RANGE_RULE, 'duplicate categories');
    result.categories = categories;
  }
  return result;
}

/** range_info.rb get_range: consecutive categories collapse to c#.c#. */
export function rangeText(range: SelinuxRange): string {
  let text = `s${range.low}${range.low !== range.high ? `-s${range.high}` : ''}`;
  if (range.categories) {
    const runs: string[] = [];
    const list = range.categories;
    for (let i = 0; i < list.length;) {
      let j = i;
      while (j + 1 < list.length && list[j + 1] === list[j]! + 1) j++;
      runs.push(i === j ? `c${list[i]}` : `c${list[i]}.c${list[j]}`);
      i = j + 1;
    }
    text += `:${runs.join(',')}`;
  }
  return text;
}

// ---- Matching (linux_permission_info.rb) on host paths ("/opt/app/x") ----

/** Ruby's File.expand_path for an agent whose working directory is "/". */
export function expandPath(p: string): string {
  return path.posix.resolve('/', p);
}

function underObject(permission: LinuxPermission, name: string): string | undefined {
  const trimmed = name.endsWith('/') && name !== '/' ? name.slice(0, -1) : name;
  let base = expandPath(permission.object);
  if (!base.endsWith('/')) base += '/';
  return trimmed.startsWith(base) ? trimmed.slice(base.length) : undefined;
}

/** A simple glob: `*` is any run of characters; it matches one path segment only. */
function matchesSimpleGlob(name: string, pattern: RubyValue): boolean {
  if (typeof pattern !== 'string') throw new Error(`undefined method 'chars' for ${rubyInspect(pattern)}: a permission's pattern and except entries must be strings (linux_permission_info.rb matches_simple_glob)`);
  if (name.includes('/')) return false;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(name);
}

/** Whether `name` (a host path) is below the object and matches the pattern (the object itself never is). */
export function matchesPattern(permission: LinuxPermission, name: string): boolean {
  const relative = underObject(permission, name);
  if (relative === undefined) return false;
  if (permission.pattern === '**') return true;
  return matchesSimpleGlob(relative, permission.pattern);
}

export function matchesExcept(permission: LinuxPermission, name: string): boolean {
  const relative = underObject(permission, name);
  if (relative === undefined) return false;
  return permission.except.some((item) => matchesSimpleGlob(relative, item));
}

/** validate_file_permission: a permission whose object is a file takes no pattern and no except. */
export function validateFilePermission(permission: LinuxPermission): void {
  if (!permission.type.includes('file')) return;
  if (permission.pattern !== '**') {
    throw new Error(`the object ${permission.object} is a file but its permission has a pattern (${rubyToS(permission.pattern)}); patterns apply to directories (linux_permission_info.rb validate_file_permission)`);
  }
  if (permission.except.length > 0) {
    throw new Error(`the object ${permission.object} is a file but its permission has except ${rubyInspect(permission.except)}; except applies to directories (linux_permission_info.rb validate_file_permission)`);
  }
}

/** validate_file_acl: default (d:) acl entries apply to directories only. */
export function validateFileAcl(permission: LinuxPermission, file: string): void {
  if (permission.acls?.aces.some((ace) => ace.default)) {
    throw new Error(`a default (d:) acl entry would apply to the file ${file}; default entries are for directories only (linux_permission_info.rb validate_file_acl)`);
  }
}
