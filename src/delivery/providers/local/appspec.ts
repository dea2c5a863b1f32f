// appspec.yml for EC2/on-premises deployments: the files to install, their
// permissions and the lifecycle hooks, parsed and validated exactly as the
// CodeDeploy agent does (aws/aws-codedeploy-agent,
// lib/instance_agent/plugins/codedeploy/application_specification/*.rb):
// what the agent accepts is accepted here, what it refuses is refused, with
// the agent's rule named in the error.
//
// The agent reads the file with Ruby's `YAML.load` (Psych 4+ on the Ruby 3.2
// of Amazon Linux 2023: YAML 1.1 scalars, no aliases), then looks keys up in
// the resulting Ruby objects. `loadLikePsych` reproduces that: plain scalars
// are resolved as Psych resolves them (`0.0` a Float, `0755` the octal
// Integer 493, `yes` true, `"0.0"` a String), and the checks below compare
// values the way Ruby does (`[0.0].include?(0)` is true, `"0.0"` is not 0.0).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import { ConfigError } from '../../../errors.js';
import { lineOf } from '../../yaml-spec.js';
import { parsePermission, type LinuxPermission } from './appspec-permissions.js';
import { AppspecRuleError, RubyFloat, RubyHash, RubySymbol, rubyInspect, rubyStringToI, rubyToI, rubyToS, typeName, type RubyValue } from './appspec-ruby.js';

export const SCRIPT_EVENTS = ['BeforeBlockTraffic', 'AfterBlockTraffic', 'ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService', 'BeforeAllowTraffic', 'AfterAllowTraffic'] as const;
export type ScriptEvent = (typeof SCRIPT_EVENTS)[number];

/** The in-place lifecycle with a load balancer, in CodeDeploy's order. */
export const LIFECYCLE = [
  'BeforeBlockTraffic',
  'BlockTraffic',
  'AfterBlockTraffic',
  'ApplicationStop',
  'DownloadBundle',
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
] as const;
export type LifecycleEventName = (typeof LIFECYCLE)[number];

/** Events whose scripts come from the previously installed revision. */
export const RUN_FROM_PREVIOUS_REVISION: ReadonlySet<string> = new Set(['BeforeBlockTraffic', 'BlockTraffic', 'AfterBlockTraffic', 'ApplicationStop']);

/** One hook script (script_info.rb): location and runas stripped, timeout an Integer > 0 (default 3600). */
export interface Hook {
  location: string;
  timeout: number;
  runas?: string;
  /** `sudo:` as written (linux_util.rb prepare_script_command only tests it for truthiness). */
  sudo?: unknown;
}

/** A `files` entry (file_info.rb). Either is a non-string only when the agent would fail on it at Install. */
export interface FileMapping {
  source: string;
  destination: string;
  /** Why the agent's Install fails on this entry although its parser accepted it (a non-string path). */
  installError?: string;
}

export const FILE_EXISTS_BEHAVIORS = ['DISALLOW', 'OVERWRITE', 'RETAIN'] as const;
export type FileExistsBehavior = (typeof FILE_EXISTS_BEHAVIORS)[number];

export interface Appspec {
  version: '0.0';
  os: 'linux';
  files: FileMapping[];
  /** Unset when the appspec has none: the deployment's setting applies, else DISALLOW (installer.rb). */
  file_exists_behavior?: FileExistsBehavior;
  permissions: LinuxPermission[];
  /** Scripts of the events the agent runs (command_poller.rb DEFAULT_HOOK_MAPPING); `[]` is a no-op. */
  hooks: Partial<Record<ScriptEvent, Hook[]>>;
  /**
   * Other names under `hooks:` (custom lifecycle events, `Install`, typos):
   * the agent parses and validates their scripts but no command runs them.
   */
  otherHooks: Record<string, Hook[]>;
}

export async function readAppspec(file: string, displayName = 'appspec.yml'): Promise<Appspec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(displayName, undefined, 'file not found', 'the revision needs appspec.yml (or appspec.yaml) at its root (command_executor.rb app_spec_real_path)');
    }
    throw error;
  }
  return parseAppspec(text, displayName);
}

/** The agent's file-name order (command_executor.rb app_spec_real_path). */
export const APPSPEC_FILE_NAMES = ['appspec.yml', 'appspec.yaml'] as const;

/**
 * The revision's AppSpec file, found as the agent finds it
 * (command_executor.rb `app_spec_real_path`): the deployment's AppSpecFilename
 * (default `appspec.yml`), then `appspec.yaml`, then `appspec.yml`.
 */
export async function readRevisionAppspec(archiveDir: string): Promise<Appspec> {
  const file = await revisionAppspecFile(archiveDir);
  return readAppspec(file, path.basename(file));
}

