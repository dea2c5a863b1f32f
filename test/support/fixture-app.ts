// A small application repository in a temp dir that `mod` deploys in tests:
// the repo's real appspec.yml and scripts/ hooks, a tiny dependency-free HTTP
// server placed where the hooks start the service (dist/service/main.js),
// and a buildspec that builds in well under a second.
import { execa } from 'execa';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MOD_BIN = path.join(REPO_ROOT, 'bin', 'mod.js');

const SERVER = `// Test service: answers health checks and moderation requests with its revision.
import http from 'node:http';
import { readFileSync } from 'node:fs';
const revision = JSON.parse(readFileSync(new URL('../../revision.json', import.meta.url), 'utf8'));
const version = readFileSync(new URL('../../VERSION', import.meta.url), 'utf8').trim();
const server = http.createServer((req, res) => {
  if (req.url === '/healthz' || req.url === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ status: 'ok', revision: revision.commit, version }));
  }
  if (req.method === 'POST' && req.url === '/v1/moderate') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { text } = JSON.parse(body || '{}');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ decision: 'approve', score: 0.01, reasons: [], modelVersion: version, echo: text }));
    });
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 2000;
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); setTimeout(() => process.exit(0), 3000).unref(); });
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
`;

const BUILDSPEC = `version: 0.2
env:
  variables:
    GREETING: hello
phases:
  install:
    commands:
      - echo "installing in $CODEBUILD_SRC_DIR"
  build:
    commands:
      - mkdir -p dist/service
      - cp app/server.js dist/service/main.js
      - node -e "require('fs').writeFileSync('revision.json', JSON.stringify({commit:process.env.CODEBUILD_RESOLVED_SOURCE_VERSION}))"
artifacts:
  files:
    - appspec.yml
    - revision.json
    - VERSION
    - dist/**/*
    - scripts/**/*
    - bin/**/*
`;

export interface FixtureOptions {
  instances?: number;
  rollout?: string;
  extra?: string;
  /** embedded: the local provider's PGlite (slow first start); external: this machine's PostgreSQL. */
  database?: 'embedded' | 'external';
}

export const EXTERNAL_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function configYaml(overrides: FixtureOptions = {}): string {
  const database = overrides.database === 'embedded' ? '' : `    databaseUrl: ${EXTERNAL_DATABASE_URL}\n`;
  return `app: fixture
environments:
  stage:
    branch: stage
    aliases: [staging]
    instances: ${overrides.instances ?? 2}
    rollout: ${overrides.rollout ?? 'OneAtATime'}
    hookTimeoutSeconds: 120
    healthCheck:
      intervalSeconds: 0.2
      healthyThreshold: 1
      timeoutSeconds: 20
    local:
      drainSeconds: 0.5
${database}${overrides.extra ?? ''}  production:
    branch: master
    aliases: [prod]
    instances: 1
${database}`;
}

export class FixtureApp {
  constructor(readonly dir: string) {}

  static async create(options: FixtureOptions = {}): Promise<FixtureApp> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-fixture-'));
    const app = new FixtureApp(dir);
    await app.git('init', '-q', '-b', 'stage');
    await app.git('config', 'user.name', 'Alice Author');
    await app.git('config', 'user.email', 'alice@example.com');
    await cp(path.join(REPO_ROOT, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
    await cp(path.join(REPO_ROOT, 'appspec.yml'), path.join(dir, 'appspec.yml'));
    await writeFile(path.join(dir, '.gitignore'), '.mod/\n');
    await app.write('app/server.js', SERVER);
    // scripts/migrate_database.sh runs "bin/mod.js db migrate"; the fixture has no database schema.
    await app.write(
      'bin/mod.js',
      "#!/usr/bin/env node\nconst args = process.argv.slice(2);\nif (args.includes('db') && args.includes('migrate')) { console.log('fixture: no migrations to apply'); process.exit(0); }\nconsole.error('fixture mod.js: only db migrate is supported'); process.exit(2);\n",
    );
    await app.write('buildspec.yml', BUILDSPEC);
    await app.write('mod.config.yml', configYaml(options));
    await app.write('VERSION', 'v1\n');
    await app.commit('Initial service');
    return app;
  }

  async write(file: string, content: string): Promise<void> {
    const target = path.join(this.dir, file);
    await execa('mkdir', ['-p', path.dirname(target)]);
    await writeFile(target, content);
  }

  async read(file: string): Promise<string> {
    return readFile(path.join(this.dir, file), 'utf8');
  }

  async git(...args: string[]): Promise<string> {
    return (await execa('git', args, { cwd: this.dir })).stdout;
  }

  async commit(message: string): Promise<string> {
    await this.git('add', '-A');
    await this.git('commit', '-q', '-m', message);
    return (await this.git('rev-parse', 'HEAD')).trim();
  }

  /** Runs the built CLI as a user (or CI) would. */
  mod(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}) {
    return execa(process.execPath, [MOD_BIN, ...args], {
      cwd: this.dir,
      reject: false,
      env: { CI: 'true', ...options.env },
      timeout: options.timeoutMs ?? 120_000,
    });
  }

  async json<T = Record<string, unknown>>(args: string[]): Promise<{ exitCode: number; body: T; stderr: string }> {
    const result = await this.mod([...args, '--json']);
    let body: T;
    try {
      body = JSON.parse(result.stdout) as T;
    } catch {
      throw new Error(`mod ${args.join(' ')} --json printed no JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
    }
    return { exitCode: result.exitCode ?? -1, body, stderr: result.stderr };
  }

  /** Stops every environment's processes (local provider) and removes the repo. */
  async dispose(options: { stop?: boolean } = {}): Promise<void> {
    if (options.stop !== false) for (const env of ['stage', 'production']) await this.mod(['stop', '--env', env, '--yes']).catch(() => {});
    await killLeftovers(path.join(this.dir, '.mod'));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Safety net: kill any service or host process a failed test left behind. */
async function killLeftovers(stateDir: string): Promise<void> {
  const { stdout } = await execa('sh', ['-c', `cat "${stateDir}"/envs/*/instances/*/root/var/run/mod/service.pid "${stateDir}"/envs/*/canary/*/root/var/run/mod/service.pid "${stateDir}"/envs/*/host.json 2>/dev/null || true`]);
  for (const match of stdout.matchAll(/"pid":\s*(\d+)|^(\d+)$/gm)) {
    const pid = Number(match[1] ?? match[2]);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export async function postModerate(endpoint: string, text = 'hello'): Promise<{ status: number; body: Record<string, unknown>; instance: string | null }> {
  const response = await fetch(`${endpoint}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, instance: response.headers.get('x-mod-instance') };
}
