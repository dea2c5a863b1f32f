// Issue 12.4: deploy() tells the team the canary's verdict: the deploy result
// notification carries the verdict, the score and the failing metrics' reasons
// from the record the provider returns (a FakeProvider whose deploys end with
// a canary), and nothing of a canary when there was none.
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CanaryRecord } from '../../src/delivery/canary/canary-types.js';
import { deploy } from '../../src/delivery/deploy.js';
import type { DeploymentRecord } from '../../src/delivery/deployment.js';
import type { DeployRequest } from '../../src/delivery/provider.js';
import { slackText } from '../../src/notify/slack-notifier.js';
import { failedCanary, passedCanary, REJECT_FAIL } from '../fakes/canary-records.js';
import { FakeDeliveryEvents } from '../fakes/fake-delivery-events.js';
import { FakeProvider } from '../fakes/fake-provider.js';
import { FakeWorkspace } from '../fakes/fake-workspace.js';
import { TempRepository } from '../fakes/temp-repository.js';

/** A FakeProvider whose next deploy ends with this canary (and the status it led to). */
class CanaryProvider extends FakeProvider {
  next: { canary: CanaryRecord; status: DeploymentRecord['status'] } | undefined;

  override async deploy(request: DeployRequest): Promise<DeploymentRecord> {
    const record = await super.deploy(request);
    return this.next ? { ...record, status: this.next.status, canary: this.next.canary } : record;
  }
}

let repo: TempRepository;
let provider: CanaryProvider;
let ws: FakeWorkspace;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  await repo.write('start.sh', '#!/bin/sh\necho started\n');
  await chmod(path.join(repo.dir, 'start.sh'), 0o755);
  await repo.commit('First', {
    'buildspec.yml': 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo built\nartifacts:\n  files:\n    - "**/*"\n',
    'appspec.yml': 'version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: start.sh\n',
  });
  provider = new CanaryProvider();
  ws = await FakeWorkspace.create(repo, { config: { app: 'shop', environments: { stage: { branch: 'stage', instances: 1 } } }, provider });
});
afterEach(() => repo.dispose());

function run() {
  return deploy(ws, { environment: 'stage', signal: new AbortController().signal, events: new FakeDeliveryEvents().emit });
}

describe('issue 12.4: the deploy result notification and the canary', () => {
  it('a canary that failed: the rollback notification carries the verdict, score and failing metrics with why', async () => {
    provider.next = { canary: failedCanary(), status: 'RolledBack' };
    const outcome = await run();
    expect(ws.fakeNotifier.kinds()).toEqual(['deploy.started', 'rollback']);
    const sent = ws.fakeNotifier.ofKind('rollback')[0]!;
    expect(sent.canary).toEqual({ status: 'Judged', verdict: 'Fail', score: 50, outcome: 'rolled-back', failing: [{ name: 'decision.reject', critical: true, reason: REJECT_FAIL.reason }] });
    // What Slack then says.
    expect(slackText(sent)).toContain(`deployment ${outcome.record.deploymentId}\ncanary *Fail* (score 50/100)\n• \`decision.reject\` (critical): ${REJECT_FAIL.reason}`);
  });

  it('a canary that passed: the success notification says so; no canary, no canary field', async () => {
    provider.next = { canary: passedCanary(), status: 'Succeeded' };
    await run();
    expect(ws.fakeNotifier.ofKind('deploy.succeeded')[0]!.canary).toMatchObject({ verdict: 'Pass', score: 100, failing: [] });

    provider.next = undefined;
    await run();
    expect(ws.fakeNotifier.ofKind('deploy.succeeded')[1]!.canary).toBeUndefined();
  });
});
