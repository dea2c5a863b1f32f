// The recording output port of the delivery domain, after aws-cdk-cli
// toolkit-lib's TestIoHost: it collects every DeliveryEvent the domain emits
// (a snapshot, since records are updated after they are announced) so tests
// assert on what happened, never on how a renderer words it.
import type { DeliveryEvent, DeliveryEvents } from '../../src/delivery/events.js';

export type DeliveryEventOf<T extends DeliveryEvent['type']> = Extract<DeliveryEvent, { type: T }>;

export class FakeDeliveryEvents {
  readonly recorded: DeliveryEvent[] = [];
  private readonly listeners: ((event: DeliveryEvent) => void)[] = [];

  /** The DeliveryEvents function to hand to the domain. */
  readonly emit: DeliveryEvents = (event) => {
    this.recorded.push(structuredClone(event));
    for (const listener of this.listeners) listener(event);
  };

  /** Calls `listener` on each later event (e.g. to interrupt a deployment once it starts). */
  onEvent(listener: (event: DeliveryEvent) => void): void {
    this.listeners.push(listener);
  }

  ofType<T extends DeliveryEvent['type']>(type: T): DeliveryEventOf<T>[] {
    return this.recorded.filter((event): event is DeliveryEventOf<T> => event.type === type);
  }

  types(): DeliveryEvent['type'][] {
    return this.recorded.map((event) => event.type);
  }

  notices(level?: 'info' | 'warn'): DeliveryEventOf<'notice'>[] {
    return this.ofType('notice').filter((notice) => level === undefined || notice.level === level);
  }
}
