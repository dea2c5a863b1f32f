// Issue 13 on the local provider, through bin/mod.js, with the REAL service
// (this checkout's dist/service, its appspec.yml hooks, migrations and
// models) on two instances backed by this machine's PostgreSQL: moderation
// requests run through the endpoint the whole time while `mod model release`
// swaps a different real model (models/baseline) in live, and `mod model
// rollback` returns to the bundled one; no request fails, every instance's
// /healthz and `mod status --json` name the model it decides with.
//
// The bundle has no node_modules (an `npm ci` per test run would take
// minutes): the repository is made under this checkout's node_modules/.cache,
// so the instances' copies of dist/ resolve their dependencies from this
// checkout's node_modules, as Node looks up the directory tree.
import { execa } from 'execa';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOD_BIN, REPO_ROOT } from '../support/fixture-app.js';
import { createTestDatabase, type TestDatabase } from '../store/test-database.js';

const BUILDSPEC = `version: 0.2
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
`;

function configYaml(databaseUrl: string): string {
  return `app: mod
environments:
  stage:
    branch: stage
    instances: 2
    rollout: OneAtATime
    hookTimeoutSeconds: 300
    databaseUrl: ${JSON.stringify(databaseUrl)}
    variables:
      MODEL_POLL_MS: 200
      LOG_LEVEL: warn
    healthCheck:
      intervalSeconds: 0.2
      healthyThreshold: 1
      timeoutSeconds: 20
    local:
      drainSeconds: 0.5
`;
}

async function versionOf(modelDir: string): Promise<string> {
  return (JSON.parse(await readFile(path.join(modelDir, 'manifest.json'), 'utf8')) as { version: string }).version;
}

interface HealthModel {
  version: string;
  source: 'released' | 'bundled';
  releaseId: string | null;
  bundled: string;
  error?: { message: string };
}

