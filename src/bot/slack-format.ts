// What the bot says in Slack, as mrkdwn text and Block Kit blocks: status,
// gates, history, deploy progress and results, refusals and help. Pure
// functions of the domain's records (no terminal code, no Slack calls).
import type { ChatopsRole } from '../delivery/config.js';
import type { DeploymentRecord } from '../delivery/deployment.js';
import type { GateReport } from '../delivery/gates/run-gates.js';
import type { EnvironmentStatus } from '../delivery/status.js';
import type { CommitInfo } from '../git/git.js';

/** Slack mrkdwn needs &, < and > escaped in text it did not write. */
export function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export const short = (sha: string) => sha.slice(0, 8);

export const HELP = escape(
  [
    '*`/mod` commands*',
    '• `/mod status [env]`: what each environment runs, against its branch',
    '• `/mod deploy <env> [--ref R]`: judge the gates and deploy (production needs an approver when the approval gate asks)',
    '• `/mod gates <env> [--ref R]`: the release gates, without deploying',
    '• `/mod rollback <env> [--to <deploymentId|commit>] [--fast]`: revert and redeploy the previous successful deployment (or the one given)',
    '• `/mod history [env] [--limit N]`: the newest deployments',
    '• `/mod help`: this text',
  ].join('\n'),
);

export function statusText(list: EnvironmentStatus[]): string {
  return list
    .map((s) => {
      const deployed = s.deployed ? `\`${short(s.deployed.commit)}\` ${escape(s.deployed.subject)} (${s.deployed.deploymentId})` : 'nothing deployed yet';
      const pending = s.branchHead.exists ? (s.pending > 0 ? `${s.pending} commit${s.pending === 1 ? '' : 's'} on ${s.branch} not deployed` : `up to date with ${s.branch}`) : `branch ${s.branch} does not exist`;
      const lines = [`*${s.name}*: ${deployed}`, `    ${pending}${s.endpoint ? ` · ${s.endpoint}` : ''}`];
      if (s.inFlight) lines.push(`    :hourglass: deploying \`${short(s.inFlight.commit)}\` (${s.inFlight.deploymentId})${s.inFlight.abandoned ? ', abandoned' : ''}`);
      for (const p of s.problems) lines.push(`    :warning: ${escape(p.message)}${p.hint ? ` (${escape(p.hint)})` : ''}`);
      return lines.join('\n');
    })
    .join('\n');
}

const GATE_ICON = { pass: ':white_check_mark:', fail: ':x:', skipped: ':white_circle:' } as const;

export function gatesText(report: GateReport | undefined, environment: string): string {
  if (!report) return `*${environment}* has no release gates`;
  const head = `*Release gates for ${report.environment}* at \`${short(report.commit)}\`: ${report.passed ? 'passed' : 'refused'}`;
  const lines = report.gates
    .filter((g) => g.status !== 'skipped' || !g.reason.startsWith('not enabled'))
    .map((g) => `${GATE_ICON[g.status]} *${g.name}*: ${escape(g.reason)}${g.status === 'fail' && g.fix ? `\n      _fix:_ ${escape(g.fix)}` : ''}${g.overridden ? ` (overridden by ${escape(g.overridden.by)}: ${escape(g.overridden.reason)})` : ''}`);
  return [head, ...lines].join('\n');
}

export function historyText(records: DeploymentRecord[]): string {
  if (records.length === 0) return 'No deployments yet.';
  return [
    '*Deployments, newest first*',
    ...records.map((r) => `• \`${r.deploymentId}\` *${r.environment}* ${r.status} \`${short(r.revision.commit)}\` ${escape(r.revision.subject ?? '')} by ${escape(r.initiator)} at ${r.startedAt}${r.rollbackOf ? ` (rollback of ${r.rollbackOf})` : ''}`),
  ].join('\n');
}

const STATUS_ICON: Record<string, string> = { Succeeded: ':white_check_mark:', Failed: ':x:', RolledBack: ':leftwards_arrow_with_hook:', Stopped: ':octagonal_sign:', InProgress: ':hourglass:' };

export function resultText(record: DeploymentRecord, endpoint: string | null, verb: 'Deploy' | 'Rollback'): string {
  const lines = [`${STATUS_ICON[record.status] ?? ''} ${verb} \`${record.deploymentId}\` of \`${short(record.revision.commit)}\` to *${record.environment}*: *${record.status}*`];
  if (record.status === 'Succeeded' && endpoint) lines.push(`endpoint: ${endpoint}`);
  if (record.error) lines.push(`${escape(record.error.code)}: ${escape(record.error.message)}`, ...(record.error.hint ? [`_fix:_ ${escape(record.error.hint)}`] : []));
  if (record.canary?.verdict) lines.push(`canary: ${record.canary.verdict.verdict} (score ${record.canary.verdict.score})`);
  return lines.join('\n');
}

export function failureText(what: string, error: { message: string; hint?: string; code?: string }): string {
  return `:x: ${what} failed: ${escape(error.message)}${error.hint ? `\n_fix:_ ${escape(error.hint)}` : ''}`;
}

export function unmappedUserText(user: string): string {
  return `:no_entry: <@${user}> is not set up for \`/mod\`. Ask the platform team to add you under \`chatops.users\` in mod.config.yml, e.g.\n\`\`\`chatops:\n  users:\n    ${user}: { github: your-github-login, roles: [deployer] }\`\`\``;
}

export function missingRoleText(user: string, role: ChatopsRole, action: string): string {
  return `:no_entry: <@${user}> may not ${action}: that needs the \`${role}\` role. Ask the platform team to add it to \`chatops.users.${user}.roles\` in mod.config.yml.`;
}

/** The approval request's text: what ships, who wrote it, whom it waits for (the approvers who may approve it). */
export function approvalRequestText(input: {
  environment: string;
  commit: CommitInfo;
  commits: CommitInfo[];
  pulls: { number: number; title: string; author: string; url: string }[];
  requester: string;
  approvers: string[];
  noneBecause?: string;
  reason: string;
}): string {
  const mentions = input.approvers.length ? input.approvers.map((u) => `<@${u}>`).join(' ') : input.noneBecause ? `_no approver in chatops.users may approve this change (${escape(input.noneBecause)})_` : '_no Slack user has the approver role (chatops.users)_';
  const commits = input.commits.slice(0, 10).map((c) => `• \`${short(c.commit)}\` ${escape(c.subject)} (${escape(c.author)})`);
  if (input.commits.length > 10) commits.push(`• … and ${input.commits.length - 10} more`);
  const pulls = input.pulls.map((p) => `• <${p.url}|#${p.number}> ${escape(p.title)} by ${escape(p.author)}`);
  return [
    `:raised_hand: <@${input.requester}> wants to deploy \`${short(input.commit.commit)}\` to *${input.environment}*. ${mentions}: approve or reject.`,
    `_approval gate:_ ${escape(input.reason)}`,
    ...(pulls.length ? ['*Pull requests*', ...pulls] : []),
    '*Commits*',
    ...(commits.length ? commits : ['• none new']),
  ].join('\n');
}
