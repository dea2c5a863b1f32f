// `mod logs`: an environment's service and lifecycle-hook logs, from the
// provider that runs it (local: the instances' files; AWS: CloudWatch Logs).
import type { Environment } from './config.js';
import type { LogLine } from './provider.js';
import type { Workspace } from './workspace.js';

export interface LogsOptions {
  environment: string;
  instance?: string;
  lines: number;
  follow: boolean;
  signal: AbortSignal;
  onLine: (line: LogLine) => void;
}

export async function logs(ws: Workspace, options: LogsOptions): Promise<Environment> {
  const env = ws.environment(options.environment);
  const provider = await ws.provider(env);
  await provider.logs(env, { instance: options.instance, lines: options.lines, follow: options.follow, signal: options.signal, onLine: options.onLine });
  return env;
}
