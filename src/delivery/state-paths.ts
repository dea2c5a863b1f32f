// Where the local provider keeps its state, under <repo>/.mod (git-ignored).
import path from 'node:path';

export class StatePaths {
  constructor(readonly root: string) {}

  static forRepo(repoRoot: string): StatePaths {
    return new StatePaths(process.env.MOD_STATE_DIR ? path.resolve(process.env.MOD_STATE_DIR) : path.join(repoRoot, '.mod'));
  }

  revisions(): string {
    return path.join(this.root, 'revisions');
  }
  revision(bundleKey: string): string {
    return path.join(this.revisions(), bundleKey);
  }
  builds(): string {
    return path.join(this.root, 'builds');
  }
  env(name: string): string {
    return path.join(this.root, 'envs', name);
  }
  deployments(env: string): string {
    return path.join(this.env(env), 'deployments');
  }
  instances(env: string): string {
    return path.join(this.env(env), 'instances');
  }
  lock(env: string): string {
    return path.join(this.env(env), 'deploy.lock');
  }
  host(env: string): string {
    return path.join(this.env(env), 'host.json');
  }
  hostLog(env: string): string {
    return path.join(this.env(env), 'host.log');
  }
  database(env: string): string {
    return path.join(this.env(env), 'pgdata');
  }
  /** Issue 16: approvals given in Slack, one file per environment and target commit. */
  chatApproval(env: string, commit: string): string {
    return path.join(this.root, 'approvals', env, `${commit}.json`);
  }
  /** Issue 16: a Slack approval request and its state (pending, approved, rejected), by request id. */
  approvalRequest(id: string): string {
    return path.join(this.root, 'approvals', 'requests', `${id}.json`);
  }
  /** Issue 16: the X-GitHub-Delivery ids the bot has handled (bounded), so a redelivery posts nothing twice. */
  githubDeliveries(): string {
    return path.join(this.root, 'bot', 'github-deliveries.json');
  }
  /** Issue 13: the pointer file the env's instances poll (MODEL_SOURCE=file:<this, absolute>). */
  modelPointer(env: string): string {
    return path.join(this.env(env), 'models', 'pointer.json');
  }
  /** Issue 13: the env's published model artifacts, one directory per version and checksum. */
  models(env: string): string {
    return path.join(this.env(env), 'models', 'artifacts');
  }
  /** Issue 13: the env's model release records, one JSON file per release. */
  modelReleases(env: string): string {
    return path.join(this.env(env), 'models', 'releases');
  }
}
