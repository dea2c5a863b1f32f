// The result of deploy and rollback: one JSON form (the contract other tools
// parse) and one human form, plus the exit code its status maps to.
import { Chalk } from 'chalk';
import type { DeploymentRecord } from '../../delivery/deployment.js';
import { ExitCode } from '../../errors.js';
import { short } from '../output/describe-event.js';
import { canaryLine, canarySummaryJson, failingMetrics, type CanarySummaryJson } from './canary-view.js';

export interface DeploymentResultJson {
  schemaVersion: 1;
  status: 'Succeeded' | 'Failed' | 'RolledBack' | 'Stopped';
  deploymentId: string;
  environment: string;
  revision: { commit: string };
  endpoint: string | null;
  rollbackOf?: string | null;
  revertCommit?: string | null;
  error?: DeploymentRecord['error'] | null;
  /** Issue 12: in-place or blue-green. */
  deploymentType?: 'in-place' | 'blue-green';
  /** Issue 12: the canary's verdict, score and metrics; null when the deployment had none. */
  canary?: CanarySummaryJson | null;
  /** The build behind it: whether an earlier bundle was reused, and how long building (or finding) it took; null when the provider does not say. */
  build?: { reused: boolean; durationMs: number } | null;
}

export function deploymentJson(record: DeploymentRecord, endpoint: string | null): DeploymentResultJson {
  return {
    schemaVersion: 1,
    status: record.status === 'InProgress' ? 'Stopped' : record.status,
    deploymentId: record.deploymentId,
    environment: record.environment,
    revision: { commit: record.revision.commit },
    endpoint,
    error: record.error ?? null,
    deploymentType: record.deploymentType ?? 'in-place',
    canary: canarySummaryJson(record.canary),
    build: record.build ? { reused: record.build.reused, durationMs: record.build.durationMs } : null,
  };
}

export function exitCodeFor(record: DeploymentRecord): number {
  if (record.status === 'Succeeded') return ExitCode.Ok;
  // --timeout on the local provider stops the deployment: exit 4, as waiting past it does on AWS.
  if (record.error?.code === 'TIMEOUT') return ExitCode.Timeout;
  if (record.status === 'Stopped' || record.status === 'InProgress') return ExitCode.Interrupted;
  return ExitCode.Failed;
}

export function deploymentText(record: DeploymentRecord, endpoint: string | null, color: boolean): string {
  const paint = new Chalk({ level: color ? 1 : 0 });
  const lines: string[] = [];
  const statusText = record.status === 'Succeeded' ? paint.green(record.status) : record.status === 'RolledBack' || record.status === 'Stopped' ? paint.yellow(record.status) : paint.red(record.status);
  const took = record.endedAt ? ` in ${((Date.parse(record.endedAt) - Date.parse(record.startedAt)) / 1000).toFixed(1)} s` : '';
  lines.push(`${statusText}: ${record.deploymentId} ${short(record.revision.commit)} ${record.revision.subject ?? ''} -> ${record.environment}${took}`);
  if (record.error) {
    const e = record.error;
    lines.push(`  ${paint.red('cause:')} ${e.message}`);
    if (e.exitCode !== undefined && e.exitCode !== null) lines.push(`  exit code: ${e.exitCode}`);
    if (e.logTail?.length) {
      lines.push('  log tail:');
      for (const line of e.logTail.slice(-15)) lines.push(`    ${line}`);
    }
    if (e.logFile) lines.push(`  full log: ${e.logFile}`);
    if (e.hint) lines.push(`  hint: ${e.hint}`);
  }
  const canary = canaryLine(record.canary, color);
  if (canary) lines.push(`  ${canary}`);
  for (const m of failingMetrics(record.canary)) lines.push(`    ${paint.red(m.name)}${m.critical ? ' (critical)' : ''}: ${m.reason}`);
  if (record.canary?.verdict && record.canary.verdict.verdict !== 'Pass') lines.push(`  the numbers behind it: mod canary report ${record.deploymentId}`);
  if (record.blueGreen && !record.blueGreen.originalTerminated && record.blueGreen.keepOriginalUntil && record.status === 'Succeeded') {
    lines.push(`  blue/green: the original fleet (${record.blueGreen.originalInstances.join(', ')}) stands by until ${record.blueGreen.keepOriginalUntil}: mod rollback --env ${record.environment} --fast switches back`);
  }
  if (record.autoRollback) {
    lines.push(`  auto-rollback to ${short(record.autoRollback.revision.commit)}: ${record.autoRollback.status}`);
  }
  // After `mod stop` the environment is shut down too: nothing keeps serving.
  if (record.status === 'Stopped' && record.error?.code !== 'DEPLOYMENT_STOPPED') lines.push('  the endpoint keeps serving the instances that were not being changed; run mod status to see them');
  if (endpoint) lines.push(`  endpoint: ${endpoint}`);
  return lines.join('\n');
}
