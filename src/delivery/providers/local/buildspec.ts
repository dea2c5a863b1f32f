// buildspec.yml (version 0.2), the subset CodeBuild features a local build
// can honour: env.variables, env.shell, the four phases with commands,
// on-failure and finally, and artifacts.
import { z } from 'zod';
import { readYamlSpec } from '../../yaml-spec.js';

const command = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a shell command string (quote a command that contains ": ", YAML reads it as a mapping)' }).transform(String);

const PhaseSchema = z.strictObject({
  'run-as': z.string().optional(),
  'on-failure': z.enum(['ABORT', 'CONTINUE']).default('ABORT'),
  'runtime-versions': z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  commands: z.array(command).default([]),
  finally: z.array(command).default([]),
});
export type BuildPhase = z.infer<typeof PhaseSchema>;

export const PHASE_NAMES = ['install', 'pre_build', 'build', 'post_build'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

export const BuildspecSchema = z.strictObject({
  version: z.union([z.literal(0.2), z.literal('0.2')]).transform(() => '0.2' as const),
  'run-as': z.string().optional(),
  env: z
    .strictObject({
      shell: z.enum(['bash', '/bin/sh', 'sh']).default('bash'),
      variables: z.record(z.string(), command).default({}),
      'exported-variables': z.array(z.string()).default([]),
      'parameter-store': z.record(z.string(), z.string()).optional(),
      'secrets-manager': z.record(z.string(), z.string()).optional(),
      'git-credential-helper': z.enum(['yes', 'no']).optional(),
    })
    .default({ shell: 'bash', variables: {}, 'exported-variables': [] }),
  phases: z
    .strictObject({
      install: PhaseSchema.optional(),
      pre_build: PhaseSchema.optional(),
      build: PhaseSchema.optional(),
      post_build: PhaseSchema.optional(),
    })
    .default({}),
  artifacts: z
    .strictObject({
      files: z.array(z.string()).min(1),
      'base-directory': z.string().optional(),
      'discard-paths': z
        .union([z.enum(['yes', 'no']), z.boolean()])
        .transform((v) => v === true || v === 'yes')
        .default(false),
      'exclude-paths': z.array(z.string()).default([]),
      name: z.string().optional(),
      'enable-symlinks': z.union([z.enum(['yes', 'no']), z.boolean()]).optional(),
    })
    .optional(),
  cache: z.unknown().optional(),
  reports: z.unknown().optional(),
});
export type Buildspec = z.infer<typeof BuildspecSchema>;

export function readBuildspec(file: string, displayName = 'buildspec.yml'): Promise<Buildspec> {
  return readYamlSpec(file, BuildspecSchema, displayName);
}
