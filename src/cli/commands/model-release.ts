// mod model release --env E --model <dir> [--override model --reason ..] [--timeout s] [--tolerance x] [--yes]
// mod model rollback --env E [--to bundled] [--timeout s] [--yes]
// mod model shadow --env E (--model <dir> | --stop) [--timeout s] [--yes]
// A model is a release of its own kind (issue 13): the domain is
// src/delivery/model/; the output is src/cli/format/model-release-view.ts.
// Flags and exit codes as mod deploy / rollback: a refused gate exits 3, a
// failed release 1, an interrupted one 130.
import type { Command } from 'commander';
import { commandAction, type SetExit } from '../command-registration.js';
import { openWorkspaceFor, type CliContext, type GlobalOptions } from '../context.js';
import { numberBetween, positiveSeconds } from '../flag-parsers.js';
import type { Output } from '../output/output.js';
import type { Environment } from '../../delivery/config.js';
import type { Workspace } from '../../delivery/workspace.js';

export interface ModelReleaseCommandOptions {
  env: string;
  model: string;
  override: string[];
  reason?: string;
  timeout?: string;
  tolerance: string;
  yes?: boolean;
}

export interface ModelRollbackCommandOptions {
  env: string;
  /** `bundled`: clear the pointer, whatever it holds (even one that cannot be read). */
  to?: string;
  reason?: string;
  timeout?: string;
  yes?: boolean;
}

export interface ModelShadowCommandOptions {
  env: string;
  model?: string;
  stop?: boolean;
  reason?: string;
  timeout?: string;
  yes?: boolean;
}

const TIMEOUT_HELP = 'how long the instances are given to load the model (default 120 s); past it the pointer is put back (MODEL_NOT_LOADED, exit 1)';

/** Adds release, rollback and shadow under `mod model`. */
export function registerModelRelease(model: Command, context: CliContext, setExit: SetExit): void {
  model
    .command('release')
    .description("release a model to an environment on its own: the model gate per category, the env's canary, then every instance decides with it")
    .requiredOption('-e, --env <name>', 'environment: stage, production or an alias')
    .requiredOption('-m, --model <dir>', 'the model artifact (mod model train --out)')
    .option('--override <gate>', 'let a failing gate through: model or window (repeatable; recorded and notified)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--reason <text>', 'recorded with the release (required with --override)')
    .option('-t, --tolerance <x>', "how much worse (absolute, 0.01 = one point) each category's figures may be than the current model's", '0.01')
    .option('--timeout <seconds>', TIMEOUT_HELP)
    .option('-y, --yes', 'confirm a production release without asking (required when not interactive)')
    .action(commandAction<ModelReleaseCommandOptions>(context, setExit, ({ options, globals }, output) => runModelRelease(options, globals, context, output)));

  model
    .command('rollback')
    .description('back to the live model before the current one in seconds (no gate, no canary); past the first release, to the bundled model')
    .requiredOption('-e, --env <name>', 'environment: stage, production or an alias')
    .option('--to <target>', 'bundled: back to the bundled model, the pointer cleared whatever it holds (the way out of a pointer that cannot be read, MODEL_POINTER_INVALID)')
    .option('--reason <text>', 'recorded with the rollback')
    .option('--timeout <seconds>', TIMEOUT_HELP)
    .option('-y, --yes', 'confirm a production rollback without asking (required when not interactive)')
    .action(commandAction<ModelRollbackCommandOptions>(context, setExit, ({ options, globals }, output) => runModelRollback(options, globals, context, output)));

  model
    .command('shadow')
    .description('a model that scores every post next to the live one without deciding (its answers are stored with the posts); --stop clears it')
    .requiredOption('-e, --env <name>', 'environment: stage, production or an alias')
    .option('-m, --model <dir>', 'the model artifact to shadow')
    .option('--stop', 'clear the shadow model')
    .option('--reason <text>', 'recorded with the change')
    .option('--timeout <seconds>', TIMEOUT_HELP)
    .option('-y, --yes', 'confirm a production shadow change without asking (required when not interactive): with nothing released it pins the bundled model as live')
    .action(commandAction<ModelShadowCommandOptions>(context, setExit, ({ options, globals }, output) => runModelShadow(options, globals, context, output)));
}

