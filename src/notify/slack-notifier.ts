// Notifier over a Slack incoming webhook. A webhook that fails is a warning
// (through onError) and never fails a deploy.
import { IncomingWebhook } from '@slack/webhook';
import type { CanaryNotice, DeliveryNotification, Notifier } from '../delivery/notifier.js';

const ICON: Record<DeliveryNotification['kind'], string> = {
  'deploy.started': ':rocket:',
  'deploy.succeeded': ':white_check_mark:',
  'deploy.failed': ':x:',
  rollback: ':rewind:',
  'gate.refused': ':no_entry:',
  'gate.overridden': ':warning:',
  'model.started': ':brain:',
  'model.released': ':white_check_mark:',
  'model.failed': ':x:',
  'model.rolledback': ':rewind:',
  'model.shadow': ':busts_in_silhouette:',
};

const TITLE: Record<DeliveryNotification['kind'], string> = {
  'deploy.started': 'Deploy started',
  'deploy.succeeded': 'Deploy succeeded',
  'deploy.failed': 'Deploy failed',
  rollback: 'Rollback',
  'gate.refused': 'Release gates refused the deploy',
  'gate.overridden': 'Release gate overridden',
  'model.started': 'Model release started',
  'model.released': 'Model released',
  'model.failed': 'Model release failed',
  'model.rolledback': 'Model rolled back',
  'model.shadow': 'Shadow model changed',
};

export function slackText(n: DeliveryNotification): string {
  const lines = [`${ICON[n.kind]} *${TITLE[n.kind]}* — ${n.environment}`];
  if (n.model) lines.push(`model \`${n.model}\``);
  else lines.push(`commit \`${n.commit.slice(0, 8)}\`${n.subject ? ` ${n.subject}` : ''}${n.author ? ` (${n.author})` : ''}`);
  const facts = [`by ${n.initiator}`, n.status ? `status ${n.status}` : undefined, n.durationMs !== undefined ? `took ${(n.durationMs / 1000).toFixed(1)} s` : undefined, n.deploymentId ? `deployment ${n.deploymentId}` : undefined].filter(Boolean);
  lines.push(facts.join(' · '));
  if (n.detail) lines.push(n.detail);
  const canary = canaryText(n.canary, n.deploymentId);
  if (canary) lines.push(...canary);
  return lines.join('\n');
}

/** How many failing metrics a message names, and how long each reason may be: a notification, not the report. */
const CANARY_METRICS_SHOWN = 3;
const CANARY_REASON_CHARS = 160;

/** The canary's verdict and score, then the failing metrics' reasons (the first few, each cut short). */
function canaryText(canary: CanaryNotice | undefined, deploymentId: string | undefined): string[] | undefined {
  if (!canary) return undefined;
  if (!canary.verdict) return [`canary ${canary.status.toLowerCase()}${canary.note ? `: ${canary.note}` : ''}`];
  const lines = [`canary *${canary.verdict}* (score ${Math.round(canary.score ?? 0)}/100)${canary.outcome === 'paused' ? ' — waiting for `mod approve`' : ''}`];
  for (const m of canary.failing.slice(0, CANARY_METRICS_SHOWN)) lines.push(`• \`${m.name}\`${m.critical ? ' (critical)' : ''}: ${cut(m.reason, CANARY_REASON_CHARS)}`);
  const more = canary.failing.length - CANARY_METRICS_SHOWN;
  if (more > 0) lines.push(`• and ${more} more failing metric(s): \`mod canary report${deploymentId ? ` ${deploymentId}` : ''}\``);
  return lines;
}

function cut(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export class SlackNotifier implements Notifier {
  private readonly webhook: IncomingWebhook;

  constructor(
    url: string,
    private readonly onError: (message: string) => void,
  ) {
    this.webhook = new IncomingWebhook(url, { timeout: 5000 });
  }

  async notify(notification: DeliveryNotification): Promise<void> {
    try {
      await this.webhook.send({ text: slackText(notification) });
    } catch (error) {
      this.onError(`Slack notification (${notification.kind}) failed: ${(error as Error).message}`);
    }
  }
}
