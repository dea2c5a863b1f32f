// appspec.yml (version 0.0, os linux) for EC2/on-premises deployments: the
// files to install and the lifecycle hooks, validated as the CodeDeploy agent
// would before it runs anything.
import { z } from 'zod';
import { readYamlSpec } from '../../yaml-spec.js';

export const SCRIPT_EVENTS = ['BeforeBlockTraffic', 'AfterBlockTraffic', 'ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService', 'BeforeAllowTraffic', 'AfterAllowTraffic'] as const;
export type ScriptEvent = (typeof SCRIPT_EVENTS)[number];

/** The in-place lifecycle with a load balancer, in CodeDeploy's order. */
export const LIFECYCLE = [
  'BeforeBlockTraffic',
  'BlockTraffic',
  'AfterBlockTraffic',
  'ApplicationStop',
  'DownloadBundle',
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
] as const;
export type LifecycleEventName = (typeof LIFECYCLE)[number];

/** Events whose scripts come from the previously installed revision. */
export const RUN_FROM_PREVIOUS_REVISION: ReadonlySet<string> = new Set(['BeforeBlockTraffic', 'BlockTraffic', 'AfterBlockTraffic', 'ApplicationStop']);

const HookSchema = z.strictObject({
  location: z.string().min(1),
  timeout: z.number().int().min(1).max(3600).optional(),
  runas: z.string().optional(),
});
export type Hook = z.infer<typeof HookSchema>;

const hooksShape = Object.fromEntries(SCRIPT_EVENTS.map((name) => [name, z.array(HookSchema).optional()])) as Record<ScriptEvent, z.ZodOptional<z.ZodArray<typeof HookSchema>>>;

export const AppspecSchema = z.strictObject({
  version: z.union([z.literal(0.0), z.literal('0.0')]).transform(() => '0.0' as const),
  os: z.literal('linux'),
  files: z
    .array(
      z.strictObject({
        source: z.string().min(1),
        destination: z.string().startsWith('/', 'an absolute path'),
        overwrite: z.boolean().optional(),
      }),
    )
    .default([]),
  file_exists_behavior: z.enum(['DISALLOW', 'OVERWRITE', 'RETAIN']).default('OVERWRITE'),
  permissions: z.array(z.record(z.string(), z.unknown())).optional(),
  hooks: z.strictObject(hooksShape).default({}),
});
export type Appspec = z.infer<typeof AppspecSchema>;

export function readAppspec(file: string, displayName = 'appspec.yml'): Promise<Appspec> {
  return readYamlSpec(file, AppspecSchema, displayName);
}

/**
 * The revision's AppSpec file, found as the agent finds it
 * (command_executor.rb `app_spec_real_path`): the deployment's AppSpecFilename
 * (default `appspec.yml`), then `appspec.yaml`, then `appspec.yml`.
 */
export async function readRevisionAppspec(archiveDir: string): Promise<Appspec> {
  const { stat } = await import('node:fs/promises');
  const path = await import('node:path');
  for (const name of ['appspec.yml', 'appspec.yaml']) {
    const file = path.join(archiveDir, name);
    if (
      await stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return readAppspec(file, name);
  }
  return readAppspec(path.join(archiveDir, 'appspec.yml'), 'appspec.yml');
}
