// `mod doctor`: the provider checks an environment's setup (AWS: credentials,
// pipeline, build project, deployment group, alarms...; local: branch,
// buildspec, appspec, endpoint, database); a failing check fails the whole,
// a warning does not.
import type { Environment } from './config.js';
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
  return { environment: env, passed: checks.every((c) => c.status !== 'fail'), checks };
}