/** The path `readRevisionAppspec` reads (appspec.yml when neither exists, so the error names it). */
export async function revisionAppspecFile(archiveDir: string): Promise<string> {
  for (const name of APPSPEC_FILE_NAMES) {
    const file = path.join(archiveDir, name);
    if (
      await stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return file;
  }
  return path.join(archiveDir, 'appspec.yml');
}

/** Parses an AppSpec text; every refusal is a ConfigError naming the line, the key and the agent's rule. */
export function parseAppspec(text: string, displayName = 'appspec.yml'): Appspec {
  const lineCounter = new LineCounter();
  // YAML.load returns the first document of a stream (Psych.parse stops there): later ones are never read.
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false, schema: 'failsafe', version: '1.1' });
  const first = Array.isArray(docs) ? docs[0] : undefined;
  if (!first) throw new ConfigError(displayName, undefined, `the file is empty: an AppSpec needs at least 'version' and 'os' (CodeDeploy agent: ${AGENT} initialize)`);
  const doc = first;
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0]?.line;
    throw new ConfigError(`${displayName}${line ? `:${line}` : ''}`, undefined, `not valid YAML: ${syntax.message.split('\n')[0]} (the agent's YAML.load refuses it)`);
  }
  try {
    return appspecFromRuby(loadLikePsych(doc.contents as Node | null));
  } catch (error) {
    if (!(error instanceof AppspecRuleError)) throw error;
    const line = lineOf(doc.contents as Node | null, error.path, lineCounter);
    throw new ConfigError(`${displayName}${line ? `:${line}` : ''}`, error.path.length ? error.path.join('.') : undefined, `${error.message} (CodeDeploy agent: ${error.rule})`, error.hint);
  }
}

// ---- The agent's parser (application_specification.rb), on Ruby values ----

const AGENT = 'application_specification.rb';

function appspecFromRuby(root: RubyValue): Appspec {
  if (root === null || root === false) {
    throw new AppspecRuleError([], `${AGENT} initialize`, "the file is empty: an AppSpec needs at least 'version' and 'os'");
  }
  if (Array.isArray(root)) throw new AppspecRuleError([], `${AGENT} initialize`, 'the file is a YAML list, not a mapping (the agent fails on yaml_hash["version"])');
  // A top-level scalar: Ruby's String#[] / Integer#[] finds no 'version' in it.
  const top = root instanceof RubyHash ? root : new RubyHash();
  const version = top.get('version');
  // supported_versions is [0.0] and Array#include? compares with ==: 0.0, 0, 0.00, -0.0 pass; the String "0.0" does not.
  const numeric = version instanceof RubyFloat ? version.value : typeof version === 'number' ? version : undefined;
  if (numeric !== 0) {
    throw new AppspecRuleError(
      ['version'],
      `${AGENT} parse_version: supported_versions is [0.0]`,
      `invalid version (${version === null ? '' : rubyInspect(version)}): it must be the number 0.0`,
      typeof version === 'string' ? 'write version: 0.0 without quotes: the agent compares the YAML Float 0.0, and "0.0" is a String' : undefined,
    );
  }
  const os = top.get('os');
  if (os !== 'linux') {
    throw new AppspecRuleError(['os'], `${AGENT} parse_os: the Linux agent supports only "linux"`, `unsupported operating system (${rubyToS(os)})`);
  }
  const { hooks, otherHooks } = parseHooks(truthy(top.get('hooks')) ?? new RubyHash());
  const files = parseFiles(truthy(top.get('files')) ?? []);
  const permissions = parsePermissions(truthy(top.get('permissions')) ?? []);
  const feb = top.get('file_exists_behavior');
  if (feb !== null && !(typeof feb === 'string' && (FILE_EXISTS_BEHAVIORS as readonly string[]).includes(feb))) {
    throw new AppspecRuleError(['file_exists_behavior'], `${AGENT} parse_file_exists_behavior`, `invalid file_exists_behavior (${rubyToS(feb)}): one of ${FILE_EXISTS_BEHAVIORS.join(',')} (upper case)`);
  }
  return { version: '0.0', os: 'linux', files, ...(feb === null ? {} : { file_exists_behavior: feb as FileExistsBehavior }), permissions, hooks, otherHooks };
}

/** Ruby's `value || default`: nil and false fall back. */
function truthy(value: RubyValue): Exclude<RubyValue, null | false> | undefined {
  return value === null || value === false ? undefined : value;
}

