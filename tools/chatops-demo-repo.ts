// The throwaway repository the ChatOps tryouts deploy (issue 16): the tests'
// small deployable app (test/support/fixture-app.ts) on branches stage and
// master, with a mod.config.yml that maps two Slack users (U0ALICE, a
// developer who may release; U0BOB, the manager who approves) and points
// GitHub at the stand-in. Deploys are real local ones and take seconds.
import { ignoreEvents } from '../src/delivery/events.js';
import { stop } from '../src/delivery/stop.js';
import { openWorkspace } from '../src/delivery/workspace.js';
import { FixtureApp } from '../test/support/fixture-app.js';

export function demoConfig(githubConfig: string, databaseUrl: string | undefined): string {
  const env = `    instances: 1
    healthCheck:
      intervalSeconds: 0.2
      healthyThreshold: 1
      timeoutSeconds: 60
    local:
      drainSeconds: 0.2
${databaseUrl ? `    databaseUrl: ${databaseUrl}\n` : ''}`;
  return `app: chatops-try
${githubConfig}chatops:
  users:
    U0ALICE: { github: alice, roles: [deployer, releaser, approver] }   # a developer who may release
    U0BOB: { github: bob, roles: [approver] }                           # the manager
  approvalChannel: C0RELEASES
environments:
  stage:
    branch: stage
${env}  production:
    branch: master
${env}    gates:
      approval:
        approvers: [alice, bob]
`;
}

/** A new repository in a temp dir; `githubConfig` is the stand-ins' github: keys. */
export async function createDemoRepo(githubConfig: string, databaseUrl: string | undefined): Promise<FixtureApp> {
  const app = await FixtureApp.create();
  await app.write('mod.config.yml', demoConfig(githubConfig, databaseUrl));
  await app.commit('Config for the ChatOps bot');
  await app.git('branch', 'master');
  return app;
}

/** Stops the repository's local environments (what `mod stop` does) and removes it. */
export async function removeDemoRepo(app: FixtureApp): Promise<void> {
  const ws = await openWorkspace(app.dir).catch(() => undefined);
  for (const environment of ['stage', 'production']) if (ws) await stop(ws, { environment, events: ignoreEvents }).catch(() => {});
  await app.dispose({ stop: false });
}
