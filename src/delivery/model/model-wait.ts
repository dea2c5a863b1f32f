// Waiting for an environment's instances to load what a model pointer names
// (issue 13): where the ModelStore can ask them (local: each /healthz), until
// every one reports it or the timeout passes; where it cannot (AWS), one
// MODEL_POLL interval, the time the instances take to read the pointer.
import { InterruptedError } from '../../errors.js';
import type { ModelPointer, ServiceModelState } from '../../moderation/model-pointer.js';
import type { Environment } from '../config.js';
import type { DeliveryEvents } from '../events.js';
import type { InstanceModel, ModelStore } from './model-store.js';

/** The service's MODEL_POLL_MS default for an `ssm:` source: how long instances that cannot be asked are given. */
export const MODEL_POLL_WAIT_MS = 5000;
/** How often the instances are asked again. */
export const INSTANCE_POLL_MS = 250;
/** How long the instances are given to load a model, unless --timeout says otherwise. */
export const DEFAULT_LOAD_TIMEOUT_MS = 120_000;

export interface WaitOptions {
  /** What is waited for, for messages: `model 2026... as live`. */
  what: string;
  timeoutMs?: number;
  signal: AbortSignal;
  events: DeliveryEvents;
  /** Tests: shorter intervals. */
  pollMs?: number;
  unaskedWaitMs?: number;
}

export type WaitResult = { loaded: true; asked: boolean; instances: InstanceModel[] } | { loaded: false; pending: InstanceModel[]; instances: InstanceModel[] };

/** Resolves once every instance's model state satisfies `loaded`, or with the ones that do not when the timeout passes. */
export async function waitForInstances(store: ModelStore, env: Environment, loaded: (state: ServiceModelState) => boolean, options: WaitOptions): Promise<WaitResult> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS);
  let instances = await store.instanceModels(env);
  if (instances === undefined) {
    const wait = options.unaskedWaitMs ?? MODEL_POLL_WAIT_MS;
    options.events({ type: 'notice', level: 'info', message: `the instances of ${env.name} cannot be asked which model they hold: waiting one MODEL_POLL interval (${wait / 1000} s) for them to read the pointer (${options.what})` });
    await sleep(wait, options.signal);
    return { loaded: true, asked: false, instances: [] };
  }
  if (instances.length === 0) {
    options.events({ type: 'notice', level: 'warn', message: `no instance of ${env.name} runs: the pointer is written, instances read it when they start (${options.what})` });
    return { loaded: true, asked: true, instances };
  }
  options.events({ type: 'notice', level: 'info', message: `waiting for ${instances.length} instance(s) of ${env.name} to load ${options.what}` });
  for (;;) {
    const pending = instances.filter((i) => !i.model || !loaded(i.model));
    if (pending.length === 0) return { loaded: true, asked: true, instances };
    if (Date.now() >= deadline) return { loaded: false, pending, instances };
    await sleep(Math.min(options.pollMs ?? INSTANCE_POLL_MS, Math.max(0, deadline - Date.now())), options.signal);
    instances = (await store.instanceModels(env)) ?? [];
  }
}

/** Whether an instance holds what `pointer` names: its live model, its shadow, no canary (null: the bundled model, nothing else). */
export function holdsPointer(pointer: ModelPointer | null): (state: ServiceModelState) => boolean {
  if (!pointer) return (m) => m.source === 'bundled' && m.canary === null && m.shadow === null;
  return (m) => m.source === 'released' && m.version === pointer.live.version && m.canary === null && m.shadow === (pointer.shadow?.version ?? null);
}

/** `pointer` as the instances are told it: `model X as live` (no canary), or their bundled model. */
export function describePointer(pointer: ModelPointer | null): string {
  return pointer ? `model ${pointer.live.version} as live, no canary${pointer.shadow ? `, shadow ${pointer.shadow.version}` : ''}` : 'their bundled model (no released model)';
}

/** Why the instances in `pending` did not load it: their own words (ServiceModelState.error), or that they did not answer. */
export function describePending(pending: InstanceModel[]): string {
  return pendingList(pending).join('; ');
}

/** describePending, one entry an instance. */
export function pendingList(pending: InstanceModel[]): string[] {
  return pending.map((i) => {
    if (!i.model) return `${i.instanceId} did not answer`;
    const error = i.model.error ? `: ${i.model.error.message} (pointer ${i.model.error.releaseId}, ${i.model.error.at})` : '';
    const canary = i.model.canary ? `, canary ${i.model.canary.version}` : '';
    return `${i.instanceId} still holds ${i.model.version} (${i.model.source}${canary})${error}`;
  });
}

/** Waits `ms`, or throws InterruptedError as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new InterruptedError());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
