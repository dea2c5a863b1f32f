// `mod model release | rollback | shadow` (issue 13): the JSON contract (a
// schemaVersion 1 document holding the release record) and the human form,
// with the model gate's rows per category; the exit code is the deploy's.
import { Chalk } from 'chalk';
import type { DeploymentRecord } from '../../delivery/deployment.js';
import type { ModelGateReport } from '../../delivery/model/model-gate.js';
import { canaryLine, canarySummaryJson, modelSides } from './canary-view.js';

/** The record of a model release as `--json` prints it. */
export function modelReleaseJson(record: DeploymentRecord, gates?: ModelGateReport) {
  return {
    schemaVersion: 1 as const,
    status: record.status === 'InProgress' ? ('Stopped' as const) : record.status,
    deploymentId: record.deploymentId,
    environment: record.environment,
    kind: 'model' as const,
    initiator: record.initiator,
    startedAt: record.startedAt,
    endedAt: record.endedAt ?? null,
    reason: record.reason ?? null,
    rollbackOf: record.rollbackOf ?? null,
    /** action, version, checksum, location, dataFingerprint, labels, previous, gate (its rows). */
    model: record.model ?? null,
    gates: record.gates ?? null,
    canary: canarySummaryJson(record.canary),
    error: record.error ?? null,
    ...(gates ? { gateReport: modelGateReportJson(gates) } : {}),
  };
}

/** The model gate's verdict for bots: the gates, the baseline, and every row per category. */
export function modelGateReportJson(report: ModelGateReport) {
  return {
    schemaVersion: 1 as const,
    environment: report.environment,
    candidate: report.candidate,
    baseline: report.baseline,
    checkSet: report.checkSet,
    examples: report.examples,
    tolerance: report.tolerance,
    // As the record's model.gate.passed: every gate passed on its own (an overridden one did not);
    // letThrough: the release went on (overrides included).
    passed: report.gates.every((g) => g.status !== 'fail' && !g.overridden),
    letThrough: report.passed,
    gates: report.gates.map((g) => ({ name: g.name, status: g.status, reason: g.reason, fix: g.fix ?? null, overridden: g.overridden ?? null })),
    rows: report.rows.map((r) => ({ metric: r.metric, category: r.category, examples: r.examples, baseline: r.baseline, candidate: r.candidate, delta: r.delta, higherIsBetter: r.higherIsBetter, worse: r.worse })),
  };
}

/** The model gate's rows, one a line: metric, baseline -> candidate, delta, WORSE. */
export function modelGateText(report: ModelGateReport, color: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`.padStart(6);
  const lines = [`model gate for ${report.environment}: ${report.candidate} against ${report.baseline.source === 'released' ? 'the released' : 'the bundled'} ${report.baseline.version} on ${report.checkSet} (${report.examples} posts, tolerance ${report.tolerance}):`];
  for (const r of report.rows) {
    const delta = `${r.delta >= 0 ? '+' : '-'}${Math.abs(100 * r.delta).toFixed(1)} pt`;
    lines.push(`  ${r.worse ? c.red('WORSE') : c.green('ok   ')} ${r.metric.padEnd(28)} ${pct(r.baseline)} -> ${pct(r.candidate)}  ${delta.padStart(9)}  (${r.examples} posts, ${r.higherIsBetter ? 'higher' : 'lower'} is better)`);
  }
  for (const g of report.gates) {
    const mark = g.overridden ? c.yellow('OVERRIDE') : g.status === 'pass' ? c.green('pass    ') : c.red('FAIL    ');
    // The model gate's rows are above: its line says which failed, not their figures again.
    lines.push(`  ${mark} ${g.name.padEnd(8)} ${g.name === 'model' && g.status !== 'skipped' && (g.overridden || g.status === 'fail') ? `worse than the tolerance in ${report.rows.filter((r) => r.worse).length} row(s) (WORSE above)` : g.reason}`);
    if (g.overridden) lines.push(`           overridden by ${g.overridden.by}: ${g.overridden.reason}`);
    else if (g.status === 'fail' && g.fix) lines.push(`           fix: ${g.fix}`);
  }
  return lines.join('\n');
}

export function modelReleaseText(record: DeploymentRecord, color: boolean, gates?: ModelGateReport): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const m = record.model;
  const statusText = record.status === 'Succeeded' ? c.green(record.status) : record.status === 'Stopped' ? c.yellow(record.status) : c.red(record.status);
  const took = record.endedAt ? ` in ${((Date.parse(record.endedAt) - Date.parse(record.startedAt)) / 1000).toFixed(1)} s` : '';
  const what = !m ? 'model' : m.action === 'rollback' && m.version === 'bundled' ? 'model rollback to the bundled model' : `model ${m.action} ${m.version}`;
  const lines = [`${statusText}: ${record.deploymentId} ${what} -> ${record.environment}${took}`];
  if (m?.previous) lines.push(`  ${m.action === 'shadow' || m.action === 'unshadow' ? 'live' : 'replacing'}: ${m.previous.version}`);
  else if (m?.action === 'release') lines.push('  replacing: the bundled model');
  if (m?.labels) lines.push(`  trained on ${m.labels.count} moderator labels${m.labels.from ? ` (${m.labels.from} .. ${m.labels.to ?? ''})` : ''}`);
  if (gates) lines.push(modelGateText(gates, color).replace(/^/gm, '  '));
  // The failing metrics are named once, in the canary line; their figures: mod canary report (the hint says so).
  const canary = canaryLine(record.canary, color, modelSides(record));
  if (canary) lines.push(`  ${canary}`);
  if (record.error) {
    lines.push(`  ${c.red('cause:')} ${record.error.message}`);
    if (record.error.hint) lines.push(`  hint: ${record.error.hint}`);
  }
  const restored = restoredLine(record);
  if (restored) lines.push(`  ${restored.ok ? restored.text : c.yellow(restored.text)}`);
  if (record.status === 'Succeeded' && m?.action === 'release') lines.push(`  the released model wins over the model a code bundle ships; mod model rollback --env ${record.environment} goes back in seconds`);
  return lines.join('\n');
}

/** A failed or stopped one: whether the instances reported the pointer put back. */
function restoredLine(record: DeploymentRecord): { text: string; ok: boolean } | undefined {
  const r = record.model?.restored;
  if (!r) return undefined;
  if (!r.asked) return { text: 'pointer put back: the instances cannot be asked; they read it within one MODEL_POLL interval', ok: true };
  if (r.loaded) return { text: 'pointer put back: every instance reports it', ok: true };
  return { text: `pointer put back, but not every instance reports it yet: ${r.pending.join('; ')}`, ok: false };
}
