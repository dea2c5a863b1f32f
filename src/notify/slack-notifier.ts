// Notifier over a Slack incoming webhook. A webhook that fails is a warning
// (through onError) and never fails a deploy.
import { IncomingWebhook } from '@slack/webhook';
import type { DeliveryNotification, Notifier } from '../delivery/notifier.js';

const ICON: Record<DeliveryNotification['kind'], string> = {
  'deploy.started': ':rocket:',
  'deploy.succeeded': ':white_check_mark:',
  'deploy.failed': ':x:',
  rollback: ':rewind:',
  'gate.refused': ':no_entry:',
  'gate.overridden': ':warning:',
};

const TITLE: Record<DeliveryNotification['kind'], string> = {
  'deploy.started': 'Deploy started',
  'deploy.succeeded': 'Deploy succeeded',
  'deploy.failed': 'Deploy failed',
  rollback: 'Rollback',
  'gate.refused': 'Release gates refused the deploy',
  'gate.overridden': 'Release gate overridden',
};

export function slackText(n: DeliveryNotification): string {
  const lines = [`${ICON[n.kind]} *${TITLE[n.kind]}* — ${n.environment}`];
  lines.push(`commit \`${n.commit.slice(0, 8)}\`${n.subject ? ` ${n.subject}` : ''}${n.author ? ` (${n.author})` : ''}`);
  const facts = [`by ${n.initiator}`, n.status ? `status ${n.status}` : undefined, n.durationMs !== undefined ? `took ${(n.durationMs / 1000).toFixed(1)} s` : undefined, n.deploymentId ? `deployment ${n.deploymentId}` : undefined].filter(Boolean);
  lines.push(facts.join(' · '));
  if (n.detail) lines.push(n.detail);
  return lines.join('\n');
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
