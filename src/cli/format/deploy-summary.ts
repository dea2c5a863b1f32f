// The lines shown before production's confirmation prompt: the commit, the
// change since what runs now, and each release gate's verdict.
import type { DeploySummary } from '../../delivery/deploy.js';

const MAX_LISTED = 10;

export function describeDeploySummary(summary: DeploySummary): string[] {
  const { commit } = summary;
  const lines = [`${summary.environment}: ${commit.commit.slice(0, 8)} "${truncate(commit.subject, 72)}" by ${commit.author}`];
  const since = summary.deployed ? `since ${summary.deployed.slice(0, 8)} (running now)` : 'first deploy (nothing recorded as running): the latest commits';
  lines.push(`  ${summary.commits.length} commit(s) ${since}`);
  for (const c of summary.commits.slice(0, MAX_LISTED)) lines.push(`    ${c.commit.slice(0, 8)} ${truncate(c.subject, 72)}`);
  if (summary.commits.length > MAX_LISTED) lines.push(`    … and ${summary.commits.length - MAX_LISTED} more`);
  if (!summary.gates) lines.push('  gates: none configured');
  else {
    const verdicts = summary.gates.gates.filter((g) => g.status !== 'skipped').map((g) => `${g.name} ${g.overridden ? 'OVERRIDDEN' : g.status}`);
    lines.push(`  gates: ${verdicts.join(', ') || 'none enabled'}`);
  }
  return lines;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