/** Requests through the endpoint until stopped: 4 clients, a short pause between requests (two cores are shared). */
function traffic(endpoint: string) {
  let running = true;
  let n = 0;
  const seen = { ok: 0, failed: [] as string[], models: new Set<string>() };
  const worker = async (w: number) => {
    while (running) {
      const text = n++ % 3 === 0 ? `LINE交換しよ！ID教えて ${w}-${n}` : `今日はいい天気ですね ${w}-${n}`;
      try {
        const response = await fetch(`${endpoint}/v1/moderate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }), signal: AbortSignal.timeout(20_000) });
        const body = (await response.json()) as { modelVersion?: string };
        if (response.status === 200) {
          seen.ok++;
          seen.models.add(response.headers.get('x-mod-model') ?? String(body.modelVersion));
        } else seen.failed.push(`HTTP ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
      } catch (error) {
        seen.failed.push(String((error as Error).cause ?? error));
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const workers = [0, 1, 2, 3].map(worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return seen;
    },
  };
}

describe('a model released and rolled back on the local provider, live, through bin/mod.js (issue 13)', () => {
  let base: string;
  let dir: string;
  let db: TestDatabase;
  let endpoint: string;
  let bundled: string;
  let baseline: string;

  const git = async (...args: string[]) => (await execa('git', args, { cwd: dir })).stdout;
  const mod = (args: string[], timeout = 300_000) => execa(process.execPath, [MOD_BIN, ...args], { cwd: dir, reject: false, env: { CI: 'true' }, timeout });
  const json = async <T>(args: string[]) => {
    const run = await mod([...args, '--json']);
    let body: T;
    try {
      body = JSON.parse(run.stdout) as T;
    } catch {
      throw new Error(`mod ${args.join(' ')} --json printed no JSON (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
    }
    return { exitCode: run.exitCode ?? -1, body, stderr: run.stderr };
  };

  /** What each instance's own process says it decides with (its /healthz `model`). */
  async function instanceModels(): Promise<Record<string, HealthModel | null>> {
    const instancesDir = path.join(dir, '.mod', 'envs', 'stage', 'instances');
    const result: Record<string, HealthModel | null> = {};
    for (const id of (await readdir(instancesDir)).sort()) {
      const instance = JSON.parse(await readFile(path.join(instancesDir, id, 'instance.json'), 'utf8')) as { port: number; terminatedAt?: string };
      if (instance.terminatedAt) continue;
      try {
        const response = await fetch(`http://127.0.0.1:${instance.port}/healthz`, { signal: AbortSignal.timeout(5000) });
        result[id] = ((await response.json()) as { model?: HealthModel }).model ?? null;
      } catch {
        result[id] = null;
      }
    }
    return result;
  }

  beforeAll(async () => {
    bundled = await versionOf(path.join(REPO_ROOT, 'models', 'default'));
    baseline = await versionOf(path.join(REPO_ROOT, 'models', 'baseline'));
    db = await createTestDatabase('postgres');
    const cache = path.join(REPO_ROOT, 'node_modules', '.cache');
    await mkdir(cache, { recursive: true });
    base = await mkdtemp(path.join(cache, 'mod-e2e-model-'));
    dir = path.join(base, 'repo');
    await mkdir(dir);
    await git('init', '-q', '-b', 'stage');
    await git('config', 'user.name', 'Alice Author');
    await git('config', 'user.email', 'alice@example.com');
    for (const entry of ['appspec.yml', 'package.json', 'bin', 'scripts', 'migrations', 'models']) await cp(path.join(REPO_ROOT, entry), path.join(dir, entry), { recursive: true });
    await writeFile(path.join(dir, '.gitignore'), '.mod/\n');
    await writeFile(path.join(dir, 'buildspec.yml'), BUILDSPEC);
    await writeFile(path.join(dir, 'mod.config.yml'), configYaml(db.url));
    await git('add', '-A');
    await git('commit', '-q', '-m', 'The moderation service');
  }, 120_000);

  afterAll(async () => {
    if (dir) await mod(['stop', '--env', 'stage', '--yes'], 120_000).catch(() => undefined);
    if (base) {
      // Safety net: a service or host a failed test left behind.
      const { stdout } = await execa('sh', ['-c', `cat "${dir}"/.mod/envs/*/instances/*/root/var/run/mod/service.pid "${dir}"/.mod/envs/*/host.json 2>/dev/null || true`]);
      for (const match of stdout.matchAll(/"pid":\s*(\d+)|^(\d+)$/gm)) {
        try {
          process.kill(Number(match[1] ?? match[2]), 'SIGKILL');
        } catch {
          // gone
        }
      }
      await rm(base, { recursive: true, force: true });
    }
    await db?.drop();
  }, 180_000);

  it('issue 13: the real service deploys, and before any release the bundled model decides on every instance', { timeout: 300_000 }, async () => {
    expect(baseline).not.toBe(bundled);
    const deploy = await json<{ status: string; endpoint: string }>(['deploy', '--env', 'stage']);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.body.status).toBe('Succeeded');
    endpoint = deploy.body.endpoint;
    const models = await instanceModels();
    expect(Object.keys(models)).toHaveLength(2);
    for (const model of Object.values(models)) expect(model).toMatchObject({ version: bundled, source: 'bundled', releaseId: null });
  });

  it('issue 13: mod model release swaps another real model in on every instance with requests running, none failing', { timeout: 300_000 }, async () => {
    const load = traffic(endpoint);
    // models/baseline is an older model: its gate verdict is not what this test is about.
    const release = await json<{ schemaVersion: number; status: string; deploymentId: string; kind: string; model: { version: string; action: string } }>([
      'model',
      'release',
      '--env',
      'stage',
      '--model',
      path.join(dir, 'models', 'baseline'),
      '--override',
      'model',
      '--reason',
      'e2e: the older model on purpose',
    ]);
    const seen = await load.stop();
    expect(release.exitCode, release.stderr).toBe(0);
    expect(release.body).toMatchObject({ schemaVersion: 1, status: 'Succeeded', kind: 'model', model: { version: baseline, action: 'release' } });
    expect(release.body.deploymentId).toMatch(/^m-/);
    expect(seen.failed).toEqual([]);
    expect(seen.ok).toBeGreaterThan(0);

    const models = await instanceModels();
    for (const model of Object.values(models)) expect(model).toMatchObject({ version: baseline, source: 'released', releaseId: release.body.deploymentId, bundled });
    // The released model decides now: every answer names it.
    const after = traffic(endpoint);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answered = await after.stop();
    expect(answered.failed).toEqual([]);
    expect([...answered.models]).toEqual([baseline]);

    // mod status shows, per instance, the model its process decides with.
    const status = await json<{ environments: { name: string; instances: { id: string; running?: { model?: HealthModel } | null }[] }[] }>(['status', '--env', 'stage']);
    const instances = status.body.environments.find((e) => e.name === 'stage')!.instances;
    expect(instances).toHaveLength(2);
    for (const instance of instances) expect(instance.running?.model, instance.id).toMatchObject({ version: baseline, source: 'released', releaseId: release.body.deploymentId });
    // The artifact lives in the env's state, beside the pointer the instances poll.
    const pointer = JSON.parse(await readFile(path.join(dir, '.mod', 'envs', 'stage', 'models', 'pointer.json'), 'utf8')) as { releaseId: string; live: { version: string; location: string } };
    expect(pointer).toMatchObject({ releaseId: release.body.deploymentId, live: { version: baseline } });
    expect(pointer.live.location.startsWith(path.join(dir, '.mod', 'envs', 'stage', 'models', 'artifacts'))).toBe(true);
  });

  it('issue 13: mod model rollback returns every instance to the bundled model, requests running, none failing', { timeout: 300_000 }, async () => {
    const load = traffic(endpoint);
    const rollback = await json<{ status: string; kind: string; model: { action: string; version: string } }>(['model', 'rollback', '--env', 'stage']);
    const seen = await load.stop();
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    // The first release rolled back: the pointer is cleared and each instance's bundle decides (recorded as version `bundled`).
    expect(rollback.body).toMatchObject({ status: 'Succeeded', kind: 'model', model: { action: 'rollback', version: 'bundled' } });
    expect(seen.failed).toEqual([]);
    for (const model of Object.values(await instanceModels())) expect(model).toMatchObject({ version: bundled, source: 'bundled', releaseId: null });
    const after = traffic(endpoint);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answered = await after.stop();
    expect(answered.failed).toEqual([]);
    expect([...answered.models]).toEqual([bundled]);
  });

  it('issue 13: mod stop and a redeploy keep the released model (it lives in the env state; the pointer wins over the bundle); the history lists the model releases', { timeout: 300_000 }, async () => {
    const again = await json<{ status: string; deploymentId: string }>(['model', 'release', '--env', 'stage', '--model', path.join(dir, 'models', 'baseline'), '--override', 'model', '--reason', 'e2e: the older model again']);
    expect(again.exitCode, again.stderr).toBe(0);
    const history = await json<{ deployments: { deploymentId: string; kind?: string }[] }>(['history', '--env', 'stage']);
    expect(history.exitCode, history.stderr).toBe(0);
    expect(history.body.deployments.filter((d) => d.kind === 'model')).toHaveLength(3);

    const stop = await mod(['stop', '--env', 'stage', '--yes']);
    expect(stop.exitCode, stop.stderr).toBe(0);
    const artifacts = await readdir(path.join(dir, '.mod', 'envs', 'stage', 'models', 'artifacts'));
    // Published once: the same version and checksum released again is the same directory.
    expect(artifacts.filter((a) => a.startsWith(`${baseline}-`))).toHaveLength(1);

    const deploy = await json<{ status: string }>(['deploy', '--env', 'stage']);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    expect(deploy.body.status).toBe('Succeeded');
    for (const model of Object.values(await instanceModels())) expect(model).toMatchObject({ version: baseline, source: 'released', releaseId: again.body.deploymentId, bundled });
  });
});