function parseHooks(value: Exclude<RubyValue, null | false>): Pick<Appspec, 'hooks' | 'otherHooks'> {
  if (!(value instanceof RubyHash)) throw new AppspecRuleError(['hooks'], `${AGENT} parse_hooks (hooks_hash.each_pair)`, `hooks must be a mapping of lifecycle event names to script lists, got ${typeName(value)}`);
  const hooks: Partial<Record<ScriptEvent, Hook[]>> = {};
  const otherHooks: Record<string, Hook[]> = {};
  for (const [key, scripts] of value.pairs()) {
    const name = rubyToS(key);
    // "Ignore empty hooks": nil (and false) scripts leave the event out.
    if (scripts === null || scripts === false) continue;
    if (!Array.isArray(scripts)) throw new AppspecRuleError(['hooks', name], `${AGENT} parse_hooks (scripts.each)`, `the scripts of ${name} must be a list of {location, timeout, runas}, got ${typeName(scripts)}`);
    const list = scripts.map((script, index) => parseScript(script, ['hooks', name, String(index)]));
    if ((SCRIPT_EVENTS as readonly string[]).includes(name) && typeof key === 'string') hooks[name as ScriptEvent] = list;
    else otherHooks[name] = list;
  }
  return { hooks, otherHooks };
}

function parseScript(script: RubyValue, at: string[]): Hook {
  if (!(script instanceof RubyHash)) throw new AppspecRuleError(at, `${AGENT} parse_hooks (script.has_key?)`, `a script must be a mapping with a location, got ${typeName(script)}`, 'write - location: scripts/name.sh');
  const location = script.get('location');
  if (location === null) throw new AppspecRuleError(at, `${AGENT} parse_hooks`, 'a script with no location value');
  const stripped = rubyToS(location).trim();
  if (stripped === '') throw new AppspecRuleError([...at, 'location'], 'script_info.rb initialize', 'a script with an empty location value');
  const runas = script.get('runas');
  const rawTimeout = script.get('timeout');
  // `opts[:timeout] || 3600`, then `.to_i`: "300" is 300, 1.9 is 1, "30s" is 30, "foo" is 0 (refused).
  const timeout = rawTimeout === null || rawTimeout === false ? 3600 : rubyToI(rawTimeout, [...at, 'timeout'], 'script_info.rb initialize (timeout.to_i)');
  if (timeout <= 0) throw new AppspecRuleError([...at, 'timeout'], 'script_info.rb initialize: timeout.to_i must be > 0', `invalid timeout (${rubyInspect(rawTimeout)}): a whole number of seconds above 0`);
  const hook: Hook = { location: stripped, timeout };
  if (runas !== null) hook.runas = rubyToS(runas).trim();
  if (script.has('sudo')) hook.sudo = rubyJs(script.get('sudo'));
  return hook;
}

function rubyJs(value: RubyValue): unknown {
  if (value instanceof RubyFloat) return value.value;
  if (value instanceof RubySymbol) return value.name;
  if (value instanceof RubyHash) return Object.fromEntries([...value.pairs()].map(([k, v]) => [rubyToS(k), rubyJs(v)]));
  if (Array.isArray(value)) return value.map(rubyJs);
  return value;
}

function parseFiles(value: Exclude<RubyValue, null | false>): FileMapping[] {
  if (!Array.isArray(value)) throw new AppspecRuleError(['files'], `${AGENT} parse_files (file_map_hash.each)`, `files must be a list of {source, destination}, got ${typeName(value)}`);
  return value.map((mapping, index) => {
    const at = ['files', String(index)];
    let source: RubyValue;
    let destination: RubyValue;
    if (mapping instanceof RubyHash) {
      // Other keys (overwrite:, owner: ...) are ignored by the agent.
      source = mapping.get('source');
      destination = mapping.get('destination');
    } else if (typeof mapping === 'string') {
      // Ruby's String#[]('source') is the substring when present: `- source` has a source and no destination.
      source = mapping.includes('source') ? 'source' : null;
      destination = mapping.includes('destination') ? 'destination' : null;
    } else {
      throw new AppspecRuleError(at, `${AGENT} parse_files (mapping['source'])`, `a files entry must be a mapping {source, destination}, got ${typeName(mapping)}`);
    }
    if (source === null) throw new AppspecRuleError(at, 'file_info.rb initialize', 'a destination with no source', 'add source: (a path in the revision, / for all of it)');
    if (destination === null) throw new AppspecRuleError(at, 'file_info.rb initialize', `only a source (${rubyToS(source)}): add its destination`);
    const entry: FileMapping = { source: rubyToS(source), destination: rubyToS(destination) };
    const nonString = typeof source !== 'string' ? source : typeof destination !== 'string' ? destination : undefined;
    if (nonString !== undefined) entry.installError = `no implicit conversion of ${typeName(nonString)} into String (files entry ${index}: installer.rb File.join needs string paths)`;
    return entry;
  });
}

function parsePermissions(value: Exclude<RubyValue, null | false>): LinuxPermission[] {
  if (!Array.isArray(value)) throw new AppspecRuleError(['permissions'], `${AGENT} parse_permissions (permissions_list.each)`, `permissions must be a list, got ${typeName(value)}`);
  return value.map((permission, index) => parsePermission(permission, ['permissions', String(index)]));
}

