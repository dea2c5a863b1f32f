// mod service token create --name N | mod service export-labels: operate the
// moderation service's data (DATABASE_URL, or the embedded PGlite in
// .mod/data): moderator tokens for the review API, and the moderators'
// labels as training data for `mod model train`.
import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context.js';
import { globalOptions, runCommand } from '../context.js';
import type { CommandRegistration } from '../main.js';
import type { Output } from '../output/output.js';

export interface TokenCreateOptions {
  name: string;
}

export interface ExportLabelsOptions {
  format?: string;
  out?: string;
}

export const registerService: CommandRegistration = (program, context, setExit) => {
  const service = program.command('service').description("the moderation service's data: moderator tokens and labelled training data");
  const token = service.command('token').description('moderator bearer tokens for the review API');
  token
    .command('create')
    .description('create (or replace) the token of a moderator; it is printed once and stored hashed')
    .requiredOption('-n, --name <name>', 'the moderator (recorded with each decision)')
    .action(async (options: TokenCreateOptions, command: Command) => {
      const globals = globalOptions(command);
      setExit(await runCommand(globals, context, (output) => runTokenCreate(options, globals, context, output)));
    });
  service
    .command('export-labels')
    .description('write the labels moderators gave, in the CSV/JSONL format mod model train --data reads')
    .option('-f, --format <format>', 'csv or jsonl (default: from --out, else csv)')
    .option('-o, --out <file>', 'write to this file (default: stdout)')
    .action(async (options: ExportLabelsOptions, command: Command) => {
      const globals = globalOptions(command);
      setExit(await runCommand(globals, context, (output) => runExportLabels(options, globals, context, output)));
    });
};

async function openStore(globals: GlobalOptions, context: CliContext) {
  const { parseServiceConfig } = await import('../../service/config.js');
  const { openDatabase } = await import('../../store/database.js');
  const { loadMigrations } = await import('../../store/migrations.js');
  const { MigrationError } = await import('../../store/errors.js');
  const config = parseServiceConfig(context.env, globals.cwd ?? process.cwd());
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, migrations: await loadMigrations(), poolMax: 2, connectionTimeoutMs: config.dbConnectTimeoutMs });
  try {
    const status = await database.store.migrationStatus();
    if (status.pending.length > 0) throw new MigrationError(`the database has ${status.pending.length} pending migration(s)`, 'run mod db migrate first');
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

const NAME = /^[\w.@-]{1,100}$/;

export async function runTokenCreate(options: TokenCreateOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { UsageError } = await import('../../errors.js');
  const { generateToken, hashToken } = await import('../../service/tokens.js');
  if (!NAME.test(options.name)) throw new UsageError(`--name must be 1-100 letters, digits, ".", "_", "-" or "@", got ${JSON.stringify(options.name)}`);
  const database = await openStore(globals, context);
  try {
    const token = generateToken();
    const { replaced } = await database.store.saveModeratorToken(options.name, hashToken(token), new Date());
    output.result({ name: options.name, token, replaced }, () =>
      [`${replaced ? 'replaced the token' : 'created a token'} for ${options.name} (shown once; only its hash is stored):`, token, 'use it as: Authorization: Bearer <token>'].join('\n'),
    );
    return 0;
  } finally {
    await database.close();
  }
}

export async function runExportLabels(options: ExportLabelsOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const path = await import('node:path');
  const { createWriteStream } = await import('node:fs');
  const { once } = (await import('node:events')).EventEmitter;
  const { UsageError } = await import('../../errors.js');
  const { formatLabel, LABELS_CSV_HEADER } = await import('../../service/app.js');
  const format = options.format ?? (options.out && /\.(jsonl|ndjson)$/i.test(options.out) ? 'jsonl' : 'csv');
  if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl, got ${JSON.stringify(options.format)}`);
  const database = await openStore(globals, context);
  try {
    if (options.out) {
      const file = path.resolve(globals.cwd ?? process.cwd(), options.out);
      const stream = createWriteStream(file);
      let count = 0;
      const write = async (chunk: string) => {
        if (!stream.write(chunk)) await once(stream, 'drain');
      };
      if (format === 'csv') await write(LABELS_CSV_HEADER);
      for await (const item of database.store.labels()) {
        await write(formatLabel(item, format));
        count++;
      }
      stream.end();
      await once(stream, 'finish');
      output.result({ file, format, count }, () => `wrote ${count} label${count === 1 ? '' : 's'} to ${file} (train with: mod model train --data ${options.out})`);
      return 0;
    }
    const items: import('../../store/postgres-store.js').LabelledPost[] = [];
    for await (const item of database.store.labels()) items.push(item);
    output.result(
      { format, count: items.length, labels: items.map((i) => ({ text: i.text, label: i.label, category: i.category, postId: i.postId, decidedAt: i.decidedAt.toISOString() })) },
      () => `${format === 'csv' ? LABELS_CSV_HEADER : ''}${items.map((i) => formatLabel(i, format)).join('')}`.replace(/\n$/, ''),
    );
    return 0;
  } finally {
    await database.close();
  }
}
