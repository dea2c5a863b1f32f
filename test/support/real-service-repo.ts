// A repository that deploys the REAL moderation service on the local
// provider, for e2e tests and benchmarks: this checkout's dist/service, its
// appspec.yml hooks, migrations and models, committed in a temp git
// repository whose buildspec copies the compiled dist/ instead of running
// `npm ci` and tsc (an install per run would take minutes).
//
// The bundle has no node_modules: the repository is made under this
// checkout's node_modules/.cache, so the instances' copies of dist/ resolve
// their dependencies from this checkout's node_modules, as Node looks up the
// directory tree.
import { execa } from 'execa';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MOD_BIN, REPO_ROOT } from './fixture-app.js';

export const BUILDSPEC = `version: 0.2
phases:
  build:
    commands:
      - cp -R "${path.join(REPO_ROOT, 'dist')}" dist
      - node -e "require('fs').writeFileSync('revision.json', JSON.stringify({commit:process.env.CODEBUILD_RESOLVED_SOURCE_VERSION}))"
artifacts:
  files:
    - appspec.yml
    - package.json
    - revision.json
    - bin/**/*
    - dist/**/*
    - scripts/**/*
    - models/**/*
    - migrations/**/*
    - console/**/*
`;

export interface EnvironmentOptions {
  databaseUrl: string;
  /** Default 2. */
  instances?: number;
  /** Service variables beside MODEL_POLL_MS: 200 and LOG_LEVEL: warn (these may be overridden). */
  variables?: Record<string, string | number>;
}

function environmentYaml(name: string, options: EnvironmentOptions): string {
  const variables = { MODEL_POLL_MS: 200, LOG_LEVEL: 'warn', ...options.variables };
  return `  ${name}:
    branch: ${name}
    instances: ${options.instances ?? 2}
    rollout: OneAtATime
    hookTimeoutSeconds: 300
    databaseUrl: ${JSON.stringify(options.databaseUrl)}
    variables:
${Object.entries(variables)
  .map(([key, value]) => `      ${key}: ${JSON.stringify(value)}`)
  .join('\n')}
    healthCheck:
      intervalSeconds: 0.2
      healthyThreshold: 1
      timeoutSeconds: 20
    local:
      drainSeconds: 0.5
`;
}

/** mod.config.yml with the env `stage` (branch stage) on `databaseUrl`, and any further envs in `more` (branch = name). */
export function configYaml(databaseUrl: string, options: { variables?: Record<string, string | number>; instances?: number; more?: Record<string, EnvironmentOptions> } = {}): string {
  const envs = { stage: { databaseUrl, variables: options.variables, instances: options.instances }, ...options.more };
  return `app: mod\nenvironments:\n${Object.entries(envs)
    .map(([name, env]) => environmentYaml(name, env))
    .join('')}`;
}

export interface HealthModel {
  version: string;
  source: 'released' | 'bundled';
  releaseId: string | null;
  bundled: string;
  shadow: string | null;
  error?: { message: string };
}

export interface ModRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RealServiceRepo {
  /** The temp directory under node_modules/.cache holding the repository (removed by dispose). */
  base: string;
  /** The repository. */
  dir: string;
  git(...args: string[]): Promise<string>;
  mod(args: string[], options?: { timeout?: number; env?: Record<string, string> }): Promise<ModRun>;
  /** `mod <args> --json`, parsed (an Error naming the output when it is not JSON). */
  json<T>(args: string[], options?: { timeout?: number; env?: Record<string, string> }): Promise<{ exitCode: number; body: T; stderr: string }>;
  /** Each running instance's /healthz body (null: no answer), by instance id. */
  instanceHealth(env?: string): Promise<Record<string, Record<string, unknown> | null>>;
  /** What each running instance's own process says it decides with (its /healthz `model`), by instance id. */
  instanceModels(env?: string): Promise<Record<string, HealthModel | null>>;
  /** mod stop for each env, a kill of any service or host a failed run left behind, and the directory removed. */
  dispose(envs?: string[]): Promise<void>;
}

/** The version in a model directory's manifest. */
export async function versionOf(modelDir: string): Promise<string> {
  return (JSON.parse(await readFile(path.join(modelDir, 'manifest.json'), 'utf8')) as { version: string }).version;
}

async function instanceHealth(dir: string, env: string): Promise<Record<string, Record<string, unknown> | null>> {
  const instancesDir = path.join(dir, '.mod', 'envs', env, 'instances');
  const result: Record<string, Record<string, unknown> | null> = {};
  for (const id of (await readdir(instancesDir)).sort()) {
    const instance = JSON.parse(await readFile(path.join(instancesDir, id, 'instance.json'), 'utf8')) as { port: number; terminatedAt?: string };
    if (instance.terminatedAt) continue;
    try {
      const response = await fetch(`http://127.0.0.1:${instance.port}/healthz`, { signal: AbortSignal.timeout(5000) });
      result[id] = (await response.json()) as Record<string, unknown>;
    } catch {
      result[id] = null;
    }
  }
  return result;
}

