import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
