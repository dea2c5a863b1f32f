// `mod moderate --endpoint <url>`: sends posts to a running service (`mod
// serve`, a deployed env's endpoint) instead of scoring them here, so they
// are stored and the ones decided `review` wait in the review queue. The
// posts go to POST /v1/moderate/batch in chunks of BATCH_ITEMS (the service's
// MAX_BATCH_ITEMS), a few chunks in flight over fetch's keep-alive
// connections; the results come back in file order.
//
// A batch is stored whole or not at all, so on the first failure no further
// chunk is sent, the chunks in flight are awaited, and the error says how
// many posts were stored before it and from which line nothing was: the
// caller never prints a partial summary. A 503 (database briefly away,
// nothing stored) is retried after its Retry-After, a few times.
import { setTimeout as sleep } from 'node:timers/promises';
import { ModError } from '../../errors.js';
import type { PostLine } from './moderate-posts-file.js';

/** The service's MAX_BATCH_ITEMS (src/service/routes/moderate.ts; a unit test keeps them equal). */
export const BATCH_ITEMS = 100;
/** Chunks in flight at once: enough to keep the service busy, few enough to leave it room for others. */
export const IN_FLIGHT = 4;
const RETRIES_503 = 3;
const MAX_RETRY_WAIT_MS = 10_000;

export interface EndpointResult {
  id: string;
  decision?: 'approve' | 'review' | 'reject';
  category?: string | null;
  score?: number;
  error?: { code: string; message: string };
  [key: string]: unknown;
}

export interface EndpointRun {
  endpoint: string;
  sent: number;
  batches: number;
  counts: { approve: number; review: number; reject: number; conflict: number };
  results: EndpointResult[];
}

/** The service's base URL: http(s) only; a trailing slash and any path are kept as the base. */
export function parseEndpoint(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ModError('USAGE', `--endpoint: ${JSON.stringify(value)} is not a URL`, { hint: 'e.g. --endpoint http://127.0.0.1:8080 (mod serve) or the endpoint mod status prints' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ModError('USAGE', `--endpoint: ${JSON.stringify(value)} is not an http:// or https:// URL`, { hint: 'e.g. --endpoint http://127.0.0.1:8080' });
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function lineRange(chunk: readonly PostLine[]): string {
  const first = chunk[0]!.line;
  const last = chunk[chunk.length - 1]!.line;
  return first === last ? `line ${first}` : `lines ${first}-${last}`;
}

/** "items.3.text: ..." in a batch's 400 names an item; say which line of the file it is. */
function withLine(message: string, chunk: readonly PostLine[], file: string): string {
  return message.replace(/^(?:body\/)?(items[./](\d+)(?:[./][^:\s]*)?):/, (whole, path: string, index: string) => {
    const post = chunk[Number(index)];
    return post ? `${file} line ${post.line} (${path}):` : whole;
  });
}

/** How the service is named in answers and messages: its URL without the trailing slash. */
export function endpointName(base: URL): string {
  return base.href.replace(/\/$/, '');
}

async function sendChunk(base: URL, chunk: readonly PostLine[], file: string): Promise<EndpointResult[]> {
  const url = new URL('v1/moderate/batch', base);
  const body = JSON.stringify({ items: chunk.map((p) => p.request) });
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    } catch (error) {
      throw new ModError('SERVICE_UNREACHABLE', `cannot reach the service at ${endpointName(base)} (${networkReason(error)})`, {
        hint: "is it running? Start it with `mod serve` in another terminal, or give a deployed env's endpoint (`mod status` prints it)",
      });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok) {
      const results = (json as { results?: unknown } | undefined)?.results;
      if (!Array.isArray(results) || results.length !== chunk.length)
        throw new ModError('SERVICE_ERROR', `${url.href} answered ${response.status} but not the moderation service's { "results": [...] } for ${chunk.length} posts`, { hint: 'is --endpoint the moderation service?' });
      return results as EndpointResult[];
    }
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (response.status === 503 && attempt < RETRIES_503) {
      const seconds = Number(response.headers.get('retry-after'));
      await sleep(Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000, MAX_RETRY_WAIT_MS));
      continue;
    }
    const what = error?.code ? `${response.status} ${error.code}: ${withLine(error.message ?? '', chunk, file)}` : `${response.status} ${response.statusText} (not the moderation service's error shape: is --endpoint the service?)`;
    throw new ModError('SERVICE_ERROR', `the service refused the posts of ${file} ${lineRange(chunk)}: ${what}`);
  }
}

/** The lines of the chunks answered (or not), consecutive chunks merged: "lines 13-212, 413-586". */
function ranges(chunks: readonly PostLine[][], answers: readonly unknown[], answered: boolean): string {
  const spans: [number, number][] = [];
  let extending = false;
  chunks.forEach((chunk, i) => {
    const matches = (answers[i] !== undefined) === answered;
    if (matches && extending) spans.at(-1)![1] = chunk.at(-1)!.line;
    else if (matches) spans.push([chunk[0]!.line, chunk.at(-1)!.line]);
    extending = matches;
  });
  const text = spans.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ');
  return spans.length === 1 && spans[0]![0] === spans[0]![1] ? `line ${text}` : `lines ${text}`;
}

/** Sends every post, BATCH_ITEMS a request, IN_FLIGHT requests at once; throws a ModError naming what was stored. */
export async function moderateAtEndpoint(base: URL, posts: readonly PostLine[], file: string): Promise<EndpointRun> {
  const chunks: PostLine[][] = [];
  for (let i = 0; i < posts.length; i += BATCH_ITEMS) chunks.push(posts.slice(i, i + BATCH_ITEMS));
  const answers: (EndpointResult[] | undefined)[] = new Array(chunks.length);
  let failure: ModError | undefined;
  let next = 0;
  const worker = async () => {
    while (failure === undefined && next < chunks.length) {
      const index = next++;
      try {
        answers[index] = await sendChunk(base, chunks[index]!, file);
      } catch (error) {
        // The first failure is the one reported; chunks already sent are awaited (they may be stored), none is started.
        if (failure === undefined) failure = error instanceof ModError ? error : new ModError('SERVICE_ERROR', (error as Error).message, { cause: error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, chunks.length) }, worker));
  if (failure) {
    const stored = answers.reduce((n, a) => n + (a?.length ?? 0), 0);
    const where = stored === 0 ? 'nothing was stored' : `${stored} of ${posts.length} posts were stored before it (${file} ${ranges(chunks, answers, true)}), the others not (${ranges(chunks, answers, false)})`;
    const again = stored === 0 ? 'then run the command again' : 'sending the file again stores the posts without an "id" twice; those with one are answered their first decision';
    throw new ModError(failure.code, `${failure.message}; ${where}`, { hint: failure.hint ? `${failure.hint}; ${again}` : again });
  }
  const results = answers.flatMap((a) => a!);
  const counts = { approve: 0, review: 0, reject: 0, conflict: 0 };
  for (const r of results) {
    if (r.error) counts.conflict++;
    else if (r.decision) counts[r.decision]++;
  }
  return { endpoint: endpointName(base), sent: posts.length, batches: chunks.length, counts, results };
}
