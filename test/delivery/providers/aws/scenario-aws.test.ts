// The shared ship-and-fast-rollback scenario (see
// test/support/scenario-ship-and-fast-rollback.ts) on the AWS provider, with
// CodePipeline and CodeDeploy scripted at the SDK boundary, one test per step.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createAwsFixture } from '../../../support/aws-fixture.js';
import { fakeAwsPipeline } from '../../../support/fake-aws-pipeline.js';
import type { FixtureApp } from '../../../support/fixture-app.js';
import { runCli } from '../../../support/run-cli.js';
import { shipAndFastRollback } from '../../../support/scenario-ship-and-fast-rollback.js';
import { scenarioSteps } from '../../../support/scenario-steps.js';

describe('scenario: ship and fast rollback (AWS provider)', () => {
  let app: FixtureApp;
  let fake: ReturnType<typeof fakeAwsPipeline>;
  beforeAll(async () => {
    const fixture = await createAwsFixture();
    app = fixture.app;
    fake = fakeAwsPipeline({ remote: fixture.remote, branch: 'stage', pipeline: 'fixture-stage' });
  });
  afterAll(async () => {
    await app?.dispose({ stop: false });
  });

  scenarioSteps([
    ...shipAndFastRollback(() => ({
      app,
      mod: async (args) => {
        const r = await runCli([...args, '--json'], { cwd: app.dir });
        return { exitCode: r.exitCode, body: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
      },
    })),
    {
      name: 'the fast rollback redeployed the first revision directly, and the pushed revert started the pipeline again',
      timeoutMs: 10_000,
      run: async () => {
        const direct = [...fake.deployments.values()].find((d) => d.description?.startsWith('mod: fast rollback'));
        expect(direct?.revision).toEqual(fake.deployments.get(fake.executions.at(-1)!.deploymentId)!.revision);
      },
    },
  ]);
});
