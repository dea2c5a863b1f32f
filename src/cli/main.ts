// The `mod` program: global flags and one registration per command. Command
// modules import their heavy dependencies inside their action, so `mod
// --help` loads only commander.
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import type { CommandRegistration, SetExit } from './command-registration.js';
import type { CliContext } from './context.js';
import { registerApprove } from './commands/approve.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDoctor } from './commands/doctor.js';
import { registerLogs } from './commands/logs.js';
import { registerGates } from './commands/gates.js';
import { registerReviewPr } from './commands/review-pr.js';
import { registerHistory } from './commands/history.js';
import { registerModel } from './commands/model.js';
import { registerModerate } from './commands/moderate.js';
import { registerRollback } from './commands/rollback.js';
import { registerStatus } from './commands/status.js';
import { registerStop } from './commands/stop.js';
import { registerServe } from './commands/serve.js';
import { registerDb } from './commands/db.js';
import { registerService } from './commands/service.js';
import { registerCompletion } from './commands/completion.js';
import { registerInit } from './commands/init.js';
import { registerCanary } from './commands/canary.js';
import { registerBot } from './commands/bot.js';

const registrations: CommandRegistration[] = [
  registerDeploy,
  registerRollback,
  registerStatus,
  registerHistory,
  registerStop,
  registerApprove,
  registerCanary,
  registerDoctor,
  registerLogs,
  registerGates,
  registerReviewPr,
  registerModerate,
  registerModel,
  registerServe,
  registerBot,
  registerDb,
  registerService,
  registerInit,
  registerCompletion,
];

export function buildProgram(context: CliContext, setExit: SetExit): Command {
  const program = new Command('mod')
    .description('Deliver the moderation service: build, deploy, watch and roll back (locally or on AWS)')
    .version(process.env.npm_package_version ?? '0.1.0', '-V, --version')
    .option('--json', 'print one JSON document on stdout (logs go to stderr)')
    .option('--plain', 'one line per event, no colour or spinner (default when not a TTY or CI=true)')
    .option('-v, --verbose', 'show build output and every lifecycle step')
    .option('--debug', 'show stack traces for unexpected errors')
    .option('-C, --cwd <dir>', 'the repository to act on', process.cwd())
    .option('--provider <name>', "use this provider for every environment: local or aws (default: each environment's config)")
    .option('--profile <name>', 'AWS profile (default: the SDK credential chain)')
    .option('--region <name>', 'AWS region (default: the environment config or the SDK chain)')
    .showHelpAfterError('(run mod --help for usage)')
    .configureOutput({
      writeOut: (text) => context.streams.stdout.write(text),
      writeErr: (text) => context.streams.stderr.write(text),
    })
    .exitOverride();
  for (const register of registrations) register(program, context, setExit);
  return program;
}

export async function main(argv: string[], context: CliContext = defaultContext()): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(context, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; any other parse failure is a usage error.
      if (error.exitCode === 0) return ExitCode.Ok;
      // commander has written its message on stderr; --json still owes stdout its one document.
      if (wantsJson(program, argv)) await writeUsageErrorDocument(error, context);
      return ExitCode.Usage;
    }
    throw error;
  }
  return exitCode;
}

/**
 * Whether --json was given. commander may stop before it reads every flag
 * (an unknown command, a missing argument), so the arguments before `--` are
 * looked at too.
 */
function wantsJson(program: Command, argv: string[]): boolean {
  if (program.opts<{ json?: boolean }>().json) return true;
  const args = argv.slice(2);
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

/** The `--json` error document of any other failure, for a flag or command commander refused. */
async function writeUsageErrorDocument(error: CommanderError, context: CliContext): Promise<void> {
  const { JsonOutput } = await import('./output/json-output.js');
  const message = error.code === 'commander.help' ? 'no command given' : error.message.replace(/^error: /, '');
  new JsonOutput(context.streams).errorResult('USAGE', message, 'run mod --help for usage', ExitCode.Usage);
}

function defaultContext(): CliContext {
  const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
  return {
    streams: { stdout: process.stdout, stderr: process.stderr },
    env: process.env,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY && !ci),
  };
}
