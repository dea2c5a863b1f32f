// An application repository configured for the AWS provider, with a bare git
// remote standing in for the one CodePipeline's source watches.
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FixtureApp } from './fixture-app.js';

export const AWS_CONFIG = `app: fixture
environments:
  stage:
    branch: stage
    provider: aws
    aws:
      region: us-east-1
      pollSeconds: 0.01
      executionStartTimeoutSeconds: 1
  production:
    branch: master
    aliases: [prod]
    provider: aws
    aws:
      region: us-east-1
      pollSeconds: 0.01
      executionStartTimeoutSeconds: 1
`;

export async function createAwsFixture(): Promise<{ app: FixtureApp; remote: string }> {
  const app = await FixtureApp.create();
  await app.write('mod.config.yml', AWS_CONFIG);
  await app.commit('Use the AWS provider');
  const remote = await mkdtemp(path.join(os.tmpdir(), 'mod-origin-'));
  await execa('git', ['init', '-q', '--bare', remote]);
  await app.git('remote', 'add', 'origin', remote);
  await app.git('push', '-q', '-u', 'origin', 'stage');
  return { app, remote };
}

export async function remoteHead(remote: string, branch: string): Promise<string> {
  return (await execa('git', ['rev-parse', branch], { cwd: remote })).stdout.trim();
}
