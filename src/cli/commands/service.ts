// mod service token create|list|revoke | mod service export-labels: operate
// the moderation service's data: moderator tokens for the review API, and the
// moderators' labels as training data for `mod model train`. With --env, a
// deployed env's database (the one its instances use); without, the local
// `mod serve` database (DATABASE_URL, or the embedded PGlite in .mod/data).
// An embedded database another process serves is reached over the wire.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import type { CliContext, GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export interface EnvOption {
  /** The env whose database to use (default: the local `mod serve` database). */
  env?: string;
}

export interface TokenCreateOptions extends EnvOption {
  name: string;
  /** moderator (the default: the review queue, labels, the export) or viewer (the console's dashboard and GET /v1/stats only). */
  role?: string;
}

export interface TokenRevokeOptions extends EnvOption {
  name: string;
}

export interface ExportLabelsOptions extends EnvOption {
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
    .option('-r, --role <role>', 'moderator (the review queue and labels; the default) or viewer (the console dashboard and GET /v1/stats only)')
    .option('-e, --env <name>', 'the env whose database to use, as its instances do (default: the local mod serve database)')
    .action(commandAction<TokenCreateOptions>(context, setExit, ({ options, globals }, output) => runTokenCreate(options, globals, context, output)));
  token
    .command('list')
    .description("list the moderators' tokens: name, role, when created, when revoked (never the token or its hash)")
    .option('-e, --env <name>', 'the env whose database to use, as its instances do (default: the local mod serve database)')
    .action(commandAction<EnvOption>(context, setExit, ({ options, globals }, output) => runTokenList(globals, context, output, options)));
  token
    .command('revoke')
    .description("revoke a moderator's token: the review API refuses it (401) from the next request on")
    .requiredOption('-n, --name <name>', 'the moderator whose token to revoke')
    .option('-e, --env <name>', 'the env whose database to use, as its instances do (default: the local mod serve database)')
    .action(commandAction<TokenRevokeOptions>(context, setExit, ({ options, globals }, output) => runTokenRevoke(options, globals, context, output)));
  service
    .command('export-labels')
    .description('write the labels moderators gave, in the CSV/JSONL format mod model train --data reads')
    .option('-f, --format <format>', 'csv or jsonl (default: from --out, else csv)')
    .option('-o, --out <file>', 'write to this file (default: stdout)')
    .option('-e, --env <name>', 'the env whose database to use, as its instances do (default: the local mod serve database)')
    .action(commandAction<ExportLabelsOptions>(context, setExit, ({ options, globals }, output) => runExportLabels(options, globals, context, output)));
};

async function openStore(envName: string | undefined, globals: GlobalOptions, context: CliContext) {
  const { openServiceDatabase, pendingMigrationsHint } = await import('./service-database.js');
  const { MigrationError } = await import('../../store/errors.js');
  const opened = await openServiceDatabase(envName, globals, context, { refuseStray: true });
  const { database } = opened;
  try {
    const status = await database.store.migrationStatus();
    if (status.pending.length > 0) throw new MigrationError(`${opened.location} has ${status.pending.length} pending migration(s)`, pendingMigrationsHint(opened));
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
  const role = options.role ?? 'moderator';
  if (role !== 'moderator' && role !== 'viewer') throw new UsageError(`--role must be moderator (labels reviews) or viewer (sees the console dashboard only), got ${JSON.stringify(options.role)}`);
  const database = await openStore(options.env, globals, context);
  try {
    const token = generateToken();
    const { replaced } = await database.store.saveModeratorToken(options.name, hashToken(token), new Date(), role);
    output.result({ schemaVersion: 1, name: options.name, role, token, replaced }, () =>
      [`${replaced ? 'replaced the token' : 'created a token'} for ${options.name}, role ${role} (shown once; only its hash is stored):`, token, 'use it as: Authorization: Bearer <token>, or sign in with it at /console/sign-in'].join('\n'),
    );
    return 0;
  } finally {
    await database.close();
  }
}

export async function runTokenList(globals: GlobalOptions, context: CliContext, output: Output, options: EnvOption = {}): Promise<number> {
  const database = await openStore(options.env, globals, context);
  try {
    const tokens = await database.store.listModeratorTokens();
    output.result({ schemaVersion: 1, tokens: tokens.map((t) => ({ name: t.name, role: t.role, createdAt: t.createdAt.toISOString(), revokedAt: t.revokedAt?.toISOString() ?? null })) }, () => {
      if (tokens.length === 0) return `no moderator tokens (create one with: mod service token create${options.env ? ` --env ${options.env}` : ''} --name <name>)`;
      const rows = [['NAME', 'ROLE', 'CREATED', 'REVOKED'], ...tokens.map((t) => [t.name, t.role, t.createdAt.toISOString(), t.revokedAt?.toISOString() ?? '-'])];
      const width = rows.reduce((w, r) => Math.max(w, r[0]!.length), 0);
      return rows.map(([name, role, created, revoked]) => `${name!.padEnd(width)}  ${role!.padEnd(9)}  ${created!.padEnd(24)}  ${revoked}`).join('\n');
    });
    return 0;
  } finally {
    await database.close();
  }
}

export async function runTokenRevoke(options: TokenRevokeOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { ExitCode, ModError } = await import('../../errors.js');
  const database = await openStore(options.env, globals, context);
  try {
    const { outcome, revokedAt } = await database.store.revokeModeratorToken(options.name, new Date());
    if (outcome === 'not_found') {
      throw new ModError('TOKEN_NOT_FOUND', `no moderator token named ${JSON.stringify(options.name)}`, { hint: `mod service token list${options.env ? ` --env ${options.env}` : ''} shows the names`, exitCode: ExitCode.Usage });
    }
    const at = (revokedAt as Date).toISOString();
    output.result({ schemaVersion: 1, name: options.name, revoked: outcome === 'revoked', revokedAt: at }, () =>
      outcome === 'revoked' ? `revoked the token of ${options.name}: the review API refuses it from now on` : `the token of ${options.name} was already revoked (at ${at}); nothing changed`,
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
  const { exportedLabel, formatLabel, LABELS_CSV_HEADER } = await import('../../moderation/label-format.js');
  const format = options.format ?? (options.out && /\.(jsonl|ndjson)$/i.test(options.out) ? 'jsonl' : 'csv');
  if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl, got ${JSON.stringify(options.format)}`);
  const database = await openStore(options.env, globals, context);
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
        // Conflicting second opinions are left out, as GET /v1/labels/export does.
        if (item.conflict) continue;
        await write(formatLabel(item, format));
        count++;
      }
      stream.end();
      await once(stream, 'finish');
      output.result({ schemaVersion: 1, file, format, count }, () => `wrote ${count} label${count === 1 ? '' : 's'} to ${file} (train with: mod model train --data ${options.out})`);
      return 0;
    }
    const items: import('../../moderation/post-records.js').LabelledPost[] = [];
    for await (const item of database.store.labels()) if (!item.conflict) items.push(item);
    output.result({ schemaVersion: 1, format, count: items.length, labels: items.map(exportedLabel) }, () => `${format === 'csv' ? LABELS_CSV_HEADER : ''}${items.map((i) => formatLabel(i, format)).join('')}`.replace(/\n$/, ''));
    return 0;
  } finally {
    await database.close();
  }
}
