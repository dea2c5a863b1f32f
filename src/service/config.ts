// The service's configuration, from environment variables (the env file the
// CodeDeploy hooks load, or the shell for `mod serve`). Every variable is
// checked at start; all the wrong ones are reported at once, each with what
// was expected.
import path from 'node:path';
import { ExitCode, ModError } from '../errors.js';

export interface ServiceConfig {
  port: number;
  host: string;
  logLevel: string;
  /** PostgreSQL / Aurora; unset means the embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  dbPoolMax: number | undefined;
  dbConnectTimeoutMs: number;
  shutdownTimeoutMs: number;
  /** A client must send the request line and headers within this (408 after). */
  headersTimeoutMs: number;
  /** ... and the whole request, body included, within this (408 after). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  maxTextLength: number;
  bodyLimitBytes: number;
  retryAfterSeconds: number;
  reviewClaimSeconds: number;
  /** REVIEW_ORDER: after the overdue posts, the most uncertain (smallest margin) or the oldest first. */
  reviewOrder: 'uncertain' | 'oldest';
  /** REVIEW_MAX_WAIT_SECONDS: a post pending longer is served first, oldest first. */
  reviewMaxWaitSeconds: number;
  /** REVIEW_SECOND_OPINION_SHARE (0..1): the share of reviews that need two moderators' labels. */
  reviewSecondOpinionShare: number;
  modelDir: string | undefined;
  /** A decision-policy file (actions and thresholds per category); unset: the model's own policy. */
  policyFile: string | undefined;
  migrateOnStart: boolean;
  /** Issue 13: where the env's released model is named (MODEL_SOURCE); undefined: the bundled model decides. */
  modelSource: ModelSourceSetting | undefined;
  /** How often the pointer is read (MODEL_POLL_MS; default 2000 for file:, 5000 for ssm:). */
  modelPollMs: number;
  /** Downloaded artifacts (MODEL_CACHE_DIR; default <dataDir>/models). */
  modelCacheDir: string;
  /** MOD_INSTANCE_ID: the name this process records its service events under (issue 15; the local provider sets it); unset: <hostname>:<port>. */
  instanceId: string | undefined;
  /** CONSOLE_SESSION_HOURS: how long a moderator console session lasts (default 8). */
  consoleSessionHours: number;
  /** CONSOLE_COOKIE_SECURE: mark the console's session cookie Secure even when the request did not come over TLS (it is whenever it did, or x-forwarded-proto says https). */
  consoleCookieSecure: boolean;
}

/** MODEL_SOURCE: `file:<path of the pointer JSON>` (local provider) or `ssm:<parameter name>` (AWS). */
export type ModelSourceSetting = { kind: 'file'; path: string } | { kind: 'ssm'; parameterName: string; region: string | undefined; endpoint: string | undefined };

