// mod model shadow-report: how the env's shadow model (issue 13) answered
// next to the live decisions, from the posts its database stored with
// shadow_* columns since --since (default 7 days). Which shadow is active
// now comes from the env's model pointer (the default version; named when
// it has scored nothing yet). The aggregation is
// src/moderation/shadow-report.ts; the reads src/store/shadow-report-store.ts.
import type { Command } from 'commander';
import { commandAction, type SetExit } from '../command-registration.js';
import type { CliContext, GlobalOptions } from '../context.js';
import type { ActiveShadow, PointerError } from '../format/shadow-report-view.js';
import { integerInRange } from '../flag-parsers.js';
import type { Output } from '../output/output.js';

export interface ShadowReportCommandOptions {
  env: string;
  model?: string;
  since: string;
  examples: string;
  showText?: boolean;
}

/** Adds `shadow-report` under `mod model`. */
export function registerShadowReport(model: Command, context: CliContext, setExit: SetExit): void {
  model
    .command('shadow-report')
    .description("compare the shadow model's answers with the live decisions on the env's recent posts")
    .requiredOption('-e, --env <name>', 'the environment whose database holds the posts')
    .option('-m, --model <version>', "the shadow model version (default: the env's active shadow, else the newest one seen since --since)")
    .option('--since <ISO|duration>', 'posts created since this time (ISO 8601, not in the future) or this long ago (30m, 24h, 7d, 2w; at most 3650d)', '7d')
    .option('--examples <n>', 'post ids shown per disagreeing cell', '5')
    .option('--show-text', "print the example posts' texts (off by default: they are users' posts)")
    .action(commandAction<ShadowReportCommandOptions>(context, setExit, ({ options, globals }, output) => runShadowReport(options, globals, context, output)));
}

export async function runShadowReport(options: ShadowReportCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { UsageError } = await import('../../errors.js');
  const { shadowReport } = await import('../../moderation/shadow-report.js');
  const { parseSince } = await import('../flag-parsers.js');
  const { liveVersionsSince, postTexts, shadowGroupsSince, shadowVersionsSince } = await import('../../store/shadow-report-store.js');
  const { openEnvDatabase } = await import('./env-database.js');
  const { shadowReportJson, shadowReportText } = await import('../format/shadow-report-view.js');

  const since = parseSince(options.since, new Date());
  if (!since) throw new UsageError(`--since must be an ISO 8601 time or a duration like 30m, 24h, 7d, got ${options.since}`);
  const examples = integerInRange(options.examples, '--examples', { min: 0, max: 1000 });
  const db = await openEnvDatabase(options.env, globals, context);
  try {
    const { activeShadow, pointerError } = await readActiveShadow(db.environment, globals, context);
    const versionsSeen = await db.read('the shadow scores', (client) => shadowVersionsSince(client, since));
    const version = options.model ?? activeShadow?.version ?? versionsSeen[0]?.version ?? null;
    const groups = version === null ? [] : await db.read('the shadow scores', (client) => shadowGroupsSince(client, since, version, examples));
    const liveVersions = version === null ? [] : await db.read('the shadow scores', (client) => liveVersionsSince(client, since, version));
    const report = shadowReport(groups, { shadowVersion: version, since, examples });
    const ids = report.disagreements.flatMap((d) => d.examples);
    const texts = options.showText ? await db.read('the example posts', (client) => postTexts(client, ids)) : undefined;
    const view = { environment: db.environment, report, liveVersions, versionsSeen, activeShadow, ...(pointerError ? { pointerError } : {}), ...(texts ? { texts } : {}) };
    output.result(shadowReportJson(view), () => shadowReportText(view));
    return 0;
  } finally {
    await db.close();
  }
}

/**
 * The shadow the env's pointer names now (null: none); undefined when it
 * cannot be told (no workspace here). A pointer that is there but cannot be
 * read is said so (pointerError): the report goes on without knowing the shadow.
 */
async function readActiveShadow(envName: string, globals: GlobalOptions, context: CliContext): Promise<{ activeShadow: ActiveShadow | null | undefined; pointerError?: PointerError }> {
  const { ModError } = await import('../../errors.js');
  try {
    const { openWorkspaceFor } = await import('../context.js');
    const ws = await openWorkspaceFor(globals, context);
    const env = ws.environment(envName);
    const pointer = await (await ws.provider(env)).models(env).readPointer(env);
    return { activeShadow: pointer?.shadow ? { version: pointer.shadow.version, releaseId: pointer.releaseId } : null };
  } catch (error) {
    if (error instanceof ModError && error.code === 'MODEL_POINTER_INVALID') return { activeShadow: undefined, pointerError: { code: error.code, message: error.message, hint: error.hint ?? null } };
    return { activeShadow: undefined };
  }
}
