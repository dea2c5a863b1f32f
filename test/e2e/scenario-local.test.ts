// The shared ship-and-fast-rollback scenario on the local provider (real
// processes and HTTP), one test per step. The same steps drive the AWS
// provider in test/delivery/providers/aws/scenario-aws.test.ts.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { FixtureApp, postModerate } from '../support/fixture-app.js';
import { shipAndFastRollback } from '../support/scenario-ship-and-fast-rollback.js';
import { scenarioSteps } from '../support/scenario-steps.js';

describe('scenario: ship and fast rollback (local provider)', () => {
  let app: FixtureApp;
  beforeAll(async () => {
    app = await FixtureApp.create({ instances: 1 });
  });
  afterAll(async () => {
    await app?.dispose();
  });

  scenarioSteps(
    shipAndFastRollback(() => ({
      app,
      mod: async (args) => {
        const r = await app.json(args);
        return { exitCode: r.exitCode, body: r.body, stderr: r.stderr };
      },
      serves: async (endpoint, version) => {
        expect((await postModerate(endpoint)).body.modelVersion).toBe(version);
      },
    })),
  );
});
