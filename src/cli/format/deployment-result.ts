// The result of deploy and rollback: one JSON form (the contract other tools
// parse) and one human form, plus the exit code its status maps to.
import { Chalk } from 'chalk';
import type { DeploymentRecord } from '../../delivery/deployment.js';
import { ExitCode } from '../../errors.js';
import { short } from '../output/describe-event.js';

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
  if (record.autoRollback) {
    lines.push(`  auto-rollback to ${short(record.autoRollback.revision.commit)}: ${record.autoRollback.status}`);
  }
  if (record.status === 'Stopped') lines.push('  the endpoint keeps serving the instances that were not being changed; run mod status to see them');
  if (endpoint) lines.push(`  endpoint: ${endpoint}`);
  return lines.join('\n');
}