/** A committed repository (branch stage) of the real service with `config` as its mod.config.yml. */
export async function createRealServiceRepo(config: string, prefix = 'mod-e2e-model-'): Promise<RealServiceRepo> {
  const cache = path.join(REPO_ROOT, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  const base = await mkdtemp(path.join(cache, prefix));
  const dir = path.join(base, 'repo');
  await mkdir(dir);
  const git = async (...args: string[]) => (await execa('git', args, { cwd: dir })).stdout;
  const mod = async (args: string[], options: { timeout?: number; env?: Record<string, string> } = {}): Promise<ModRun> => {
    const run = await execa(process.execPath, [MOD_BIN, ...args], { cwd: dir, reject: false, env: { CI: 'true', ...options.env }, timeout: options.timeout ?? 300_000 });
    return { exitCode: run.exitCode ?? -1, stdout: String(run.stdout), stderr: String(run.stderr) };
  };
  await git('init', '-q', '-b', 'stage');
  await git('config', 'user.name', 'Alice Author');
  await git('config', 'user.email', 'alice@example.com');
  for (const entry of ['appspec.yml', 'package.json', 'bin', 'scripts', 'migrations', 'models', 'console']) await cp(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
  await writeFile(path.join(dir, '.gitignore'), '.mod/\n');
  await writeFile(path.join(dir, 'buildspec.yml'), BUILDSPEC);
  await writeFile(path.join(dir, 'mod.config.yml'), config);
  await git('add', '-A');
  await git('commit', '-q', '-m', 'The moderation service');

  return {
    base,
    dir,
    git,
    mod,
    async json<T>(args: string[], options: { timeout?: number; env?: Record<string, string> } = {}) {
      const run = await mod([...args, '--json'], options);
      let body: T;
      try {
        body = JSON.parse(run.stdout) as T;
      } catch {
        throw new Error(`mod ${args.join(' ')} --json printed no JSON (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
      }
      return { exitCode: run.exitCode, body, stderr: run.stderr };
    },
    instanceHealth: (env = 'stage') => instanceHealth(dir, env),
    async instanceModels(env = 'stage') {
      const result: Record<string, HealthModel | null> = {};
      for (const [id, health] of Object.entries(await instanceHealth(dir, env))) result[id] = (health?.model as HealthModel | undefined) ?? null;
      return result;
    },
    async dispose(envs = ['stage']) {
      for (const env of envs) await mod(['stop', '--env', env, '--yes'], { timeout: 120_000 }).catch(() => undefined);
      // Safety net: a service or host a failed run left behind.
      const { stdout } = await execa('sh', ['-c', `cat "${dir}"/.mod/envs/*/instances/*/root/var/run/mod/service.pid "${dir}"/.mod/envs/*/host.json 2>/dev/null || true`]);
      for (const match of stdout.matchAll(/"pid":\s*(\d+)|^(\d+)$/gm)) {
        try {
          process.kill(Number(match[1] ?? match[2]), 'SIGKILL');
        } catch {
          // gone
        }
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}

export interface TrafficSeen {
  ok: number;
  failed: string[];
  /** The models that answered (x-mod-model). */
  models: Set<string>;
}

/**
 * POST /v1/moderate through the endpoint until stopped: 4 clients, a short
 * pause between requests (two cores are shared). `text(n)` makes each
 * request's text (default: a contact request every third, small talk otherwise).
 */
export function traffic(endpoint: string, options: { pauseMs?: number; text?: (n: number, worker: number) => string } = {}) {
  let running = true;
  let n = 0;
  const text = options.text ?? ((i: number, w: number) => (i % 3 === 0 ? `LINE交換しよ！ID教えて ${w}-${i}` : `今日はいい天気ですね ${w}-${i}`));
  const seen: TrafficSeen = { ok: 0, failed: [], models: new Set<string>() };
  const worker = async (w: number) => {
    while (running) {
      try {
        const response = await fetch(`${endpoint}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: text(n++, w) }), signal: AbortSignal.timeout(20_000) });
        const body = (await response.json()) as { modelVersion?: string };
        if (response.status === 200) {
          seen.ok++;
          seen.models.add(response.headers.get('x-mod-model') ?? String(body.modelVersion));
        } else seen.failed.push(`HTTP ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
      } catch (error) {
        seen.failed.push(String((error as Error).cause ?? error));
      }
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 10));
    }
  };
  const workers = [0, 1, 2, 3].map(worker);
  return {
    /** What was answered so far (the live counts). */
    seen,
    async stop(): Promise<TrafficSeen> {
      running = false;
      await Promise.all(workers);
      return seen;
    },
  };
}
