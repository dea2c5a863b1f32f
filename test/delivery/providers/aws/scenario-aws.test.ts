// The shared ship-and-fast-rollback scenario (see
// test/support/scenario-ship-and-fast-rollback.ts) on the AWS provider, with
// CodePipeline and CodeDeploy scripted at the SDK boundary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsFixture } from '../../../support/aws-fixture.js';
import { fakeAwsPipeline } from '../../../support/fake-aws-pipeline.js';
import type { FixtureApp } from '../../../support/fixture-app.js';
import { runCli } from '../../../support/run-cli.js';
import { shipAndFastRollback } from '../../../support/scenario-ship-and-fast-rollback.js';

describe('scenario: ship and fast rollback (AWS provider)', () => {
  let app: FixtureApp;
  let remote: string;
  beforeAll(async () => {
    ({ app, remote } = await createAwsFixture());
  });
  afterAll(async () => {
    await app?.dispose({ stop: false });
  });

  it('runs end to end', async () => {
    const fake = fakeAwsPipeline({ remote, branch: 'stage', pipeline: 'fixture-stage' });
    await shipAndFastRollback({
      app,
      mod: async (args) => {
        const r = await runCli([...args, '--json'], { cwd: app.dir });
        return { exitCode: r.exitCode, body: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
      },
    });
    // The fast rollback redeployed the first execution's revision directly, and the pushed revert started the pipeline again.
    const direct = [...fake.deployments.values()].find((d) => d.description?.startsWith('mod: fast rollback'));
    expect(direct?.revision).toEqual(fake.deployments.get(fake.executions.at(-1)!.deploymentId)!.revision);
  });
});
