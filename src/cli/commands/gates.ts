// mod gates --env E [--ref R] [--override G --reason T]: the release gates alone.
import { commandAction, type CommandRegistration } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import type { Output } from '../output/output.js';
import type { CliErrorCode } from '../../error-codes.js';

export interface GatesCommandOptions {
  env: string;
  ref?: string;
  override: string[];
  reason?: string;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export const registerGates: CommandRegistration = (program, context, setExit) => {
  program
    .command('gates')
    .description('judge the release gates (ticket, peer-review, migrations, approval, window) for a deploy, without deploying')
    .requiredOption('-e, --env <name>', 'environment, usually production')
    .option('--ref <ref>', 'judge this commit instead of the branch head')
    .option('--override <gate>', 'let a failing gate through (repeatable; needs --reason)', collect, [])
    .option('--reason <text>', 'why the override is needed')
    .action(commandAction<GatesCommandOptions>(context, setExit, ({ options, globals }, output) => runGatesCommand(options, globals, context, output)));
};

export async function runGatesCommand(options: GatesCommandOptions, globals: GlobalOptions, context: CliContext, output: Output): Promise<number> {
  const { judgeGates, targetCommit } = await import('../../delivery/deploy.js');
  const { ExitCode } = await import('../../errors.js');
  const { gateReportJson, gateReportText, overridesFrom } = await import('../format/gate-report.js');
  const ws = await openWorkspaceFor(globals, context);
  const env = ws.environment(options.env);
  const provider = await ws.provider(env);
  const events = (e: Parameters<Output['event']>[0]) => output.event(e);
  const commit = await targetCommit(ws, env, options.ref, events, 'judging');
  const report = await judgeGates(ws, env, provider, commit, { overrides: overridesFrom(options.override, options.reason), initiator: await ws.initiator(), events: (e) => e.type === 'notice' && output.event(e) });
  if (!report) {
    output.result({ schemaVersion: 1, environment: env.name, passed: true, gates: [] }, () => `${env.name} has no release gates`);
    return ExitCode.Ok;
  }
  const refused = report.passed
    ? {}
    : {
        error: {
          code: 'GATE_REFUSED' satisfies CliErrorCode,
          message: `release gates refuse ${env.name}: ${report.gates
            .filter((g) => g.status === 'fail')
            .map((g) => g.name)
            .join(', ')}`,
          hint: 'do what each failing gate says, or deploy with --override <gate> --reason "..."',
          exitCode: ExitCode.GateRefused,
        },
      };
  output.result({ ...gateReportJson(report), ...refused }, () => gateReportText(report, output.mode === 'tty'));
  return report.passed ? ExitCode.Ok : ExitCode.GateRefused;
}
