// The error-code registry is complete and honest: src/ emits exactly its
// codes, a site that states an exit code states the registry's, and README.md
// lists every code with its exit code, HTTP status and meaning.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ErrorCode, errorCodes, ExitCode, httpStatusOf, isErrorCode } from '../../src/error-codes.js';
import { ModError, UsageError } from '../../src/errors.js';
import { HttpError } from '../../src/service/http-errors.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const CODE = String.raw`'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)'`;

// Every way src/ puts a code into an error, a record or an HTTP answer. Reads
// (`error.code === 'X'`) are left out: only what is emitted must be registered.
const EMITTING = [
  String.raw`new ModError\(\s*${CODE}`,
  String.raw`super\(\s*${CODE}`,
  String.raw`new HttpError\(\s*(?:\d{3},\s*)?${CODE}`,
  String.raw`\bcode: ${CODE}`,
  String.raw`\bcode \?\? ${CODE}`,
  String.raw`'code', \{ value: ${CODE}`,
  String.raw`\berrorBody\(${CODE}`,
  String.raw`\bsendError\(\w+, \d{3}, ${CODE}`,
  String.raw`\berrorResult\(${CODE}`,
  String.raw`\breturn ${CODE};`,
].map((pattern) => new RegExp(pattern, 'g'));

interface Emission {
  code: string;
  file: string;
  /** The statement the code was found in, for the exit codes it states. */
  statement: string;
}

async function emissions(): Promise<Emission[]> {
  const files = (await readdir(path.join(root, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts') && f !== 'error-codes.ts');
  const found: Emission[] = [];
  for (const file of files) {
    const text = await readFile(path.join(root, 'src', file), 'utf8');
    for (const pattern of EMITTING) {
      for (const match of text.matchAll(pattern)) {
        const end = text.indexOf(';\n', match.index);
        found.push({ code: match[1]!, file: `src/${file}`, statement: text.slice(match.index, end === -1 ? undefined : end) });
      }
    }
  }
  return found;
}

describe('error codes', () => {
  it('src/ emits exactly the codes in the registry', async () => {
    const found = await emissions();
    // The scan must see the codes it is meant to see, or it proves nothing.
    expect(found.length).toBeGreaterThan(60);
    const unregistered = found.filter((e) => !isErrorCode(e.code)).map((e) => `${e.code} in ${e.file}`);
    expect(unregistered).toEqual([]);
    const emitted = new Set(found.map((e) => e.code));
    const unused = Object.keys(errorCodes).filter((code) => !emitted.has(code));
    expect(unused).toEqual([]);
  });

  it('a site that states an exit code states the registry one', async () => {
    const exitCodeByName = new Map<string, number>(Object.entries(ExitCode));
    const stated = (await emissions())
      .filter((e) => /^(new ModError|super)\(/.test(e.statement))
      .flatMap((e) => {
        const name = /exitCode: ExitCode\.(\w+)/.exec(e.statement)?.[1];
        return name ? [{ code: e.code as ErrorCode, file: e.file, exitCode: exitCodeByName.get(name) }] : [];
      });
    expect(stated.length).toBeGreaterThan(10);
    const disagreeing = stated.filter((s) => (errorCodes[s.code] as { exitCode?: number }).exitCode !== s.exitCode);
    expect(disagreeing).toEqual([]);
  });

  it('gives a ModError its registry exit code unless the site says otherwise', () => {
    expect(new UsageError('bad flag').exitCode).toBe(ExitCode.Usage);
    expect(new ModError('GATE_REFUSED', 'refused').exitCode).toBe(ExitCode.GateRefused);
    expect(new ModError('HOST_ERROR', 'boom').exitCode).toBe(ExitCode.Failed);
    expect(new ModError('HOST_ERROR', 'boom', { exitCode: ExitCode.Usage }).exitCode).toBe(ExitCode.Usage);
  });

  it('gives an HttpError its registry status, or the one the route states', () => {
    expect(new HttpError('POST_NOT_FOUND', 'no post').statusCode).toBe(404);
    expect(new HttpError(409, 'ALREADY_DECIDED', 'decided')).toMatchObject({ statusCode: 409, code: 'ALREADY_DECIDED', message: 'decided' });
    expect(httpStatusOf('DATABASE_UNAVAILABLE')).toBe(503);
  });

  it('README.md lists every code with its exit code, HTTP status and meaning', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    const entries: [string, { exitCode?: number; httpStatus?: number; meaning: string }][] = Object.entries(errorCodes);
    const missing = entries.map(([code, entry]) => `| \`${code}\` | ${entry.exitCode ?? '-'} | ${entry.httpStatus ?? '-'} | ${entry.meaning} |`).filter((row) => !readme.includes(`\n${row}\n`));
    // A missing row is printed whole: paste it into the table under "#### Error codes".
    expect(missing).toEqual([]);
    const listed = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| [-\d]+ \| [-\d]+ \|/gm)].map((m) => m[1]!);
    expect(listed.filter((code) => !isErrorCode(code))).toEqual([]);
  });
});

// Checked by tsc, never run: the compiler keeps codes inside the registry.
export function codesTheTypesRefuse(): void {
  // @ts-expect-error not a registry code
  new ModError('NO_SUCH_CODE', 'x');
  // @ts-expect-error a service-only code has no exit code
  new ModError('POST_NOT_FOUND', 'x');
  // @ts-expect-error not a registry code
  new HttpError('NO_SUCH_CODE', 'x');
  // @ts-expect-error a CLI-only code has no HTTP status
  new HttpError('LOCK_HELD', 'x');
  // @ts-expect-error the registry's status for POST_NOT_FOUND is 404
  new HttpError(409, 'POST_NOT_FOUND', 'x');
}
