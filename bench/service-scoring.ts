// Scoring alone, in this process: CPU microseconds per text for the shipped
// model on the benchmark's eight texts (the service's loadModerator, as the
// route calls it), to set the service's CPU per request against ceiling (a)
// plus what scoring must cost.
import path from 'node:path';
import type { Moderator } from '../src/moderation/moderator.js';
import { dist } from './service-paths.js';
import { itemFor, TEXTS } from './service-texts.js';

export async function loadShippedModerator(): Promise<Moderator> {
  const { loadModerator } = (await import(path.join(dist, 'service', 'moderator.js'))) as typeof import('../src/service/moderator.js');
  return loadModerator();
}

/** CPU µs per text: the median of five passes of `passes` x 8 texts, after a warm-up. */
export function scoringMicroseconds(moderator: Moderator, passes = 250): number {
  const requests = TEXTS.map((_, i) => ({ ...itemFor(i), id: `scoring-${i}` }));
  const pass = () => {
    for (let p = 0; p < passes; p++) for (const r of requests) moderator.moderate(r);
  };
  pass();
  const times: number[] = [];
  for (let k = 0; k < 5; k++) {
    const before = process.cpuUsage();
    pass();
    const used = process.cpuUsage(before);
    times.push((used.user + used.system) / (passes * requests.length));
  }
  times.sort((a, b) => a - b);
  return times[2]!;
}
