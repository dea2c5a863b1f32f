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
}