export async function runModelRelease(options: ModelReleaseCommandOptions, globals: GlobalOptions, context: CliContext, output: Output, workspace?: Workspace): Promise<number> {
  const path = await import('node:path');
  const { releaseModel, ModelGateRefusedError } = await import('../../delivery/model/model-release.js');
  const { modelGateReportJson, modelReleaseJson, modelReleaseText } = await import('../format/model-release-view.js');
  const { exitCodeFor } = await import('../format/deployment-result.js');
  const { UsageError } = await import('../../errors.js');
  if (options.override.length && !options.reason?.trim()) throw new UsageError('--override needs --reason "why"', 'an override is recorded (who and why) and notified');
  const tolerance = numberBetween(options.tolerance, '--tolerance', { atLeast: 0, below: 1 });
  const timeoutMs = positiveSeconds(options.timeout, '--timeout');
  const ws = workspace ?? (await openWorkspaceFor(globals, context));
  const env = ws.environment(options.env);
  await confirmProduction(env, `Release model ${options.model} to ${env.name}?`, options.yes, `mod model release --env ${env.name}`, output);
  const { onInterrupt } = await import('../interrupt.js');
  const interrupt = onInterrupt((message) => output.warn(message));
  try {
    const outcome = await releaseModel(ws, {
      environment: env.name,
      model: path.resolve(globals.cwd ?? process.cwd(), options.model),
      overrides: options.override.map((gate) => ({ gate, reason: options.reason ?? '' })),
      reason: options.reason,
      tolerance,
      timeoutMs,
      signal: interrupt.signal,
      events: (e) => output.event(e),
      unattended: !context.interactive,
    });
    output.result(modelReleaseJson(outcome.record, outcome.gates), () => modelReleaseText(outcome.record, output.mode === 'tty', outcome.gates));
    return exitCodeFor(outcome.record);
  } catch (error) {
    if (!(error instanceof ModelGateRefusedError)) throw error;
    const { modelGateText } = await import('../format/model-release-view.js');
    output.result({ ...modelGateReportJson(error.report), error: { code: error.code, message: error.message, hint: error.hint ?? null, exitCode: error.exitCode } }, () => modelGateText(error.report, output.mode === 'tty'));
    output.error(error.message, error.hint);
    return error.exitCode;
  } finally {
    interrupt.dispose();
  }
}

export async function runModelRollback(options: ModelRollbackCommandOptions, globals: GlobalOptions, context: CliContext, output: Output, workspace?: Workspace): Promise<number> {
  const { assertModelReleased, rollbackModel } = await import('../../delivery/model/model-rollback.js');
  const { modelReleaseJson, modelReleaseText } = await import('../format/model-release-view.js');
  const { exitCodeFor } = await import('../format/deployment-result.js');
  const timeoutMs = positiveSeconds(options.timeout, '--timeout');
  if (options.to !== undefined && options.to !== 'bundled') {
    const { UsageError } = await import('../../errors.js');
    throw new UsageError(`--to takes bundled (the model each instance's code bundle ships), got ${JSON.stringify(options.to)}`, `mod model rollback --env ${options.env} goes back to the previous model; --to bundled clears the pointer`);
  }
  const toBundled = options.to === 'bundled';
  const ws = workspace ?? (await openWorkspaceFor(globals, context));
  const env = ws.environment(options.env);
  // Nothing released: say so before asking for --yes.
  await assertModelReleased(ws, env.name, { toBundled });
  await confirmProduction(env, `Roll back the model of ${env.name}?`, options.yes, `mod model rollback --env ${env.name}`, output);
  const { onInterrupt } = await import('../interrupt.js');
  const interrupt = onInterrupt((message) => output.warn(message));
  try {
    const outcome = await rollbackModel(ws, { environment: env.name, reason: options.reason, toBundled, timeoutMs, signal: interrupt.signal, events: (e) => output.event(e) });
    output.result(modelReleaseJson(outcome.record), () => modelReleaseText(outcome.record, output.mode === 'tty'));
    return exitCodeFor(outcome.record);
  } finally {
    interrupt.dispose();
  }
}

export async function runModelShadow(options: ModelShadowCommandOptions, globals: GlobalOptions, context: CliContext, output: Output, workspace?: Workspace): Promise<number> {
  const path = await import('node:path');
  const { shadowModel } = await import('../../delivery/model/model-shadow.js');
  const { modelReleaseJson, modelReleaseText } = await import('../format/model-release-view.js');
  const { exitCodeFor } = await import('../format/deployment-result.js');
  const timeoutMs = positiveSeconds(options.timeout, '--timeout');
  const ws = workspace ?? (await openWorkspaceFor(globals, context));
  const env = ws.environment(options.env);
  // A shadow change writes the pointer, and with nothing released pins the bundled model as live: asked as a release is.
  const question = options.stop ? `Stop the shadow model of ${env.name}?` : `Shadow model ${options.model ?? ''} in ${env.name}? (with nothing released, its bundled model is pinned as the live one)`;
  await confirmProduction(env, question, options.yes, `mod model shadow --env ${env.name}`, output);
  const { onInterrupt } = await import('../interrupt.js');
  const interrupt = onInterrupt((message) => output.warn(message));
  try {
    const outcome = await shadowModel(ws, {
      environment: env.name,
      model: options.model === undefined ? undefined : path.resolve(globals.cwd ?? process.cwd(), options.model),
      stop: options.stop,
      reason: options.reason,
      timeoutMs,
      signal: interrupt.signal,
      events: (e) => output.event(e),
    });
    output.result(modelReleaseJson(outcome.record), () => modelReleaseText(outcome.record, output.mode === 'tty'));
    return exitCodeFor(outcome.record);
  } finally {
    interrupt.dispose();
  }
}

/** Production-like environments ask first, as mod deploy does. */
async function confirmProduction(env: Environment, question: string, yes: boolean | undefined, command: string, output: Output): Promise<void> {
  const { needsConfirmation } = await import('../../delivery/config.js');
  if (!needsConfirmation(env)) return;
  const { confirmOrRefuse } = await import('../confirm.js');
  await confirmOrRefuse(output, question, yes, command);
}
