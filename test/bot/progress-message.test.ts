// The progress message of a Slack deploy: posted once, updated in place
// (throttled: a burst of events is one update, not one per event), the last
// state and the result in its thread at the end. Real WebClient, loopback
// Slack stand-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webApi } from '@slack/bolt';
import { ProgressMessage } from '../../src/bot/progress-message.js';
import { SlackStandIn } from '../support/slack-stand-in.js';

const slack = new SlackStandIn();
beforeAll(() => slack.start());
afterAll(() => slack.stop());

describe('ProgressMessage', () => {
  it('turns a burst of delivery events into few in-place updates and posts the result in the thread', async () => {
    const client = new webApi.WebClient(slack.token, { slackApiUrl: slack.url });
    const errors: unknown[] = [];
    const progress = await ProgressMessage.post(client, 'C0DEPLOYS', 'deploying', (e) => errors.push(e));
    progress.event({ type: 'build.start', commit: 'a'.repeat(40) });
    for (let i = 1; i <= 100; i++) progress.event({ type: 'batch.start', batch: i, of: 100, instanceIds: [`i-${i}`] });
    progress.event({ type: 'canary', phase: 'skipped', reason: 'first deploy: nothing to compare with' });
    await progress.finish('Succeeded', 'done: d-1');

    const [posted] = slack.of('chat.postMessage');
    expect(posted!.args.channel).toBe('C0DEPLOYS');
    const updates = slack.of('chat.update').filter((c) => c.ts === posted!.ts);
    // 102 events: at most one throttled update and the final one.
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.length).toBeLessThanOrEqual(2);
    const last = String(updates.at(-1)!.args.text);
    expect(last).toContain('deploying: *Succeeded*');
    expect(last).toContain('batch 100/100: i-100');
    expect(last).toContain('no canary: first deploy: nothing to compare with');
    expect(last).not.toContain('batch 1/100:');
    expect(slack.of('chat.postMessage').find((c) => c.args.thread_ts === posted!.ts)?.args.text).toBe('done: d-1');
    expect(errors).toEqual([]);
  });

  it('drops events that come after the end: the final state is never overwritten', async () => {
    const client = new webApi.WebClient(slack.token, { slackApiUrl: slack.url });
    const progress = await ProgressMessage.post(client, 'C0LATE', 'rolling back', () => {});
    progress.event({ type: 'build.start', commit: 'b'.repeat(40) });
    await progress.finish('Succeeded', 'done: d-2');
    const ts = progress.threadTs;
    const updates = () => slack.of('chat.update').filter((c) => c.ts === ts);
    const final = updates().length;
    // A late event (e.g. a lifecycle line flushed after the outcome).
    progress.event({ type: 'autorollback.start', deploymentId: 'd-3', commit: 'c'.repeat(40), instanceIds: ['i-1'] });
    // Past the throttle's interval, a scheduled update would have been sent; a marker message orders the check after it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await client.chat.postMessage({ channel: 'C0LATE', text: 'marker' });
    expect(updates().length).toBe(final);
    expect(String(updates().at(-1)!.args.text)).toContain('rolling back: *Succeeded*');
  });
});
