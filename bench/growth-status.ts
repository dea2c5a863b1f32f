// `mod status` against the size of a local env's state, for the growth
// benchmark. The state is synthetic, written in the local provider's own
// formats into a throwaway repository set up by `mod init` (env stage,
// provider local): N instances (instances/<id>/instance.json, each on a
// loopback port nothing listens on, so status asks each one and is refused
// at once, as for a stopped env) and M succeeded deployments in history
// (deployments/<id>.json, one a minute, each naming every instance with the
// lifecycle events of a deploy). No process runs: what grows is what status
// reads and asks.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Point } from './growth.bench.js';

const mod = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'mod.js');
const EVENTS = ['ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService'];

type Measure = (args: string[], cwd: string) => { seconds: number; maxRssMb: number; stdout: string };
type Print = (title: string, unit: string, points: Point[]) => void;

async function repository(): Promise<{ dir: string; commit: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-bench-status-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'master');
  git('config', 'user.email', 'bench@example.com');
  git('config', 'user.name', 'bench');
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench', version: '1.0.0', scripts: { start: 'node index.js' } }));
  await writeFile(path.join(dir, 'index.js'), '');
  git('add', '.');
  git('commit', '-qm', 'init');
  execFileSync(process.execPath, [mod, 'init'], { cwd: dir, stdio: 'ignore' });
  git('add', '.');
  git('commit', '-qm', 'Deliver with mod');
  git('branch', '-f', 'stage', 'HEAD');
  return { dir, commit: git('rev-parse', 'HEAD') };
}

/** Replaces the stage env's state with `instances` instances and `deployments` deployments in history. */
async function writeState(dir: string, commit: string, instances: number, deployments: number): Promise<void> {
  const env = path.join(dir, '.mod', 'envs', 'stage');
  await rm(env, { recursive: true, force: true });
  const ids = Array.from({ length: instances }, (_, i) => `i-local-${i + 1}`);
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  for (const [i, id] of ids.entries()) {
    await mkdir(path.join(env, 'instances', id), { recursive: true });
    await writeFile(path.join(env, 'instances', id, 'instance.json'), JSON.stringify({ id, port: 1 + i, createdAt: new Date(t0).toISOString() }));
  }
  await mkdir(path.join(env, 'deployments'), { recursive: true });
  for (let d = 0; d < deployments; d++) {
    const start = t0 + d * 60_000;
    const at = (s: number) => new Date(start + s * 1000).toISOString();
    const deploymentId = `${at(0)
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}-${String(d).padStart(6, '0')}`;
    const record = {
      schemaVersion: 1,
      deploymentId,
      environment: 'stage',
      provider: 'local',
      status: 'Succeeded',
      revision: { commit, bundle: `tree-${d}`, subject: `change ${d}`, author: 'bench' },
      initiator: 'bench',
      startedAt: at(0),
      endedAt: at(30),
      instances: ids.map((instanceId) => ({ instanceId, status: 'Succeeded', events: EVENTS.map((name, k) => ({ name, status: 'Succeeded', startedAt: at(k * 4), endedAt: at(k * 4 + 3), durationMs: 3000 })) })),
    };
    await writeFile(path.join(env, 'deployments', `${deploymentId}.json`), JSON.stringify(record));
  }
}

export async function statusSeries(measure: Measure, print: Print): Promise<void> {
  const histories = (process.env.BENCH_GROWTH_STATUS ?? '10,100,1000').split(',').map(Number);
  const { dir, commit } = await repository();
  try {
    const run = async (instances: number, deployments: number) => {
      await writeState(dir, commit, instances, deployments);
      // The first run warms the file cache, and checks that status read the synthetic state.
      const first = JSON.parse(measure(['status', '--env', 'stage', '--json'], dir).stdout) as { environments: { instances: unknown[]; recent: unknown[] }[] };
      const seen = first.environments[0]!;
      if (seen.instances.length !== instances || seen.recent.length === 0)
        throw new Error(`mod status saw ${seen.instances.length} instances and ${seen.recent.length} recent deployments, not the ${instances} and ${deployments} written: the synthetic state no longer matches the local provider's format`);
      const times = [0, 1, 2].map(() => measure(['status', '--env', 'stage', '--json'], dir).seconds).sort((a, b) => a - b);
      return times[1]!;
    };
    const byHistory: Point[] = [];
    for (const m of histories) byHistory.push({ size: m, value: (await run(2, m)) * 1000 });
    print('mod status --env stage --json: wall ms by deployments in history (2 instances; median of 3)', 'ms', byHistory);
    const byInstances: Point[] = [];
    for (const n of [1, 10, 100]) byInstances.push({ size: n, value: (await run(n, 10)) * 1000 });
    print('mod status --env stage --json: wall ms by instances (10 deployments in history; median of 3)', 'ms', byInstances);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
