// Where a service process's CPU goes (issue 19): reads a V8 .cpuprofile
// (node --cpu-prof, BENCH_CPU_PROF, `npm run bench -- service-profile`) and
// attributes the self time of every sample to a bucket: logging, metrics,
// validation, serialisation, pg protocol, group commit, scoring, the
// service's own route code, HTTP/Fastify core, GC, other. A frame is
// classified by its script (node_modules/<package>, dist/<file>, node:
// modules); frames with no script of their own (V8 builtins such as a regex
// exec or a socket write, and Node internals that are not HTTP) take the
// bucket of the nearest caller that has one, except JSON.parse/stringify
// (serialisation) and generated Ajv validators (validation). Idle time is
// left out. Prints self time and µs per request per bucket, and the
// functions with the most self time.
//   npx tsx bench/cpu-profile-summary.ts <file.cpuprofile> [--requests N] [--from µs --to µs]
// --from/--to: the window to count (the profile's clock: process.hrtime in
// µs, as the service benchmark's child reports it).
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export const BUCKETS = ['logging', 'metrics', 'validation', 'serialisation', 'pg protocol', 'group commit', 'scoring', 'service route code', 'HTTP/fastify core', 'GC', 'other'] as const;
export type Bucket = (typeof BUCKETS)[number];

const pkg = (names: string) => new RegExp(`node_modules/(${names})/`);
const RULES: [RegExp, Bucket][] = [
  [pkg('pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|@pinojs/[^/]+|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify'), 'logging'],
  [/dist\/service\/request-log\.js/, 'logging'],
  [pkg('prom-client|tdigest|bintrees'), 'metrics'],
  [/dist\/service\/metrics\.js/, 'metrics'],
  [pkg('ajv|ajv-formats|fast-uri|json-schema-traverse|fast-deep-equal|@fastify/ajv-compiler|require-from-string'), 'validation'],
  [pkg('fast-json-stringify|@fastify/fast-json-stringify-compiler|secure-json-parse|json-schema-ref-resolver|@fastify/merge-json-schemas'), 'serialisation'],
  [pkg('pg|pg-protocol|pg-pool|pg-types|pg-connection-string|postgres-array|postgres-bytea|postgres-date|postgres-interval|pgpass|pg-int8|pg-cloudflare|split2'), 'pg protocol'],
  [/dist\/service\/post-writer\.js|dist\/store\//, 'group commit'],
  [/dist\/moderation\//, 'scoring'],
  [/dist\/service\//, 'service route code'],
  [
    pkg('fastify|find-my-way|light-my-request|avvio|@fastify/[^/]+|fast-querystring|content-type|proxy-addr|forwarded|ipaddr\\.js|toad-cache|process-warning|abstract-logging|rfdc|fastify-plugin|ret|safe-regex2|fast-decode-uri-component|cookie|set-cookie-parser|semver'),
    'HTTP/fastify core',
  ],
  [/^node:(_http_\w+|http$|internal\/http)/, 'HTTP/fastify core'],
];

/** Sockets and streams serve HTTP and pg alike: their caller's bucket, HTTP when nothing above them says (a socket read from the event loop). */
const SOCKETS = /^node:(net|stream|internal\/(streams|stream_base_commons|net|dns))/;

/** A frame's own bucket, or undefined: it takes its caller's. */
function ownBucket(frame: ProfileNode['callFrame'], caller: ProfileNode['callFrame'] | undefined): Bucket | 'idle' | undefined {
  const { functionName: name, url } = frame;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)' || name === '(root)') return 'other';
  if (url === '') {
    if (name === 'parse' || name === 'stringify') return 'serialisation';
    // Code generated with new Function: Ajv's validators, fast-json-stringify's serialisers (called by Fastify's reply serialize).
    if (/^validate\d*$/.test(name)) return 'validation';
    if (/^anonymous\d*$/.test(name) && caller?.functionName === 'serialize') return 'serialisation';
    return undefined;
  }
  for (const [pattern, bucket] of RULES) if (pattern.test(url)) return bucket;
  // Other Node internals (timers, task queues, buffers, crypto, sockets...) are their caller's.
  if (url.startsWith('node:')) return undefined;
  return 'other';
}

export interface Summary {
  /** Self time in µs per bucket. */
  buckets: Record<Bucket, number>;
  idleUs: number;
  /** Busy time counted (µs), idle excluded. */
  busyUs: number;
  windowUs: number;
  samples: number;
  top: { name: string; bucket: Bucket; us: number }[];
}

export function summarise(profile: CpuProfile, window?: { from: number; to: number }): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const bucketOf = new Map<number, Bucket | 'idle'>();
  // A frame's bucket: its own, else its caller's; undefined up to the root: none says (then a socket frame's HTTP, or other).
  const inherited = new Map<number, Bucket | 'idle' | undefined>();
  const classify = (id: number): Bucket | 'idle' | undefined => {
    if (inherited.has(id)) return inherited.get(id);
    const node = byId.get(id)!;
    const up = parent.get(id);
    const own = ownBucket(node.callFrame, up === undefined ? undefined : byId.get(up)!.callFrame);
    const bucket = own ?? (up === undefined ? undefined : classify(up));
    inherited.set(id, bucket);
    return bucket;
  };
  const resolve = (id: number): Bucket | 'idle' => {
    const known = bucketOf.get(id);
    if (known) return known;
    let bucket = classify(id);
    for (let at: number | undefined = id; bucket === undefined && at !== undefined; at = parent.get(at)) if (SOCKETS.test(byId.get(at)!.callFrame.url)) bucket = 'HTTP/fastify core';
    bucketOf.set(id, bucket ?? 'other');
    return bucket ?? 'other';
  };
  const buckets = Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Record<Bucket, number>;
  const self = new Map<number, number>();
  let idleUs = 0;
  let count = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (window && (t < window.from || t > window.to)) continue;
    count++;
    const id = profile.samples[i]!;
    const bucket = resolve(id);
    if (bucket === 'idle') idleUs += us;
    else {
      buckets[bucket] += us;
      self.set(id, (self.get(id) ?? 0) + us);
    }
  }
  const byFunction = new Map<string, { name: string; bucket: Bucket; us: number }>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const where = f.url
      ? `${f.url
          .replace(/^.*node_modules\//, '')
          .replace(/^.*\/dist\//, 'dist/')
          .replace(/^file:\/\//, '')}:${f.lineNumber + 1}`
      : '(native)';
    const name = `${f.functionName || '(anonymous)'} ${where}`;
    const bucket = resolve(id) as Bucket;
    // One function may count in several buckets (a socket write for HTTP and for pg): one line each.
    const entry = byFunction.get(`${bucket} ${name}`) ?? { name, bucket, us: 0 };
    entry.us += us;
    byFunction.set(`${bucket} ${name}`, entry);
  }
  const busyUs = Object.values(buckets).reduce((a, b) => a + b, 0);
  return {
    buckets,
    idleUs,
    busyUs,
    windowUs: window ? window.to - window.from : profile.endTime - profile.startTime,
    samples: count,
    top: [...byFunction.values()].sort((a, b) => b.us - a.us).slice(0, 15),
  };
}