// ---- Ruby's YAML.load (Psych), on the yaml package's syntax tree ----

/** Converts a parsed YAML node into the Ruby value Psych's YAML.load returns. */
export function loadLikePsych(node: Node | null, at: string[] = []): RubyValue {
  if (node === null) return null;
  if (isAlias(node)) throw new AppspecRuleError(at, 'YAML.load (Psych 4+, Ruby 3.1+): aliases are not enabled', `the alias *${node.source} is refused`, 'repeat the value instead of using &anchor / *alias');
  if (isMap(node)) {
    const hash = new RubyHash();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = loadLikePsych(keyNode, at);
      const value = loadLikePsych(pair.value as Node | null, [...at, rubyToS(key)]);
      // Psych merges `<<: {mapping}` into the hash (YAML 1.1 merge key).
      if (key === '<<' && isScalar(keyNode) && keyNode.type === 'PLAIN' && value instanceof RubyHash) {
        for (const [k, v] of value.pairs()) hash.set(k, v);
      } else {
        hash.set(key, value);
      }
    }
    return hash;
  }
  if (isSeq(node)) return node.items.map((item, index) => loadLikePsych(item as Node | null, [...at, String(index)]));
  if (isScalar(node)) {
    const text = String(node.value ?? '');
    const tag = node.tag;
    if (tag === 'tag:yaml.org,2002:str' || tag === '!str') return text;
    if (node.type !== 'PLAIN') return text;
    if (tag === 'tag:yaml.org,2002:int' || tag === 'tag:yaml.org,2002:float') {
      const value = psychScalar(text, at);
      return tag.endsWith('float') && typeof value === 'number' ? new RubyFloat(value) : value;
    }
    return psychScalar(text, at);
  }
  return null;
}

// Psych::ScalarScanner (psych 4/5): the YAML 1.1 resolution of a plain scalar.
const INTEGER_LEGACY = /^(?:[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+)$/;
const FLOAT = /^(?:[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?)$/;
const TIME = /^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:\s*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?$/;
const DATE = /^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$/;
const STRINGY = /^[^\d.:-]?[\p{L}_\s!@#$%^&*(){}<>|/\\~;=]+/u;

function psychScalar(text: string, at: string[]): RubyValue {
  if (text === '') return null;
  if (STRINGY.test(text) || text.includes('\n')) {
    if (text.length > 5) return text;
    if (/^[^ytonf~]/i.test(text)) return text;
    if (text === '~' || /^null$/i.test(text)) return null;
    if (/^(yes|true|on)$/i.test(text)) return true;
    if (/^(no|false|off)$/i.test(text)) return false;
    return text;
  }
  if (TIME.test(text) || DATE.test(text)) {
    throw new AppspecRuleError(at, 'YAML.load (Psych 4+): permitted classes are only Symbol', `${text} loads as a ${TIME.test(text) ? 'Time' : 'Date'}, a class the agent's YAML.load refuses`, `quote it: "${text}"`);
  }
  if (/^\+?\.inf$/i.test(text)) return new RubyFloat(Infinity);
  if (/^-\.inf$/i.test(text)) return new RubyFloat(-Infinity);
  if (/^\.nan$/i.test(text)) return new RubyFloat(NaN);
  if (/^:./.test(text)) {
    const quoted = /^:(["'])(.*)\1/.exec(text);
    return new RubySymbol(quoted ? quoted[2]!.replace(/^:/, '') : text.slice(1));
  }
  if (/^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$/.test(text)) return sexagesimal(text, (n) => rubyStringToI(n));
  if (/^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*$/.test(text)) return new RubyFloat(sexagesimal(text, (n) => Number.parseFloat(n.replaceAll('_', ''))));
  if (FLOAT.test(text)) {
    if (/^[-+]?\.$/.test(text)) return text;
    return new RubyFloat(Number(text.replace(/[,_]/g, '').replace(/\.([Ee]|$)/, '$1')));
  }
  if (INTEGER_LEGACY.test(text)) return rubyInteger(text.replace(/[,_]/g, ''));
  return text;
}

function sexagesimal(text: string, parse: (part: string) => number): number {
  const parts = text.split(':');
  return parts.reduce((sum, part, index) => sum + parse(part) * 60 ** Math.abs(index - 2), 0);
}

/** Ruby's Integer("..."): 0b binary, 0x hex, a leading 0 octal. */
function rubyInteger(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.replace(/^[-+]/, '');
  if (/^0b/i.test(digits)) return sign * Number.parseInt(digits.slice(2), 2);
  if (/^0x/i.test(digits)) return sign * Number.parseInt(digits.slice(2), 16);
  if (/^0[0-7]+$/.test(digits)) return sign * Number.parseInt(digits.slice(1), 8);
  return sign * Number.parseInt(digits, 10);
}
