// What a service process tells the dashboard about itself (issue 15): one
// row in service_events (migration 0006) when it starts and each time its
// model set is swapped, naming the instance, the revision it runs and the
// live model. One INSERT per start or swap, never per request. A row that
// cannot be written (the database down, migration 0006 not applied yet)
// never stops the service: a warning is logged and the timeline misses it.
import { hostname } from 'node:os';
import type { ServiceEvent } from '../moderation/dashboard-stats.js';

/** What the recorder needs from the database (PostgresStore implements it). */
export interface ServiceEventSink {
  recordServiceEvent(event: ServiceEvent & { releaseId?: string | null }): Promise<void>;
}

export interface ServiceEventRecorderOptions {
  store: ServiceEventSink;
  /** The live model now, and the release it came from (LiveModels). */
  model: () => { version: string; releaseId: string | null };
  revision: string | null;
  instance: string;
  clock?: () => Date;
  log: { warn(details: object, message: string): void };
}

/** MOD_INSTANCE_ID when set (the local provider sets it), else <hostname>:<port>. */
export function instanceName(configured: string | undefined, port: number): string {
  return configured ?? `${hostname()}:${port}`;
}

export type ServiceEventRecorder = (event: ServiceEvent['event']) => Promise<void>;

export function createServiceEventRecorder(options: ServiceEventRecorderOptions): ServiceEventRecorder {
  const clock = options.clock ?? (() => new Date());
  return async (event) => {
    const model = options.model();
    try {
      await options.store.recordServiceEvent({ at: clock(), instance: options.instance, revision: options.revision, model: model.version, releaseId: model.releaseId, event });
    } catch (error) {
      options.log.warn({ err: { message: (error as Error).message }, event, instance: options.instance }, 'service event not recorded (the dashboard timeline misses it)');
    }
  };
}
