// Reads a YAML file (mod.config.yml, buildspec.yml, appspec.yml) and validates
// it against a zod schema. Every failure becomes a ConfigError that names the
// file, the line, the key path and what was expected, so the user can fix it
// without reading our source.
import { readFile } from 'node:fs/promises';
import { type Document, isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';

export async function readYamlSpec<S extends z.ZodType>(file: string, schema: S, displayName = file): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(displayName, undefined, 'file not found', `create ${displayName} (see README)`);
    }
    throw error;
  }
  return parseYamlSpec(text, schema, displayName);
}

export function parseYamlSpec<S extends z.ZodType>(text: string, schema: S, displayName: string): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0]?.line;
    throw new ConfigError(`${displayName}${line ? `:${line}` : ''}`, undefined, `not valid YAML: ${firstError.message.split('\n')[0]}`);
  }
  const data = toPlainData(doc, displayName);
  const result = schema.safeParse(data);
  if (result.success) return result.data;

  // An unknown key usually explains the "missing" ones next to it (a typo): report it first.
  const issue = result.error.issues.find((i) => i.code === 'unrecognized_keys') ?? result.error.issues[0]!;
  let path = issue.path.map(String);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    path = [...path, key];
    message = `unknown key "${key}"`;
  } else {
    message = describeIssue(issue, data);
  }
  const line = lineOf(doc.contents as Node | null, issue.code === 'unrecognized_keys' ? path : issue.path.map(String), lineCounter);
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem(s))` : '';
  throw new ConfigError(`${displayName}${line ? `:${line}` : ''}`, path.length ? path.join('.') : '(top level)', message + more);
}

/**
 * Aliases a spec may expand, all together (the yaml library's default bound,
 * stated here because it is what keeps a "billion laughs" file of a few
 * hundred bytes from expanding to gigabytes in memory).
 */
export const MAX_ALIAS_EXPANSIONS = 100;

function toPlainData(doc: Document.Parsed, displayName: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS }) ?? {};
  } catch (error) {
    // The library throws a ReferenceError for an alias bomb and for an alias to an anchor that is not set yet.
    const message = (error as Error).message;
    if (/excessive alias count/i.test(message)) throw new ConfigError(displayName, undefined, `its aliases expand past the limit of ${MAX_ALIAS_EXPANSIONS} copies (a YAML alias bomb?)`, 'write the values out, or use fewer *aliases');
    throw new ConfigError(displayName, undefined, `not valid YAML: ${message}`);
  }
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const actual = valueAt(data, issue.path);
  if (issue.code === 'invalid_type') {
    if (actual === undefined) return `missing, expected ${issue.expected}`;
    return `expected ${issue.expected}, got ${JSON.stringify(actual)}`;
  }
  if (issue.code === 'invalid_value') {
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(actual)}`;
  }
  return issue.message;
}

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let cursor = data;
  for (const key of path) {
    if (cursor === null || typeof cursor !== 'object') return undefined;
    cursor = (cursor as Record<PropertyKey, unknown>)[key as string];
  }
  return cursor;
}

/** The line of the node at `path` (or of the deepest part of it that exists). */
export function lineOf(root: Node | null, path: string[], counter: LineCounter): number | undefined {
  let node: Node | null | undefined = root;
  let line: number | undefined = node?.range ? counter.linePos(node.range[0]).line : undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => String((item.key as { value?: unknown } | null)?.value ?? item.key) === key);
      if (!pair) break;
      const keyNode = pair.key as Node | null;
      if (keyNode?.range) line = counter.linePos(keyNode.range[0]).line;
      node = pair.value as Node | null;
    } else if (isSeq(node)) {
      const item = node.items[Number(key)] as Node | undefined;
      if (!item) break;
      if (item.range) line = counter.linePos(item.range[0]).line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}
