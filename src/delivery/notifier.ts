// What delivery tells the team (Slack, or nothing): deploy start, success,
// failure, rollback, a gate refusal and an override. Declared here, by the
// code that sends them; src/notify/slack-notifier.ts implements it.

export interface DeliveryNotification {
  kind: 'deploy.started' | 'deploy.succeeded' | 'deploy.failed' | 'rollback' | 'gate.refused' | 'gate.overridden';
  environment: string;
  commit: string;
  subject?: string;
  author?: string;
  initiator: string;
  status?: string;
  durationMs?: number;
  deploymentId?: string;
  detail?: string;
}

export interface Notifier {
  /** Never throws: a notification that cannot be sent is reported and the deploy goes on. */
  notify(notification: DeliveryNotification): Promise<void>;
}

export const silentNotifier: Notifier = { notify: async () => {} };
