// The Bolt Receiver the bot's Fastify route feeds (Bolt's own receivers run
// their own HTTP servers; this one shares the bot's). Each verified Slack
// request becomes one app.processEvent call; the HTTP answer is whatever the
// listener acks with, sent as soon as it acks (work goes on after), or an
// empty 200 if nothing acks within Slack's 3 seconds.
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';

/** What the route answers Slack with. */
export interface AckAnswer {
  status: number;
  body: string;
  contentType: string;
}

/** Slack gives up on an answer after 3 s; answer a little before. */
const ACK_DEADLINE_MS = 2_500;

export class FastifyReceiver implements Receiver {
  private app: App | undefined;
  /** Listeners still working after their ack (a deploy runs for minutes). */
  private readonly running = new Set<Promise<void>>();

  init(app: App): void {
    this.app = app;
  }

  // The Fastify server listens and closes; Bolt's start/stop have nothing to do.
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** Resolves when every listener started so far has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Hands one parsed Slack payload to Bolt and resolves with the ack's answer. */
  dispatch(body: Record<string, unknown>, retry: { retryNum?: number; retryReason?: string }, onError: (error: unknown) => void): Promise<AckAnswer> {
    const app = this.app;
    if (!app) throw new Error('the Slack app is not initialised');
    return new Promise<AckAnswer>((resolve) => {
      let answered = false;
      const answer = (value: AckAnswer) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => answer({ status: 200, body: '', contentType: 'text/plain' }), ACK_DEADLINE_MS);
      const event: ReceiverEvent = {
        body,
        retryNum: retry.retryNum,
        retryReason: retry.retryReason,
        ack: async (response?: unknown) => {
          if (response === undefined || response === '') answer({ status: 200, body: '', contentType: 'text/plain' });
          else if (typeof response === 'string') answer({ status: 200, body: response, contentType: 'text/plain; charset=utf-8' });
          else answer({ status: 200, body: JSON.stringify(response), contentType: 'application/json; charset=utf-8' });
        },
      };
      const run = app
        .processEvent(event)
        // No listener acked (an event the bot does not handle): answer now, not at the deadline.
        .then(() => answer({ status: 200, body: '', contentType: 'text/plain' }))
        .catch((error: unknown) => {
          onError(error);
          answer({ status: 500, body: '', contentType: 'text/plain' });
        })
        .finally(() => this.running.delete(run));
      this.running.add(run);
    });
  }
}
