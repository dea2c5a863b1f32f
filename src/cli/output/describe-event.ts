// Turns delivery events into one-line text, shared by the tty and plain
// renderers. Returns undefined for events not worth a line.
import type { DeliveryEvent } from '../../delivery/events.js';

export function describeEvent(event: DeliveryEvent): { text: string; level: 'info' | 'warn' | 'error' | 'debug' } | undefined {
  switch (event.type) {
    case 'notice':
      return { text: event.message, level: event.level };
    case 'git':
      return { text: event.message, level: 'info' };
    case 'build.start':
      return { text: `build ${short(event.commit)}: running buildspec.yml${event.logFile ? ` (log: ${event.logFile})` : ''}`, level: 'info' };
    case 'build.command':
      return { text: `build phase ${event.phase}: ${oneLine(event.command)}`, level: 'debug' };
    case 'build.package':
      if (event.status === 'start') return { text: 'packaging the revision bundle (artifacts)', level: 'debug' };
      return { text: `revision bundle ${event.status === 'succeeded' ? 'packaged' : 'packaging failed'}${ms(event.durationMs)}`, level: event.status === 'failed' ? 'error' : 'info' };
    case 'hook.output':
      return { text: `  | ${event.instanceId} ${event.event}: ${event.line}`, level: 'debug' };
    case 'build.reused':
      return { text: `build ${short(event.commit)}: reusing the bundle already built for this tree`, level: 'info' };
    case 'build.phase':
      if (event.status === 'start') return { text: `build phase ${event.phase}`, level: 'debug' };
      return { text: `build phase ${event.phase} ${event.status}${ms(event.durationMs)}`, level: event.status === 'failed' ? 'error' : 'info' };
    case 'build.output':
      return { text: `  | ${event.line}`, level: 'debug' };
    case 'build.done':
      return { text: `build ${short(event.commit)} done${ms(event.durationMs)}`, level: 'info' };
    case 'deploy.start':
      return {
        text: `deployment ${event.deploymentId}: ${short(event.commit)} to ${event.environment} (${event.instanceIds.length} instance(s), ${event.rollout})`,
        level: 'info',
      };
    case 'batch.start':
      return { text: `batch ${event.batch}/${event.of}: ${event.instanceIds.join(', ')}`, level: 'info' };
    case 'lifecycle':
      if (event.status === 'InProgress') return { text: `${event.instanceId} ${event.event}`, level: 'debug' };
      if (event.status === 'Skipped') return undefined;
      return {
        text: `${event.instanceId} ${event.event} ${event.status.toLowerCase()}${ms(event.durationMs)}${event.message ? `: ${event.message}` : ''}`,
        level: event.status === 'Failed' ? 'error' : 'info',
      };
    case 'autorollback.start':
      return { text: `auto-rollback: redeploying ${short(event.commit)} to ${event.instanceIds.join(', ')}`, level: 'warn' };
    case 'deploy.done':
      return undefined;
    case 'canary':
      return describeCanary(event);
    case 'gate': {
      if (event.status === 'skipped') return { text: `gate ${event.name}: skipped (${event.reason})`, level: 'debug' };
      if (event.overridden) return { text: `gate ${event.name}: OVERRIDDEN by ${event.overridden.by} (${event.overridden.reason}); it failed: ${event.reason}`, level: 'warn' };
      if (event.status === 'pass') return { text: `gate ${event.name}: pass (${event.reason})`, level: 'info' };
      return { text: `gate ${event.name}: FAIL: ${event.reason}${event.fix ? `; fix: ${event.fix}` : ''}`, level: 'error' };
    }
  }
}

type CanaryEvent = Extract<DeliveryEvent, { type: 'canary' }>;

/** The canary's progress (issue 12): who takes which share, the verdict with what failed, a pause and its answer. */
function describeCanary(event: CanaryEvent): { text: string; level: 'info' | 'warn' | 'error' | 'debug' } {
  switch (event.phase) {
    case 'start':
      return {
        text: `canary: ${event.canaryInstances.join(', ')} (new revision) and baseline ${event.baselineInstances.join(', ')} (${short(event.baselineCommit)}) each take ${event.weight}% of the traffic for ${event.durationSeconds} s`,
        level: 'info',
      };
    case 'sampling':
      return { text: `canary: sampling requests for ${event.durationSeconds} s`, level: 'info' };
    case 'verdict': {
      const v = event.verdict;
      if (event.model) return describeModelVerdict(event, event.model);
      const failing = v.metrics.filter((m) => m.verdict === 'fail');
      const failed = failing.length ? `; failed: ${failing.map((m) => `${m.name} (${m.reason})`).join('; ')}` : '';
      const outcome = { continued: 'the rollout continues', 'rolled-back': 'the canary is removed, the fleet keeps its revision', paused: 'paused', approved: 'approved', rejected: 'rejected, the fleet keeps its revision' }[event.outcome];
      return {
        text: `canary ${v.verdict} (score ${v.score}/100, ${event.samples.canary} canary vs ${event.samples.baseline} baseline requests): ${v.reason}${failed}; ${outcome}`,
        level: v.verdict === 'Pass' ? 'info' : v.verdict === 'Marginal' ? 'warn' : 'error',
      };
    }
    case 'paused':
      return { text: `canary paused on a Marginal verdict: mod approve --env ${event.environment} continues ${event.deploymentId}, --reject rolls it back`, level: 'warn' };
    case 'answered':
      return { text: `canary ${event.approved ? 'approved' : 'rejected'}${event.summary ? `: ${event.summary}` : ''}`, level: event.approved ? 'info' : 'warn' };
    case 'skipped':
      return { text: `canary skipped: ${event.reason}`, level: 'info' };
  }
}

/** Issue 13: a model canary's verdict in models and posts, each failing metric named once (its figures: mod canary report). */
function describeModelVerdict(event: Extract<CanaryEvent, { phase: 'verdict' }>, model: { candidate: string; live: string }): { text: string; level: 'info' | 'warn' | 'error' } {
  const v = event.verdict;
  const failing = v.metrics.filter((m) => m.verdict === 'fail').map((m) => m.name);
  const why = failing.length ? `${failing.join(', ')} failed` : v.reason;
  const outcome = event.outcome === 'continued' ? `model ${model.candidate} goes live` : `the candidate model ${model.candidate} is removed; model ${model.live} keeps deciding`;
  return {
    text: `model canary ${v.verdict} (score ${v.score}/100, ${event.samples.canary} posts by ${model.candidate} vs ${event.samples.baseline} by ${model.live}): ${why}; ${outcome}`,
    level: v.verdict === 'Pass' ? 'info' : v.verdict === 'Marginal' ? 'warn' : 'error',
  };
}

/** A command as one line, cut where it would not fit a status line. */
function oneLine(command: string, max = 100): string {
  const line = command.replace(/\s*\n\s*/g, ' ⏎ ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function short(commit: string | undefined): string {
  return commit ? commit.slice(0, 8) : '-';
}

function ms(durationMs: number | undefined): string {
  if (durationMs === undefined) return '';
  return durationMs < 1000 ? ` (${durationMs} ms)` : ` (${(durationMs / 1000).toFixed(1)} s)`;
}
