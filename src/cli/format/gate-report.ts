// Release gates: the JSON contract and one line per gate (pass / fail / why / how to fix).
import { Chalk } from 'chalk';
import type { GateName } from '../../delivery/config.js';
import type { GateOverride, GateReport } from '../../delivery/gates/run-gates.js';
import { UsageError } from '../../errors.js';

export function overridesFrom(gates: string[], reason: string | undefined): GateOverride[] {
  if (gates.length && !reason?.trim()) throw new UsageError('--override needs --reason "why"', 'an override is recorded (who and why) and notified');
  return gates.map((gate) => ({ gate: gate as GateName, reason: reason ?? '' }));
}

export function gateReportJson(report: GateReport) {
  return {
    schemaVersion: 1 as const,
    environment: report.environment,
    commit: report.commit,
    deployed: report.deployed,
    passed: report.passed,
    gates: report.gates.map((g) => ({ name: g.name, status: g.status, reason: g.reason, fix: g.fix ?? null, overridden: g.overridden ?? null })),
  };
}

export function gateReportText(report: GateReport, color: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const lines = [`release gates for ${report.environment} at ${report.commit.slice(0, 8)} (running ${report.deployed?.slice(0, 8) ?? 'nothing yet'}):`];
  for (const g of report.gates) {
    const mark = g.overridden ? c.yellow('OVERRIDE') : g.status === 'pass' ? c.green('pass    ') : g.status === 'fail' ? c.red('FAIL    ') : c.dim('skipped ');
    lines.push(`  ${mark} ${g.name.padEnd(12)} ${g.reason}`);
    if (g.status === 'fail' && g.fix) lines.push(`           ${''.padEnd(12)} fix: ${g.fix}`);
    if (g.overridden) lines.push(`           ${''.padEnd(12)} overridden by ${g.overridden.by}: ${g.overridden.reason}`);
  }
  lines.push(report.passed ? c.green('all gates pass') : c.red('refused'));
  return lines.join('\n');
}
