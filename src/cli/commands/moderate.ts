// mod moderate "<text>" | --file <file.jsonl>: scores text with the shipped
// model and the contact rules, no server needed.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import type { ChalkInstance } from 'chalk';
import type { CliContext, GlobalOptions } from '../context.js';
import { positiveInteger } from '../flag-parsers.js';
import { resultColour, truncateToWidth } from '../format/terminal-text.js';
import type { Output } from '../output/output.js';
import { DEFAULT_MAX_TEXT_LENGTH } from '../../moderation/limits.js';
import type { ModerationRequest, ModerationResult } from '../../moderation/moderator.js';

export interface ModerateCommandOptions {
  file?: string;
  model?: string;
  maxLength?: string;
  policy?: string;
}

export const registerModerate: CommandRegistration = (program, context, setExit) => {
  program
    .command('moderate')
    .description('decide approve / review / reject for a text (or each line of a JSONL file) with the shipped model and rules')
    .argument('[text]', 'the text to moderate')
    .option('-f, --file <file.jsonl>', 'moderate every {"text", "id"?, "kind"?, "userId"?} line; --json prints "results" in input order')
    .option('-m, --model <dir>', 'model artifact directory (default: the shipped models/default)')
    .option('--max-length <chars>', 'refuse longer texts (exit 2)', String(DEFAULT_MAX_TEXT_LENGTH))
    .option('--policy <file>', "a decision-policy file (actions and thresholds per category) over the model's own")
    .action(commandAction<ModerateCommandOptions, [string | undefined]>(context, setExit, ({ args: [text], options, globals }, output) => runModerate(text, options, globals, output, context)));
};

function parseRequests(content: string, file: string, DataError: typeof import('../../moderation/errors.js').DataError): ModerationRequest[] {
  const requests: ModerationRequest[] = [];
  content.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new DataError(`line ${i + 1}: not valid JSON (${(error as Error).message})`, { file, hint: 'each line must be a JSON object such as {"text":"..."}' });
    }
    const r = row as Record<string, unknown>;
    if (typeof row !== 'object' || row === null || Array.isArray(row) || typeof r.text !== 'string') throw new DataError(`line ${i + 1}: expected an object with a string "text"`, { file });
    const request: ModerationRequest = { text: r.text };
    for (const key of ['id', 'kind', 'userId'] as const) {
      const value = r[key];
      if (typeof value === 'string' || typeof value === 'number') request[key] = String(value);
    }
    requests.push(request);
  });
  if (requests.length === 0) throw new DataError('contains no lines to moderate', { file });
  return requests;
}

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
  const { readFile } = await import('node:fs/promises');
  const { UsageError } = await import('../../errors.js');
  const { DataError } = await import('../../moderation/errors.js');
  const { defaultModelPath } = await import('../../moderation/index.js');

  if ((text === undefined) === (options.file === undefined)) throw new UsageError('give either a text or --file <file.jsonl>', 'mod moderate "こんにちは" or mod moderate --file posts.jsonl');
  const maxTextLength = positiveInteger(options.maxLength ?? String(DEFAULT_MAX_TEXT_LENGTH), '--max-length');
  const cwd = globals.cwd ?? process.cwd();
  const { loadModerator } = await import('../../moderation/load-moderator.js');
  const moderator = await loadModerator(options.model ? path.resolve(cwd, options.model) : defaultModelPath, { maxTextLength, policyFile: options.policy ? path.resolve(cwd, options.policy) : undefined });

  if (text !== undefined) {
    const result = moderator.moderate({ text });
    output.result({ schemaVersion: 1, ...result }, () => describe(result, text, paint));
    return 0;
  }
  const file = path.resolve(cwd, options.file as string);
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    throw new DataError((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message, { file: options.file });
  }
  const requests = parseRequests(content, options.file as string, DataError);
  const results = requests.map((request, i) => {
    try {
      return moderator.moderate(request);
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'TEXT_TOO_LONG') throw new DataError(`request ${i + 1}: ${error.message}`, { file: options.file });
      throw error;
    }
  });
  output.result({ schemaVersion: 1, results }, () => results.map((r, i) => describe(r, (requests[i] as ModerationRequest).text, paint)).join('\n'));
  return 0;
}
