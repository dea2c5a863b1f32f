// A local instance and revision bundles in a temp dir for the hook fidelity
// suites: real scripts, real processes, nothing mocked.
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AgentDeployment } from '../../../../../src/delivery/providers/local/codedeploy-agent.js';
import type { HookContext } from '../../../../../src/delivery/providers/local/lifecycle-hook.js';
import type { LocalInstance } from '../../../../../src/delivery/providers/local/local-instances.js';

const made: string[] = [];

export async function cleanUp(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A temp root readable by every user (mkdtemp makes it 0700), so `runas` users can reach the archive as on EC2. */
export async function tempRoot(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mod-hooks-'));
  await chmod(root, 0o755);
  made.push(root);
  return root;
}

export async function newInstance(root: string, id = 'i-local-1'): Promise<LocalInstance> {
  const dir = path.join(root, 'instances', id);
  const instance: LocalInstance = { id, dir, root: path.join(dir, 'root'), port: 1, createdAt: new Date().toISOString() };
  await mkdir(instance.root, { recursive: true });
  return instance;
}

/** Writes a bundle: `appspec` text and scripts (name -> body; mode 0755 unless given as [body, mode]). */
export async function writeBundle(root: string, name: string, appspec: string, scripts: Record<string, string | [string, number]>): Promise<string> {
  const dir = path.join(root, 'bundles', name);
  await mkdir(path.join(dir, 'scripts'), { recursive: true });
  await writeFile(path.join(dir, 'appspec.yml'), appspec);
  for (const [file, spec] of Object.entries(scripts)) {
    const [body, mode] = typeof spec === 'string' ? [spec, 0o755] : spec;
    await writeFile(path.join(dir, 'scripts', file), body);
    await chmod(path.join(dir, 'scripts', file), mode);
  }
  return dir;
}

export const context = (overrides: Partial<HookContext> = {}): HookContext => ({
  deploymentId: 'd-1',
  applicationName: 'mod',
  deploymentGroupName: 'mod-stage',
  env: {},
  ...overrides,
});

export function agentDeployment(deploymentId: string, bundleDir: string, overrides: Partial<AgentDeployment> = {}): AgentDeployment {
  return {
    deploymentId,
    applicationName: 'mod',
    deploymentGroupName: 'mod-stage',
    bundleDir,
    hookTimeoutCapSeconds: 60,
    env: {},
    traffic: { block: async () => {}, allow: async () => {} },
    onEvent: () => {},
    ...overrides,
  };
}

/** True while a process with this pid exists and is not a zombie (exited, not reaped yet). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
