// `mod history`: the JSON contract and the human listing.
import { Chalk } from 'chalk';
import type { DeploymentRecord, InstanceRecord } from '../../delivery/deployment.js';
import { short } from '../output/describe-event.js';
import { canaryLine, canarySummaryJson, modelSides } from './canary-view.js';
import { truncateToWidth } from './terminal-text.js';

export function historyJson(records: DeploymentRecord[]) {
  return {
    schemaVersion: 1 as const,
    deployments: records.map((r) => ({
      deploymentId: r.deploymentId,
      environment: r.environment,
      status: r.status,
      revision: { commit: r.revision.commit, subject: r.revision.subject ?? null },
      initiator: r.initiator,
      startedAt: r.startedAt,
      endedAt: r.endedAt ?? null,
      rollbackOf: r.rollbackOf ?? null,
      revertCommit: r.revertCommit ?? null,
      pendingRevert: r.pendingRevert ? { commits: r.pendingRevert.commits, branch: r.pendingRevert.branch, since: r.pendingRevert.since, reason: r.pendingRevert.reason } : null,
      stopReason: r.stopReason ?? null,
      reason: r.reason ?? null,
      error: r.error ?? null,
      build: r.build ?? null,
      gates: r.gates ?? null,
      instances: r.instances.map(instanceJson),
      autoRollback: r.autoRollback ? { commit: r.autoRollback.revision.commit, status: r.autoRollback.status, instances: r.autoRollback.instances.map(instanceJson) } : null,
      // Issue 12: how it rolled out, the blue/green fleets, the canary's verdict.
      deploymentType: r.deploymentType ?? 'in-place',
      blueGreen: r.blueGreen ? { originalInstances: r.blueGreen.originalInstances, replacementInstances: r.blueGreen.replacementInstances, keepOriginalUntil: r.blueGreen.keepOriginalUntil ?? null, originalTerminated: r.blueGreen.originalTerminated ?? false } : null,
      canary: canarySummaryJson(r.canary),
      // Issue 13: a code deployment or a model release (with which model, from which data, replacing which).
      kind: r.kind ?? 'code',
      model: r.model ?? null,
    })),
  };
}

function instanceJson(i: InstanceRecord) {
  return {
    instanceId: i.instanceId,
    status: i.status,
    events: i.events.map((e) => ({ name: e.name, status: e.status, startedAt: e.startedAt ?? null, endedAt: e.endedAt ?? null, durationMs: e.durationMs ?? null })),
  };
}

/** The listing: subjects cut to SUBJECT_COLUMNS (historyJson keeps them whole). */
export function historyText(records: DeploymentRecord[], color: boolean, verbose: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  if (records.length === 0) return 'no deployments yet';
  const lines: string[] = [];
  for (const r of records) {
    const took = r.endedAt ? `${((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)}s` : 'running';
    const status = r.status === 'Succeeded' ? c.green(r.status) : r.status === 'InProgress' ? c.cyan(r.status) : r.status === 'Failed' ? c.red(r.status) : c.yellow(r.status);
    if (r.kind === 'model' && r.model) {
      lines.push(...modelReleaseLines(r, status, color, took));
      continue;
    }
    lines.push(`${r.deploymentId}  ${r.environment.padEnd(10)} ${status.padEnd(color ? 20 : 10)} ${short(r.revision.commit)} ${truncateToWidth(r.revision.subject ?? '')}`);
    lines.push(c.dim(`    by ${r.initiator} at ${r.startedAt} (${took})${r.deploymentType === 'blue-green' ? ', blue/green' : ''}${r.rollbackOf ? `, rollback of ${r.rollbackOf}` : ''}${r.revertCommit ? `, revert ${short(r.revertCommit)}` : ''}`));
    if (r.error) lines.push(`    ${c.red(r.error.message)}`);
    if (r.stopReason && r.stopReason !== r.error?.message) lines.push(`    ${c.yellow(`stopped: ${r.stopReason}`)}`);
    if (r.pendingRevert) lines.push(`    ${c.yellow(`revert pending on ${r.pendingRevert.branch} (${r.pendingRevert.reason}): mod rollback --env ${r.environment} --finish-revert`)}`);
    for (const g of r.gates?.filter((g) => g.overridden) ?? []) lines.push(`    ${c.yellow(`gate ${g.name} overridden by ${g.overridden!.by}: ${g.overridden!.reason}`)}`);
    const canary = canaryLine(r.canary, color);
    if (canary) lines.push(`    ${canary}`);
    if (r.autoRollback) lines.push(`    auto-rollback to ${short(r.autoRollback.revision.commit)}: ${r.autoRollback.status}`);
    for (const i of verbose ? [...r.instances, ...(r.autoRollback?.instances ?? [])] : []) {
      const events = i.events.filter((e) => e.status !== 'Skipped' && e.status !== 'Pending').map((e) => `${e.name} ${e.durationMs ?? '?'}ms${e.status === 'Failed' ? ' FAILED' : ''}`);
      lines.push(`    ${i.instanceId}: ${events.join(', ')}`);
    }
  }
  return lines.join('\n');
}

/** A model release (issue 13): `model <version>` and its action where a code deployment names its commit. */
function modelReleaseLines(r: DeploymentRecord, status: string, color: boolean, took: string): string[] {
  const c = new Chalk({ level: color ? 1 : 0 });
  const m = r.model!;
  const what = m.action === 'rollback' && m.version === 'bundled' ? 'model rollback to the bundled model' : `model ${m.action} ${m.version}`;
  const lines = [`${r.deploymentId}  ${r.environment.padEnd(10)} ${status.padEnd(color ? 20 : 10)} ${what}`];
  // A shadow replaces nothing: it sits next to the live model.
  const shadowing = m.action === 'shadow' || m.action === 'unshadow';
  const previous = m.previous ? `, ${shadowing ? 'live' : 'replacing'} ${m.previous.version}` : m.action === 'release' ? ', replacing the bundled model' : '';
  lines.push(c.dim(`    by ${r.initiator} at ${r.startedAt} (${took}), kind model${previous}${r.rollbackOf ? `, rollback of ${r.rollbackOf}` : ''}${m.labels ? `, trained on ${m.labels.count} moderator labels` : ''}`));
  if (r.error) lines.push(`    ${c.red(r.error.message)}`);
  if (m.restored?.asked && !m.restored.loaded) lines.push(`    ${c.yellow(`pointer put back, not reported by every instance then: ${m.restored.pending.join('; ')}`)}`);
  for (const g of r.gates?.filter((g) => g.overridden) ?? []) lines.push(`    ${c.yellow(`gate ${g.name} overridden by ${g.overridden!.by}: ${g.overridden!.reason}`)}`);
  const canary = canaryLine(r.canary, color, modelSides(r));
  if (canary) lines.push(`    ${canary}`);
  return lines;
}
