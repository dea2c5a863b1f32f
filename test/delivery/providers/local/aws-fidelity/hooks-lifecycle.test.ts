// Which revision's scripts run in which event, and an event's time limit,
// case by case against the CodeDeploy agent (aws/aws-codedeploy-agent:
// command_executor.rb, hook_executor.rb, command_acknowledgement_request_builder.rb),
// through the local agent's whole lifecycle on a temp instance.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deployToInstance, eventTimeLimitSeconds, scriptTimeout } from '../../../../../src/delivery/providers/local/codedeploy-agent.js';
import { agentDeployment, cleanUp, newInstance, tempRoot, writeBundle } from './hooks-fixture.js';

afterEach(cleanUp);

/** A revision whose hooks append "<version> <event>" to the instance's events.txt; `failIn` makes that event's script exit 1. */
async function revision(root: string, version: string, failIn?: string): Promise<string> {
  const events = ['BeforeBlockTraffic', 'ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService'];
  const appspec = `version: 0.0\nos: linux\nhooks:\n${events.map((e) => `  ${e}:\n    - location: scripts/${e}.sh\n      timeout: 30\n`).join('')}`;
  const scripts = Object.fromEntries(events.map((e) => [`${e}.sh`, `#!/bin/sh\necho "${version} $LIFECYCLE_EVENT $DEPLOYMENT_ID $BUNDLE_KEY" >> "$MOD_INSTANCE_DIR/events.txt"\n${e === failIn ? 'exit 1\n' : ''}`]));
  return writeBundle(root, version, appspec, scripts);
}

async function ran(instanceDir: string): Promise<string[]> {
  const text = await readFile(path.join(instanceDir, 'events.txt'), 'utf8').catch(() => '');
  await rm(path.join(instanceDir, 'events.txt'), { force: true });
  return text.trim().split('\n').filter(Boolean);
}

describe('the previous revision (issue 11.8)', () => {
  // command_executor.rb: Install calls update_last_successful_install when it
  // succeeds; hook_executor.rb maps BeforeBlockTraffic, AfterBlockTraffic and
  // ApplicationStop to LastSuccessfulOrIgnore, i.e. that install's archive.
  it("issue 11.8: after a deployment that failed in ValidateService (its Install succeeded), the next ApplicationStop runs the failed revision's script", async () => {
    const root = await tempRoot();
    const instance = await newInstance(root);
    expect((await deployToInstance(instance, agentDeployment('d-1', await revision(root, 'v1')))).record.status).toBe('Succeeded');
    // The first deployment: no revision installed before, so those events are no-ops.
    expect(await ran(instance.dir)).toEqual(['v1 BeforeInstall d-1 v1', 'v1 AfterInstall d-1 v1', 'v1 ApplicationStart d-1 v1', 'v1 ValidateService d-1 v1']);

    const failed = await deployToInstance(instance, agentDeployment('d-2', await revision(root, 'v2', 'ValidateService')));
    expect(failed.failure?.event).toBe('ValidateService');
    await ran(instance.dir);

    await deployToInstance(instance, agentDeployment('d-3', await revision(root, 'v3')));
    // The scripts of v2 (installed, then failed), with the current deployment's id and BUNDLE_* (get_revision_envs of the current spec).
    expect((await ran(instance.dir)).slice(0, 2)).toEqual(['v2 BeforeBlockTraffic d-3 v3', 'v2 ApplicationStop d-3 v3']);
  });

  it('issue 11.8: a deployment that failed before Install leaves the earlier revision as the one whose ApplicationStop runs next', async () => {
    const root = await tempRoot();
    const instance = await newInstance(root);
    await deployToInstance(instance, agentDeployment('d-1', await revision(root, 'v1')));
    const failed = await deployToInstance(instance, agentDeployment('d-2', await revision(root, 'v2', 'BeforeInstall')));
    expect(failed.failure?.event).toBe('BeforeInstall');
    await ran(instance.dir);
    await deployToInstance(instance, agentDeployment('d-3', await revision(root, 'v3')));
    expect((await ran(instance.dir)).slice(0, 2)).toEqual(['v1 BeforeBlockTraffic d-3 v3', 'v1 ApplicationStop d-3 v3']);
  });

  // hook_executor.rb parse_app_spec raises "did not find an AppSpec file" for the
  // last successful deployment's directory when it is gone: the event fails.
  it("the last installed revision's archive removed by hand fails the next deployment at its first event, saying how to skip it", async () => {
    const root = await tempRoot();
    const instance = await newInstance(root);
    await deployToInstance(instance, agentDeployment('d-1', await revision(root, 'v1')));
    await rm(path.join(instance.dir, 'deployment-root', 'd-1'), { recursive: true, force: true });
    const outcome = await deployToInstance(instance, agentDeployment('d-2', await revision(root, 'v2')));
    expect(outcome.failure?.event).toBe('BeforeBlockTraffic');
    expect(outcome.failure?.message).toContain('the last revision installed here (deployment d-1) has no readable appspec');
    expect(outcome.failure?.message).toContain(path.join(instance.dir, 'deployment-root', 'last-successful.json'));
  });
});

describe("an event's time limit (issue 11.10)", () => {
  // command_executor.rb total_timeout_for_all_lifecycle_events sums the scripts'
  // timeouts (script_info.rb: 3600 when absent); command_acknowledgement_request_builder.rb
  // sends it within 60..4200 s as the command's max duration.
  it("is the sum of its scripts' timeouts, 3600 for one without, within 60..4200 s", () => {
    expect(eventTimeLimitSeconds([{ timeout: 300 }, { timeout: 150 }])).toBe(450);
    expect(eventTimeLimitSeconds([{ timeout: 300 }, {}])).toBe(3900);
    expect(eventTimeLimitSeconds([{ timeout: 10 }])).toBe(60);
    expect(eventTimeLimitSeconds([{ timeout: 3600 }, { timeout: 3600 }])).toBe(4200);
  });

  it("gives a script its own timeout (hook_executor.rb ThreadJoiner.new(script.timeout)), unless the event's limit or the local cap is nearer", () => {
    expect(scriptTimeout({ timeout: 300 }, 3600, 450, 0)).toEqual({ seconds: 300 });
    expect(scriptTimeout({}, 3600, 4200, 3_000_000)).toEqual({ seconds: 1200, reason: expect.stringContaining("the event's limit of 4200s") });
    expect(scriptTimeout({ timeout: 900 }, 300, 900, 0)).toEqual({ seconds: 300, reason: 'capped by hookTimeoutSeconds (300s)' });
  });
});

describe('hook output (contract for issue 17.14)', () => {
  it('passes each line a hook writes, with the instance and event, to onHookOutput', async () => {
    const root = await tempRoot();
    const instance = await newInstance(root);
    const bundle = await writeBundle(root, 'talk', 'version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: scripts/talk.sh\n', { 'talk.sh': '#!/bin/sh\necho one\necho two >&2\n' });
    const lines: string[] = [];
    const outcome = await deployToInstance(instance, agentDeployment('d-1', bundle, { onHookOutput: (id, event, line) => lines.push(`${id} ${event} ${line}`) }));
    expect(outcome.record.status).toBe('Succeeded');
    expect(lines.sort()).toEqual(['i-local-1 AfterInstall one', 'i-local-1 AfterInstall two']);
  });
});
