// The lint rules that hold the design's boundaries (eslint.config.js) fail a
// bad change: an adapter library or cli/service imported into the domain,
// and an import cycle between two modules. Runs ESLint in process with the
// repository's own config.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const configFile = path.join(repoRoot, 'eslint.config.js');

const ruleIds = (messages: Linter.LintMessage[]) => messages.map((m) => m.ruleId);

describe('dependency direction (no-restricted-imports)', () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const lint = async (code: string, filePath: string) => {
    const [result] = await eslint.lintText(code, { filePath });
    return result?.messages ?? [];
  };

  it('refuses a database library in src/moderation', async () => {
    const messages = await lint("import pg from 'pg';\nexport const pool = new pg.Pool();\n", 'src/moderation/x.ts');
    expect(ruleIds(messages)).toEqual(['no-restricted-imports']);
    expect(messages[0]?.message).toContain('pg is a database library');
  });

  it('refuses the database adapter (store/) in src/moderation, which the store depends on', async () => {
    const messages = await lint("import { PostgresStore } from '../store/postgres-store.js';\nexport const s = PostgresStore;\n", 'src/moderation/x.ts');
    expect(ruleIds(messages)).toEqual(['no-restricted-imports']);
    expect(messages[0]?.message).toContain('database adapter');
    expect(ruleIds(await lint('export const ok = 1;\n', 'src/moderation/y.ts'))).toEqual([]);
  });

  it('refuses the AWS SDK, a terminal library and cli/ or service/ in src/delivery', async () => {
    const code = ["import { EC2Client } from '@aws-sdk/client-ec2';", "import chalk from 'chalk';", "import { renderStatus } from '../cli/format/status.js';", "export { buildApp } from '../service/app.js';", 'export { EC2Client, chalk, renderStatus };', ''].join('\n');
    const messages = await lint(code, 'src/delivery/x.ts');
    expect(messages.map((m) => [m.line, m.ruleId])).toEqual([
      [1, 'no-restricted-imports'],
      [2, 'no-restricted-imports'],
      [3, 'no-restricted-imports'],
      [4, 'no-restricted-imports'],
    ]);
  });

  it('sees a lazy import() across the boundary too', async () => {
    const messages = await lint("export const load = () => import('@electric-sql/pglite');\n", 'src/delivery/gates/x.ts');
    expect(ruleIds(messages)).toEqual(['no-restricted-syntax']);
  });

  it('lets a provider (an adapter) use its SDK', async () => {
    const messages = await lint("import { EC2Client } from '@aws-sdk/client-ec2';\nexport const ec2 = new EC2Client({});\n", 'src/delivery/providers/aws/x.ts');
    expect(messages).toEqual([]);
  });
});

describe('import cycles (import-x/no-cycle)', () => {
  let dir: string;
  beforeAll(async () => {
    // Real files, so the resolver follows ./b.js to b.ts and back as it does in src/.
    dir = await mkdtemp(path.join(os.tmpdir(), 'mod-lint-cycle-'));
    await mkdir(path.join(dir, 'src', 'moderation'), { recursive: true });
    await writeFile(path.join(dir, 'src', 'moderation', 'a.ts'), "import { b } from './b.js';\nexport const a = () => b() + 1;\n");
    await writeFile(path.join(dir, 'src', 'moderation', 'b.ts'), "import { a } from './a.js';\nexport const b = () => (a ? 1 : 0);\n");
    await writeFile(path.join(dir, 'src', 'moderation', 'types-only.ts'), "import type { Shape } from './shape.js';\nexport const area = (s: Shape) => s.w * s.h;\n");
    await writeFile(path.join(dir, 'src', 'moderation', 'shape.ts'), "import { area } from './types-only.js';\nexport interface Shape { w: number; h: number }\nexport const unit = area({ w: 1, h: 1 });\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports both ends of a two-file cycle', async () => {
    const eslint = new ESLint({ cwd: dir, overrideConfigFile: configFile });
    const results = await eslint.lintFiles(['src/moderation/a.ts', 'src/moderation/b.ts']);
    expect(results.map((r) => [path.basename(r.filePath), ruleIds(r.messages)])).toEqual([
      ['a.ts', ['import-x/no-cycle']],
      ['b.ts', ['import-x/no-cycle']],
    ]);
  });

  it('does not count a type-only import, which is erased at run time', async () => {
    const eslint = new ESLint({ cwd: dir, overrideConfigFile: configFile });
    const results = await eslint.lintFiles(['src/moderation/types-only.ts', 'src/moderation/shape.ts']);
    expect(results.flatMap((r) => r.messages)).toEqual([]);
  });
});
