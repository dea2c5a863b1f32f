// `mod logs` on AWS: the environment's CloudWatch Logs group, where each
// instance's CloudWatch agent ships the service's log and the CodeDeploy
// agent's (streams named after the instance id: i-0abc/service,
// i-0abc/codedeploy-agent). The last lines of each stream within the last
// hour first; with --follow, newer events as they arrive, polled.
import { setTimeout as sleep } from 'node:timers/promises';
import { FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { ModError } from '../../../errors.js';
import type { LogRequest } from '../../provider.js';
import type { AwsContext } from './aws-context.js';

const LOOKBACK_MS = 60 * 60 * 1000;
const MAX_PAGES = 20;

export async function logsOnAws(ctx: AwsContext, request: LogRequest, pollMs: number): Promise<void> {
  const group = ctx.names.serviceLogGroup;
  const now = Date.now();
  const first = await fetchSince(ctx, group, request.instance, now - LOOKBACK_MS);
  // The last `lines` of each stream, then everything in time order.
  const byStream = new Map<string, FilteredLogEvent[]>();
  for (const event of first) byStream.set(event.logStreamName ?? '-', [...(byStream.get(event.logStreamName ?? '-') ?? []), event]);
  const shown = [...byStream.values()].flatMap((events) => events.slice(-request.lines)).sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
  for (const event of shown) emit(request, event);
  if (!request.follow) return;

  // Events at the newest timestamp seen are asked for again (CloudWatch's bound is inclusive): drop those already shown.
  let since = Math.max(now - LOOKBACK_MS, ...first.map((e) => e.timestamp ?? 0));
  let seen = new Set(first.filter((e) => e.timestamp === since).map((e) => e.eventId));
  while (!request.signal.aborted) {
    await sleep(pollMs, undefined, { signal: request.signal }).catch(() => {}); // aborted: the loop ends
    if (request.signal.aborted) break;
    const events = (await fetchSince(ctx, group, request.instance, since)).filter((e) => !seen.has(e.eventId));
    for (const event of events) emit(request, event);
    if (events.length) {
      since = Math.max(since, ...events.map((e) => e.timestamp ?? 0));
      seen = new Set([...seen, ...events.filter((e) => e.timestamp === since).map((e) => e.eventId)]);
    }
  }
}

async function fetchSince(ctx: AwsContext, group: string, instance: string | undefined, startTime: number): Promise<FilteredLogEvent[]> {
  const events: FilteredLogEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await ctx.clients.call(ctx.clients.logs, new FilterLogEventsCommand({ logGroupName: group, logStreamNamePrefix: instance, startTime, nextToken }), `log group ${group}`).catch((error: unknown) => {
      if ((error as ModError).code !== 'AWS_NOT_FOUND') throw error;
      throw new ModError('AWS_NOT_FOUND', `the log group ${group} does not exist`, {
        hint: "the instances' CloudWatch agent must ship /var/log/<app>/*.log and the CodeDeploy agent's log there, streams named {instance_id}/<file>; or set environments.<env>.aws.serviceLogGroup",
        exitCode: (error as ModError).exitCode,
        cause: error,
      });
    });
    events.push(...(result.events ?? []));
    nextToken = result.nextToken;
    if (!nextToken) break;
  }
  return events;
}

function emit(request: LogRequest, event: FilteredLogEvent): void {
  for (const line of (event.message ?? '').replace(/\n$/, '').split('\n')) {
    request.onLine({ source: event.logStreamName ?? '-', line, at: event.timestamp ? new Date(event.timestamp).toISOString() : undefined });
  }
}
