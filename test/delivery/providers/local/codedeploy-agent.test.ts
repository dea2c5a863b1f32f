// The local CodeDeploy agent on a temp instance with real hook scripts:
// a deployment installs a revision, then stopInstance runs its ApplicationStop.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deployToInstance, stopInstance, type AgentDeployment } from '../../../../src/delivery/providers/local/codedeploy-agent.js';
import type { LocalInstance } from '../../../../src/delivery/providers/local/local-instances.js';

const appspec = `version: 0.0
os: linux
hooks:
  ApplicationStop:
    - location: scripts/fail.sh
    - location: scripts/stop.sh
      timeout: 30
`;

const tempDirs: string[] = [];
afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function instanceWithBundle(): Promise<{ instance: LocalInstance; bundleDir: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mod-agent-'));
  tempDirs.push(root);
  const bundleDir = path.join(root, 'bundle');
  await mkdir(path.join(bundleDir, 'scripts'), { recursive: true });
  await writeFile(path.join(bundleDir, 'appspec.yml'), appspec);
  const scripts = {
    'fail.sh': '#!/bin/sh\necho failing >&2\nexit 3\n',
    'stop.sh': '#!/bin/sh\necho "$DEPLOYMENT_ID $LIFECYCLE_EVENT $APPLICATION_NAME $DEPLOYMENT_GROUP_NAME $GREETING" > "$MOD_INSTANCE_DIR/stopped.txt"\n',
  };
  for (const [name, text] of Object.entries(scripts)) {
    await writeFile(path.join(bundleDir, 'scripts', name), text);
    await chmod(path.join(bundleDir, 'scripts', name), 0o755);
  }
  const dir = path.join(root, 'i-local-1');
  const instance: LocalInstance = { id: 'i-local-1', dir, root: path.join(dir, 'root'), port: 1, createdAt: new Date().toISOString() };
  await mkdir(instance.root, { recursive: true });
  return { instance, bundleDir };
}

const stopOptions = (failures: string[]) => ({
  applicationName: 'mod',
  deploymentGroupName: 'mod-stage',
  hookTimeoutCapSeconds: 60,
  env: { GREETING: 'hello' },
  onHookFailed: (message: string) => failures.push(message),
});

describe('stopInstance', () => {
  it("runs the installed revision's ApplicationStop scripts, reporting a failed one and running the rest", async () => {
    const { instance, bundleDir } = await instanceWithBundle();
    const deployment: AgentDeployment = {
      deploymentId: 'd-1',
      applicationName: 'mod',
      deploymentGroupName: 'mod-stage',
      bundleDir,
      hookTimeoutCapSeconds: 60,
      env: {},
      traffic: { block: async () => {}, allow: async () => {} },
      onEvent: () => {},
    };
    // The first deployment has no previous revision, so its ApplicationStop is skipped.
    const deployed = await deployToInstance(instance, deployment);
    expect(deployed.record.status).toBe('Succeeded');
    expect(deployed.record.events.find((e) => e.name === 'ApplicationStop')?.status).toBe('Skipped');

    const failures: string[] = [];
    expect(await stopInstance(instance, stopOptions(failures))).toEqual({ ranApplicationStop: true });
    expect(failures).toEqual(['script scripts/fail.sh exited with 3']);
    expect((await readFile(path.join(instance.dir, 'stopped.txt'), 'utf8')).trim()).toBe('stop ApplicationStop mod mod-stage hello');
    expect(await readFile(path.join(instance.dir, 'stop.log'), 'utf8')).toContain('failing');
  });

  // command_executor.rb records the last successful install when Install succeeds, whatever follows.
  it('issue 11.8: runs the ApplicationStop of a revision whose Install succeeded though a later event failed', async () => {
    const { instance, bundleDir } = await instanceWithBundle();
    await writeFile(path.join(bundleDir, 'appspec.yml'), `${appspec}  ValidateService:\n    - location: scripts/fail.sh\n`);
    const deployment: AgentDeployment = {
      deploymentId: 'd-1',
      applicationName: 'mod',
      deploymentGroupName: 'mod-stage',
      bundleDir,
      hookTimeoutCapSeconds: 60,
      env: {},
      traffic: { block: async () => {}, allow: async () => {} },
      onEvent: () => {},
    };
    expect((await deployToInstance(instance, deployment)).failure?.event).toBe('ValidateService');
    const failures: string[] = [];
    expect(await stopInstance(instance, stopOptions(failures))).toEqual({ ranApplicationStop: true });
    expect((await readFile(path.join(instance.dir, 'stopped.txt'), 'utf8')).trim()).toBe('stop ApplicationStop mod mod-stage hello');
  });

  it('does nothing on an instance with no revision installed', async () => {
    const { instance } = await instanceWithBundle();
    const failures: string[] = [];
    expect(await stopInstance(instance, stopOptions(failures))).toEqual({ ranApplicationStop: false });
    expect(failures).toEqual([]);
  });
});
