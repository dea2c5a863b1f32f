// One Slack message that follows a deploy or rollback: posted when it starts,
// then updated in place (chat.update, at most once a second) with a summary
// of the DeliveryEvents stream (build, batches and instances, the canary),
// and the result posted in its thread at the end. Events after the end are
// dropped: nothing overwrites the final state.
import type { webApi } from '@slack/bolt';
import type { DeliveryEvent } from '../delivery/events.js';
import { escape, short } from './slack-format.js';

const MIN_UPDATE_INTERVAL_MS = 1_000;

export class ProgressMessage {
  private ts: string | undefined;
  private readonly lines: string[] = [];
  private phase = 'starting';
  private lastUpdate = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<unknown> = Promise.resolve();
  private dirty = false;
  private finished = false;

  private constructor(
    private readonly client: webApi.WebClient,
    readonly channel: string,
    private readonly title: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  static async post(client: webApi.WebClient, channel: string, title: string, onError: (error: unknown) => void): Promise<ProgressMessage> {
    const message = new ProgressMessage(client, channel, title, onError);
    const posted = await client.chat.postMessage({ channel, text: message.text() });
    message.ts = posted.ts;
    message.lastUpdate = Date.now();
    return message;
  }

  get threadTs(): string | undefined {
    return this.ts;
  }

  /** Feeds one delivery event; the message is updated when the throttle allows. */
  readonly event = (event: DeliveryEvent): void => {
    if (this.finished) return;
    const line = describe(event);
    if (!line) return;
    if (line.phase) this.phase = line.phase;
    if (line.text) {
      this.lines.push(line.text);
      if (this.lines.length > 8) this.lines.shift();
    }
    this.dirty = true;
    this.schedule();
  };

  /** The last update (the final phase) and the result in the thread. */
  async finish(phase: string, result: string): Promise<void> {
    this.finished = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.phase = phase;
    await this.pending;
    await this.update();
    if (this.ts) await this.client.chat.postMessage({ channel: this.channel, thread_ts: this.ts, text: result }).catch(this.onError);
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastUpdate + MIN_UPDATE_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.pending = this.pending.then(() => this.update());
    }, wait);
  }

  private async update(): Promise<void> {
    if (!this.ts) return;
    this.dirty = false;
    this.lastUpdate = Date.now();
    await this.client.chat.update({ channel: this.channel, ts: this.ts, text: this.text() }).catch(this.onError);
  }

  private text(): string {
    return [`${this.title}: *${this.phase}*`, ...this.lines.map((l) => `> ${l}`)].join('\n');
  }
}

/** What an event changes in the message: the phase in its header, a line under it. */
function describe(event: DeliveryEvent): { phase?: string; text?: string } | undefined {
  switch (event.type) {
    case 'gate':
      return event.status === 'skipped' ? undefined : { phase: 'judging the gates', text: `gate ${event.name}: ${event.status}${event.overridden ? ' (overridden)' : ''}` };
    case 'build.start':
      return { phase: 'building', text: `building \`${short(event.commit)}\`` };
    case 'build.reused':
      return { phase: 'building', text: `reusing the bundle of \`${short(event.commit)}\`` };
    case 'build.phase':
      return event.status === 'start' ? undefined : { text: `build ${event.phase}: ${event.status}` };
    case 'build.done':
      return { phase: 'built', text: `built in ${(event.durationMs / 1000).toFixed(1)} s` };
    case 'deploy.start':
      return { phase: 'rolling out', text: `${event.deploymentId}: ${event.instanceIds.length} instance(s), ${event.rollout}` };
    case 'batch.start':
      return { phase: `rolling out (batch ${event.batch}/${event.of})`, text: `batch ${event.batch}/${event.of}: ${event.instanceIds.join(', ')}` };
    case 'lifecycle':
      return event.status === 'Failed' ? { text: `${event.instanceId} ${event.event} failed${event.message ? `: ${escape(event.message)}` : ''}` } : event.event === 'ValidateService' && event.status === 'Succeeded' ? { text: `${event.instanceId} healthy` } : undefined;
    case 'autorollback.start':
      return { phase: 'rolling back automatically', text: `redeploying \`${short(event.commit)}\`` };
    case 'canary':
      if (event.phase === 'start') return { phase: 'canary', text: `canary at ${event.weight}% for ${event.durationSeconds} s against \`${short(event.baselineCommit)}\`` };
      if (event.phase === 'verdict') return { phase: 'canary verdict', text: `canary verdict: ${event.verdict.verdict} (score ${event.verdict.score}), ${event.outcome}` };
      if (event.phase === 'paused') return { phase: 'canary paused', text: `paused: answer with mod approve --env ${event.environment}` };
      if (event.phase === 'skipped') return { text: `no canary: ${escape(event.reason)}` };
      return undefined;
    case 'notice':
      return event.level === 'warn' ? { text: `:warning: ${escape(event.message)}` } : undefined;
    default:
      return undefined;
  }
}
