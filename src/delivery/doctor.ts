// `mod doctor`: the provider checks an environment's setup (AWS: credentials,
// pipeline, build project, deployment group, alarms...; local: branch,
// endpoint, database), then what deploy would refuse before building (the
// specs and hook scripts at the branch head, the lock); a failing check fails
// the whole, a warning does not.
import type { Environment } from './config.js';
import { liveHolder } from './deploy-lock.js';
import { preflightChecks } from './preflight.js';
import type { DoctorCheck } from './provider.js';
import type { Workspace } from './workspace.js';

export interface DoctorReport {
  environment: Environment;
  /** No check failed. */
  passed: boolean;
  checks: DoctorCheck[];
}

export async function doctor(ws: Workspace, options: { environment: string }): Promise<DoctorReport> {
  const env = ws.environment(options.environment);
  const checks = await (await ws.provider(env)).doctor(env);
  // What deploy would refuse before building, judged on what the next deploy ships: the branch head.
  const head = (await ws.git.resolve(`refs/heads/${env.branch}`)) ?? (await ws.git.resolve('HEAD'));
  if (head) checks.push(...(await preflightChecks(ws.git, head)).map(({ name, status, detail }) => ({ name, status, detail })));
  const holder = await liveHolder(ws.paths.lock(env.name));
  checks.push(holder ? { name: 'deploy lock', status: 'warn', detail: `held by pid ${holder.pid} (${holder.command}, ${holder.user}, since ${holder.since}): a deploy now waits for it or fails` } : { name: 'deploy lock', status: 'pass', detail: 'free' });
  return { environment: env, passed: checks.every((c) => c.status !== 'fail'), checks };
}
