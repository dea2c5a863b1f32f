// mod logs on AWS (issue 17.14) at the SDK boundary: the environment's
// CloudWatch Logs group, the last lines of each instance's streams, --instance
// as a stream prefix, --follow polling without repeating an event, and a
// missing group explained.
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema, resolveEnvironment } from '../../../../../src/delivery/config.js';
import type { LogLine } from '../../../../../src/delivery/provider.js';
import { AwsProvider } from '../../../../../src/delivery/providers/aws/aws-provider.js';
import type { Git } from '../../../../../src/git/git.js';

const logs = mockClient(CloudWatchLogsClient);
afterEach(() => logs.reset());

const config = ConfigSchema.parse({ app: 'shop', environments: { production: { branch: 'master', provider: 'aws', aws: { region: 'ap-northeast-1', pollSeconds: 0.05 } } } });
const env = resolveEnvironment(config, 'production');
const t0 = Date.now() - 60_000;
const event = (id: string, stream: string, at: number, message: string) => ({ eventId: id, logStreamName: stream, timestamp: at, message });

function provider() {
  return new AwsProvider({} as Git, { region: 'ap-northeast-1' });
}

describe('logs on AWS', () => {
  it("reads the environment's group, the last lines of each stream in time order, and --instance as a stream prefix", async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('1', 'i-0a/service', t0, 'one\n'), event('2', 'i-0b/service', t0 + 1, 'b one'), event('3', 'i-0a/service', t0 + 2, 'two')], nextToken: 'page2' })
      .resolvesOnce({ events: [event('4', 'i-0a/codedeploy-agent', t0 + 3, 'ValidateService ok'), event('5', 'i-0a/service', t0 + 4, 'three')] });
    const lines: LogLine[] = [];
    const aws = provider();
    await aws.logs(env, { lines: 2, follow: false, signal: new AbortController().signal, onLine: (l) => lines.push(l) });
    expect(lines.map((l) => `${l.source} ${l.line}`)).toEqual(['i-0b/service b one', 'i-0a/service two', 'i-0a/codedeploy-agent ValidateService ok', 'i-0a/service three']);
    const calls = logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(calls[0]).toMatchObject({ logGroupName: '/shop/production', logStreamNamePrefix: undefined });
    expect(calls[1]).toMatchObject({ nextToken: 'page2' });

    logs.reset();
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    await aws.logs(env, { instance: 'i-0b', lines: 10, follow: false, signal: new AbortController().signal, onLine: () => {} });
    expect(logs.commandCalls(FilterLogEventsCommand)[0]!.args[0].input).toMatchObject({ logStreamNamePrefix: 'i-0b' });
    aws.dispose();
  });

  it('--follow prints newer events once each, until aborted', async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('1', 'i-0a/service', t0, 'first')] })
      // CloudWatch's startTime is inclusive: the event at the boundary comes back.
      .resolvesOnce({ events: [event('1', 'i-0a/service', t0, 'first'), event('2', 'i-0a/service', t0 + 5, 'second')] })
      .resolves({ events: [event('2', 'i-0a/service', t0 + 5, 'second')] });
    const controller = new AbortController();
    const lines: string[] = [];
    const aws = provider();
    const following = aws.logs(env, {
      lines: 10,
      follow: true,
      signal: controller.signal,
      onLine: (l) => {
        lines.push(l.line);
      },
    });
    while (logs.commandCalls(FilterLogEventsCommand).length < 4) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await following;
    expect(lines).toEqual(['first', 'second']);
    expect(logs.commandCalls(FilterLogEventsCommand)[1]!.args[0].input.startTime).toBe(t0);
    aws.dispose();
  });

  it('says how the group gets its logs when it does not exist', async () => {
    logs.on(FilterLogEventsCommand).rejects(Object.assign(new Error('The specified log group does not exist.'), { name: 'ResourceNotFoundException' }));
    const aws = provider();
    const error = await aws.logs(env, { lines: 10, follow: false, signal: new AbortController().signal, onLine: () => {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AWS_NOT_FOUND', message: 'the log group /shop/production does not exist', hint: expect.stringContaining('serviceLogGroup') });
    aws.dispose();
  });
});
