// mod doctor --env E: checks credentials, resources and settings, one line each.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';

export interface DoctorCommandOptions {
  env: string;
}

export const registerDoctor: CommandRegistration = (program, context, setExit) => {
  program
    .command('doctor')
    .description(
      "check an environment's setup (AWS: credentials, pipeline and branch, build project, deployment group, auto-rollback, alarms, log group; local: branch, endpoint, database; both: buildspec, appspec, hook events and scripts at the branch head, the deploy lock)",
    )
    .requiredOption('-e, --env <name>', 'environment')
    .action(commandAction<DoctorCommandOptions>(context, setExit, ({ options, globals }, output) => runDoctor(options, globals, context, output)));
};

export async function runDoctor(options: DoctorCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { doctor } = await import('../../delivery/doctor.js');
  const ws = await openWorkspaceFor(globals, context);
  const { environment: env, passed, checks } = await doctor(ws, { environment: options.env });
  // Colour only on a terminal: plain output (CI, pipes) stays greppable.
  const { default: chalk } = await import('chalk');
  const paint = output.mode === 'tty' ? { pass: chalk.green, warn: chalk.yellow, fail: chalk.red } : { pass: String, warn: String, fail: String };
  const label = { pass: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  output.result({ schemaVersion: 1, environment: env.name, provider: env.provider, passed, checks }, () =>
    [...checks.map((c) => `${paint[c.status](label[c.status])}  ${c.name.padEnd(18)} ${c.detail}`), passed ? paint.pass(`${env.name}: ready`) : paint.fail(`${env.name}: ${checks.filter((c) => c.status === 'fail').length} check(s) failed`)].join('\n'),
  );
  return passed ? 0 : 1;
}
