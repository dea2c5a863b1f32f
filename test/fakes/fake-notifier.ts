// The Notifier port in memory: every notification the domain sends, in order.
import type { DeliveryNotification, Notifier } from '../../src/delivery/notifier.js';

export class FakeNotifier implements Notifier {
  readonly sent: DeliveryNotification[] = [];

  async notify(notification: DeliveryNotification): Promise<void> {
    this.sent.push(structuredClone(notification));
  }

  kinds(): DeliveryNotification['kind'][] {
    return this.sent.map((n) => n.kind);
  }

  ofKind(kind: DeliveryNotification['kind']): DeliveryNotification[] {
    return this.sent.filter((n) => n.kind === kind);
  }
}
