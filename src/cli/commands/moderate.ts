// mod moderate "<text>" | --file <posts.jsonl|posts.csv>: scores text with
// the shipped model and the contact rules, no server needed; with --endpoint
// <url> the posts go to a running service instead (moderate-endpoint.ts),
// which stores them and queues the reviews.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import type { ChalkInstance } from 'chalk';
import type { CliContext, GlobalOptions } from '../context.js';
import { positiveInteger } from '../flag-parsers.js';
import { resultColour, truncateToWidth } from '../format/terminal-text.js';
import type { Output } from '../output/output.js';
import type { PostLine } from './moderate-posts-file.js';
import { DEFAULT_MAX_TEXT_LENGTH } from '../../moderation/limits.js';
import type { ModerationRequest, ModerationResult } from '../../moderation/moderator.js';

export interface ModerateCommandOptions {
  file?: string;
  endpoint?: string;
  model?: string;
  maxLength?: string;
  policy?: string;
}

export const registerModerate: CommandRegistration = (program, context, setExit) => {
  program
    .command('moderate')
    .description('decide approve / review / reject for a text (or each post of a JSONL or CSV file) with the shipped model and rules, or send them to a running service (--endpoint)')
    .argument('[text]', 'the text to moderate')
    .option('-f, --file <file>', 'moderate every post: JSONL {"text", "id"?, "kind"?, "userId"?} lines, or CSV with a "text" column (id, kind, userId optional; data/*.csv as they are); --json prints "results" in input order')
    .option('-e, --endpoint <url>', 'send the posts to the service at <url> (mod serve: http://127.0.0.1:8080), which stores them and queues the reviews; prints a summary')
    .option('-m, --model <dir>', 'model artifact directory (default: the shipped models/default)')
    .option('--max-length <chars>', `refuse longer texts (exit 2; default ${DEFAULT_MAX_TEXT_LENGTH})`)
    .option('--policy <file>', "a decision-policy file (actions and thresholds per category) over the model's own")
    .action(commandAction<ModerateCommandOptions, [string | undefined]>(context, setExit, ({ args: [text], options, globals }, output) => runModerate(text, options, globals, output, context)));
};

/** Decision colours in a terminal: approve green, review yellow, reject red. */
const DECISION_COLOUR = { approve: 'green', review: 'yellow', reject: 'red' } as const;

function describe(result: ModerationResult, text: string, paint: ChalkInstance): string {
  const category = result.category ? ` ${result.category}` : '';
  const decision = paint[DECISION_COLOUR[result.decision]](result.decision.toUpperCase().padEnd(7));
  const lines = [`${decision} ${result.score.toFixed(3)}${category}  ${result.id ? `[${result.id}] ` : ''}${truncateToWidth(text)}`];
  for (const reason of result.reasons) lines.push(`        - ${reason.code}: ${reason.message}`);
  return lines.join('\n');
}

export async function runModerate(text: string | undefined, options: ModerateCommandOptions, globals: GlobalOptions, output: Output, context?: CliContext): Promise<number> {
  const path = await import('node:path');
  const { Chalk } = await import('chalk');
  const paint = new Chalk({ level: context && resultColour(output.mode, context.streams.stdout, context.env) ? 1 : 0 });
  const { UsageError } = await import('../../errors.js');
  const { DataError } = await import('../../moderation/errors.js');
  const { defaultModelPath } = await import('../../moderation/index.js');

  if ((text === undefined) === (options.file === undefined)) throw new UsageError('give either a text or --file <file>', 'mod moderate "こんにちは" or mod moderate --file posts.jsonl (or a .csv with a "text" column)');
  const cwd = globals.cwd ?? process.cwd();
  if (options.endpoint !== undefined) return runModerateAtEndpoint(text, options, cwd, output, paint);
  const maxTextLength = positiveInteger(options.maxLength ?? String(DEFAULT_MAX_TEXT_LENGTH), '--max-length');
  const { loadModerator } = await import('../../moderation/load-moderator.js');
  const moderator = await loadModerator(options.model ? path.resolve(cwd, options.model) : defaultModelPath, { maxTextLength, policyFile: options.policy ? path.resolve(cwd, options.policy) : undefined });

  if (text !== undefined) {
    const result = moderator.moderate({ text });
    output.result({ schemaVersion: 1, ...result }, () => describe(result, text, paint));
    return 0;
  }
  const posts = await readPosts(options.file as string, cwd);
  const requests = posts.map((p) => p.request);
  const results = posts.map(({ request, line }) => {
    try {
      return moderator.moderate(request);
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'TEXT_TOO_LONG') throw new DataError(`line ${line}: ${error.message}`, { file: options.file });
      throw error;
    }
  });
  output.result({ schemaVersion: 1, results }, () => results.map((r, i) => describe(r, (requests[i] as ModerationRequest).text, paint)).join('\n'));
  return 0;
}

async function readPosts(file: string, cwd: string): Promise<PostLine[]> {
  const path = await import('node:path');
  const { readFile } = await import('node:fs/promises');
  const { DataError } = await import('../../moderation/errors.js');
  const { parsePostsFile } = await import('./moderate-posts-file.js');
  let content: string;
  try {
    content = await readFile(path.resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new DataError((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message, { file });
  }
  return parsePostsFile(content, file);
}

/** --endpoint: the posts go to the service; the answer is its results, with a summary of the decisions. */
async function runModerateAtEndpoint(text: string | undefined, options: ModerateCommandOptions, cwd: string, output: Output, paint: ChalkInstance): Promise<number> {
  const { UsageError } = await import('../../errors.js');
  const { moderateAtEndpoint, parseEndpoint } = await import('./moderate-endpoint.js');
  const local = (['model', 'policy', 'maxLength'] as const).filter((key) => options[key] !== undefined);
  if (local.length > 0) {
    const flag = { model: '--model', policy: '--policy', maxLength: '--max-length' }[local[0]!];
    throw new UsageError(`${flag} is for scoring here; with --endpoint the service decides with its own model, policy and MAX_TEXT_LENGTH`, 'drop the flag, or drop --endpoint to score locally');
  }
  const base = parseEndpoint(options.endpoint as string);
  const posts: PostLine[] = text !== undefined ? [{ line: 1, request: { text } }] : await readPosts(options.file as string, cwd);
  const run = await moderateAtEndpoint(base, posts, options.file ?? '<text>');
  const { counts } = run;
  const consoleUrl = new URL('console', base).href;
  output.result({ schemaVersion: 1, endpoint: run.endpoint, sent: run.sent, batches: run.batches, counts, results: run.results }, () =>
    [
      `sent ${run.sent} post${run.sent === 1 ? '' : 's'} to ${run.endpoint} (${run.batches} batch${run.batches === 1 ? '' : 'es'}); ${counts.conflict > 0 ? `stored all but ${counts.conflict}` : 'all stored'}`,
      `${paint.green('approve')} ${counts.approve}  ${paint.yellow('review')} ${counts.review}  ${paint.red('reject')} ${counts.reject}${counts.conflict > 0 ? `  id conflicts ${counts.conflict} (not stored: their id names another post)` : ''}`,
      counts.review > 0 ? `${counts.review} now wait for review: sign in to ${consoleUrl} with a moderator token (mod service token create --name <you>), or GET /v1/reviews` : 'none went to review, so the review queue did not grow',
    ].join('\n'),
  );
  return 0;
}
