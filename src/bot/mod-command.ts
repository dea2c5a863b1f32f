// The text of a `/mod` slash command, parsed: `<verb> [env] [flags]` with the
// flags each verb takes (node:util parseArgs, strict: an unknown flag is an
// error that says which flags there are).
import { parseArgs } from 'node:util';

export type ModCommand =
  { verb: 'status'; env?: string } | { verb: 'deploy'; env: string; ref?: string } | { verb: 'gates'; env: string; ref?: string } | { verb: 'rollback'; env: string; fast: boolean; to?: string } | { verb: 'history'; env?: string; limit: number } | { verb: 'help' };

export class CommandSyntaxError extends Error {}

const USAGE = {
  status: '/mod status [env]',
  deploy: '/mod deploy <env> [--ref R]',
  gates: '/mod gates <env> [--ref R]',
  rollback: '/mod rollback <env> [--to <deploymentId|commit>] [--fast]',
  history: '/mod history [env] [--limit N]',
} as const;

/** The parsed command; undefined for an unknown verb (the caller answers with the help). */
export function parseModCommand(text: string): ModCommand | undefined {
  const [verb = 'help', ...rest] = text.trim().split(/\s+/).filter(Boolean);
  if (verb === 'help') return { verb: 'help' };
  if (!(verb in USAGE)) return undefined;
  const usage = USAGE[verb as keyof typeof USAGE];
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { ref: { type: 'string' }, to: { type: 'string' }, fast: { type: 'boolean', default: false }, limit: { type: 'string' } },
    });
  } catch (error) {
    const unknown = /Unknown option '([^']+)'/.exec((error as Error).message);
    throw new CommandSyntaxError(`${unknown ? `unknown flag ${unknown[1]}` : (error as Error).message}. Usage: \`${usage}\``);
  }
  const { positionals, values } = parsed;
  if (positionals.length > 1) throw new CommandSyntaxError(`one environment at most, got ${positionals.join(' ')}. Usage: \`${usage}\``);
  const env = positionals[0];
  const allowed: Record<string, string[]> = { status: [], deploy: ['ref'], gates: ['ref'], rollback: ['fast', 'to'], history: ['limit'] };
  for (const flag of ['ref', 'limit', 'to'] as const) if (values[flag] !== undefined && !allowed[verb]!.includes(flag)) throw new CommandSyntaxError(`${verb} takes no --${flag}. Usage: \`${usage}\``);
  if (values.fast && verb !== 'rollback') throw new CommandSyntaxError(`${verb} takes no --fast. Usage: \`${usage}\``);
  switch (verb) {
    case 'status':
      return { verb, env };
    case 'history': {
      const limit = values.limit === undefined ? 10 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new CommandSyntaxError(`--limit ${values.limit}: give a whole number from 1 to 50. Usage: \`${usage}\``);
      return { verb, env, limit };
    }
    default:
      if (!env) throw new CommandSyntaxError(`${verb} needs an environment. Usage: \`${usage}\``);
      if (verb === 'rollback') return { verb, env, fast: values.fast === true, ...(values.to ? { to: values.to } : {}) };
      return { verb: verb as 'deploy' | 'gates', env, ref: values.ref };
  }
}