/** The bucket table: self ms, share of busy time, µs per request (with `requests`). */
export function formatSummary(s: Summary, requests?: number): string {
  const lines = [
    `${s.samples} samples over ${(s.windowUs / 1e6).toFixed(1)} s: busy ${(s.busyUs / 1e3).toFixed(0)} ms, idle ${(s.idleUs / 1e3).toFixed(0)} ms${requests ? `; ${requests} requests` : ''}`,
    `${'bucket'.padEnd(20)} ${'self ms'.padStart(8)} ${'share'.padStart(6)}${requests ? ` ${'µs/request'.padStart(10)}` : ''}`,
  ];
  for (const b of BUCKETS) {
    const us = s.buckets[b];
    lines.push(`${b.padEnd(20)} ${(us / 1e3).toFixed(0).padStart(8)} ${(((us / (s.busyUs || 1)) * 100).toFixed(1) + '%').padStart(6)}${requests ? ` ${(us / requests).toFixed(1).padStart(10)}` : ''}`);
  }
  if (requests) lines.push(`${'total'.padEnd(20)} ${(s.busyUs / 1e3).toFixed(0).padStart(8)} ${'100%'.padStart(6)} ${(s.busyUs / requests).toFixed(1).padStart(10)}`);
  lines.push('most self time:');
  for (const f of s.top) lines.push(`  ${(f.us / 1e3).toFixed(0).padStart(6)} ms  ${f.bucket.padEnd(18)} ${f.name}`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const file = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  if (!file) {
    console.error('usage: npx tsx bench/cpu-profile-summary.ts <file.cpuprofile> [--requests N] [--from µs --to µs]');
    process.exit(2);
  }
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const from = option('--from');
  const to = option('--to');
  console.log(formatSummary(summarise(profile, from !== undefined && to !== undefined ? { from, to } : undefined), option('--requests')));
}