export class ServiceConfigError extends ModError {
  constructor(readonly problems: string[]) {
    super('SERVICE_CONFIG_INVALID', `invalid service configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      hint: 'fix the environment variables above (see "The service" in README.md)',
      exitCode: ExitCode.Usage,
    });
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and checks the configuration; `cwd` anchors the default data directory. */
export function parseServiceConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): ServiceConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)}: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };

  const databaseUrl = value('DATABASE_URL');
  if (databaseUrl !== undefined) {
    let protocol: string | undefined;
    try {
      protocol = new URL(databaseUrl).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') problems.push('DATABASE_URL: expected postgres://user:password@host:port/database (value not shown: it may hold a password)');
  }
  const logLevel = value('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL=${JSON.stringify(logLevel)}: expected one of ${LOG_LEVELS.join(', ')}`);
  const flag = (name: string): boolean => {
    const raw = value(name) ?? 'false';
    if (!['true', 'false', '1', '0'].includes(raw)) problems.push(`${name}=${JSON.stringify(raw)}: expected true or false`);
    return raw === 'true' || raw === '1';
  };
  const migrate = value('MIGRATE_ON_START') ?? 'false';
  if (!['true', 'false', '1', '0'].includes(migrate)) problems.push(`MIGRATE_ON_START=${JSON.stringify(migrate)}: expected true or false`);
  const dataDir = path.resolve(cwd, value('MOD_DATA_DIR') ?? path.join('.mod', 'data'));
  const modelSource = parseModelSource(value('MODEL_SOURCE'), env, cwd, problems);
  const dbPoolMax = value('DB_POOL_MAX') === undefined ? undefined : integer('DB_POOL_MAX', 10, 1, 1000);

  const config: ServiceConfig = {
    port: integer('PORT', 8080, 0, 65535),
    host: value('HOST') ?? '0.0.0.0',
    logLevel,
    databaseUrl,
    dataDir,
    dbPoolMax,
    dbConnectTimeoutMs: integer('DB_CONNECT_TIMEOUT_MS', 2000, 100, 600_000),
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    headersTimeoutMs: integer('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    requestTimeoutMs: integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    // Above the load balancer's idle timeout (ALB: 60 s), so that the
    // balancer, not the service, closes an idle connection: otherwise it may
    // send a request on a connection the service is closing (a 502).
    keepAliveTimeoutMs: integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, 100, 3_600_000),
    maxTextLength: integer('MAX_TEXT_LENGTH', 10_000, 1, 1_000_000),
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    retryAfterSeconds: integer('RETRY_AFTER_SECONDS', 2, 1, 3600),
    reviewClaimSeconds: integer('REVIEW_CLAIM_SECONDS', 600, 1, 7 * 24 * 3600),
    reviewOrder: reviewOrder(value('REVIEW_ORDER'), problems),
    reviewMaxWaitSeconds: integer('REVIEW_MAX_WAIT_SECONDS', 14_400, 1, 365 * 24 * 3600),
    reviewSecondOpinionShare: share(value('REVIEW_SECOND_OPINION_SHARE'), problems),
    modelDir: value('MODEL_DIR') ? path.resolve(cwd, value('MODEL_DIR')!) : undefined,
    policyFile: value('MODERATION_POLICY') ? path.resolve(cwd, value('MODERATION_POLICY')!) : undefined,
    migrateOnStart: migrate === 'true' || migrate === '1',
    modelSource,
    modelPollMs: integer('MODEL_POLL_MS', modelSource?.kind === 'ssm' ? 5000 : 2000, 100, 600_000),
    instanceId: value('MOD_INSTANCE_ID'),
    consoleSessionHours: integer('CONSOLE_SESSION_HOURS', 8, 1, 24 * 30),
    consoleCookieSecure: flag('CONSOLE_COOKIE_SECURE'),
    modelCacheDir: value('MODEL_CACHE_DIR') ? path.resolve(cwd, value('MODEL_CACHE_DIR')!) : path.join(dataDir, 'models'),
  };
  // Node refuses a headers timeout longer than the request's.
  if (config.headersTimeoutMs > config.requestTimeoutMs) problems.push(`HTTP_HEADERS_TIMEOUT_MS=${config.headersTimeoutMs} is longer than HTTP_REQUEST_TIMEOUT_MS=${config.requestTimeoutMs}: the headers are part of the request`);
  if (problems.length > 0) throw new ServiceConfigError(problems);
  return config;
}

function parseModelSource(raw: string | undefined, env: NodeJS.ProcessEnv, cwd: string, problems: string[]): ModelSourceSetting | undefined {
  if (raw === undefined) return undefined;
  if (raw.startsWith('file:') && raw.length > 'file:'.length) return { kind: 'file', path: path.resolve(cwd, raw.slice('file:'.length)) };
  if (raw.startsWith('ssm:') && raw.length > 'ssm:'.length) {
    const text = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
    return { kind: 'ssm', parameterName: raw.slice('ssm:'.length), region: text('AWS_REGION') ?? text('AWS_DEFAULT_REGION'), endpoint: text('AWS_ENDPOINT_URL_SSM') ?? text('AWS_ENDPOINT_URL') };
  }
  problems.push(`MODEL_SOURCE=${JSON.stringify(raw)}: expected file:<path of the model pointer JSON> or ssm:<parameter name>, or unset for the bundled model`);
  return undefined;
}

function reviewOrder(raw: string | undefined, problems: string[]): 'uncertain' | 'oldest' {
  if (raw === undefined || raw === 'uncertain' || raw === 'oldest') return raw ?? 'uncertain';
  problems.push(`REVIEW_ORDER=${JSON.stringify(raw)}: expected uncertain (smallest margin first, the default) or oldest`);
  return 'uncertain';
}

function share(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 0.1;
  const n = Number(raw);
  if (/^(0|1)?(\.\d+)?$/.test(raw) && raw !== '.' && Number.isFinite(n) && n >= 0 && n <= 1) return n;
  problems.push(`REVIEW_SECOND_OPINION_SHARE=${JSON.stringify(raw)}: expected a number from 0 to 1 (0.1 = one review in ten gets a second moderator)`);
  return 0.1;
}
