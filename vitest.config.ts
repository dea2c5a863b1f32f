// Three test projects, chosen by folder so a new file lands in the right one
// without being listed anywhere (README "Development"):
//   unit         pure logic: no database, no server, no dist/; runs in seconds
//                (test/cli, test/moderation, test/lint, test/delivery outside
//                providers/, and any `unit/` folder).
//   integration  real PostgreSQL/PGlite, git, shells, processes, loopback
//                HTTP, moto: every other folder (test/store, test/git,
//                test/service, test/delivery/providers, and new folders until
//                someone decides they are unit).
//   e2e          test/e2e: drives bin/mod, which runs dist/; its global setup
//                compiles dist/ first when src/ changed.
//   browser      test/browser: the moderator console in a headless chromium
//                (test/support/console-browser.ts) against the real service
//                and PostgreSQL; long timeouts, a browser start is slow on two cores.
// Integration is the complement of unit, e2e and browser, so every file is in exactly one.
import { defineConfig } from 'vitest/config';

const E2E = ['test/e2e/**/*.test.ts'];
const BROWSER = ['test/browser/**/*.test.ts'];
const UNIT = [
  'test/{cli,moderation,lint}/**/*.test.ts',
  'test/delivery/*.test.ts',
  'test/delivery/!(providers)/**/*.test.ts',
  // Pure tests of an integration folder's code, e.g. test/service/unit/.
  'test/**/unit/**/*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e suites start real processes and servers; two cores are shared.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
    env: {
      // Never let the AWS SDK look for instance credentials off this machine.
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      // Nothing in the tests may reach a real AWS endpoint: by default every
      // SDK call goes to a closed loopback port (the emulator suite overrides it).
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      // Nor GitHub or Slack: tests that need them point at loopback stand-ins themselves.
      GITHUB_TOKEN: '',
      GH_TOKEN: '',
      SLACK_WEBHOOK_URL: '',
    },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT, exclude: E2E },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...UNIT, ...E2E, ...BROWSER] },
      },
      {
        extends: true,
        test: { name: 'e2e', include: E2E, globalSetup: ['test/e2e/build-dist.ts'] },
      },
      {
        extends: true,
        test: { name: 'browser', include: BROWSER, testTimeout: 120_000, hookTimeout: 180_000 },
      },
    ],
  },
});
