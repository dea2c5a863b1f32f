// buildspec.yml as CodeBuild reads it ("Build specification reference for
// CodeBuild"): version 0.2 (one shell state carried across commands and
// phases) and 0.1 (each command in a fresh shell, `environment_variables`
// instead of `env`). Both parse to one shape; what a local build cannot do is
// refused here (exit 2) rather than ignored at build time.
import { z } from 'zod';
import { readYamlSpec } from '../../yaml-spec.js';

const command = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a shell command string (quote a command that contains ": ", YAML reads it as a mapping)' }).transform(String);
/** CodeBuild takes a single scalar where it documents a sequence (`commands: npm test`). */
const commands = z.union([z.array(command), command.transform((c) => [c])]);
const paths = z.union([z.array(z.string()), z.string().transform((p) => [p])]);
const yesNo = z.union([z.enum(['yes', 'no']), z.boolean()]).transform((v) => v === true || v === 'yes');

const PhaseSchema = z.strictObject({
  'run-as': z.string().min(1).optional(),
  // Unset: CodeBuild's phase transitions decide (a failed build still runs post_build).
  'on-failure': z
    .string()
    .refine((v) => v === 'ABORT' || v === 'CONTINUE', {
      error: (issue) => (/^RETRY/i.test(String(issue.input)) ? 'RETRY is not available in a local build (it reruns the whole CodeBuild build); use ABORT or CONTINUE, or run mod deploy again' : `expected ABORT or CONTINUE, got ${JSON.stringify(issue.input)}`),
    })
    .transform((v) => v as 'ABORT' | 'CONTINUE')
    .optional(),
  'runtime-versions': z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
  commands: commands.default([]),
  finally: commands.default([]),
});
export type BuildPhase = z.infer<typeof PhaseSchema>;

export const PHASE_NAMES = ['install', 'pre_build', 'build', 'post_build'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

const PhasesSchema = z
  .strictObject({
    install: PhaseSchema.optional(),
    pre_build: PhaseSchema.optional(),
    build: PhaseSchema.optional(),
    post_build: PhaseSchema.optional(),
  })
  .superRefine((phases, ctx) => {
    // The reference documents runtime-versions under phases/install only.
    for (const name of ['pre_build', 'build', 'post_build'] as const) {
      if (phases[name]?.['runtime-versions']) {
        ctx.addIssue({ code: 'custom', path: [name, 'runtime-versions'], message: 'runtime-versions belongs to the install phase (CodeBuild installs runtimes before pre_build)' });
      }
    }
  })
  .default({});

const ArtifactSetSchema = z.strictObject({
  files: paths.pipe(z.array(z.string()).min(1)),
  name: z.string().optional(),
  'base-directory': z.string().min(1).optional(),
  'discard-paths': yesNo.default(false),
  'exclude-paths': paths.default([]),
  'enable-symlinks': yesNo.default(false),
  's3-prefix': z.string().optional(),
});
export type ArtifactSet = z.infer<typeof ArtifactSetSchema>;

const ArtifactsSchema = ArtifactSetSchema.extend({
  'secondary-artifacts': z.record(z.string(), ArtifactSetSchema).optional(),
});
export type Artifacts = z.infer<typeof ArtifactsSchema>;

const ReportGroupSchema = z.strictObject({
  files: paths.pipe(z.array(z.string()).min(1)),
  'base-directory': z.string().min(1).optional(),
  'discard-paths': yesNo.default(false),
  'file-format': z.string().optional(),
});
export type ReportGroup = z.infer<typeof ReportGroupSchema>;

const CacheSchema = z.strictObject({
  key: z.string().optional(),
  'fallback-keys': paths.optional(),
  action: z.enum(['restore', 'save']).optional(),
  paths: paths.default([]),
});

const shell = z
  .string()
  .refine((v) => ['bash', '/bin/sh', 'sh'].includes(v), {
    error: (issue) => (['powershell.exe', 'cmd.exe'].includes(String(issue.input)) ? `${String(issue.input)} is a Windows shell; a local build runs on Linux (bash or /bin/sh)` : `expected bash or /bin/sh, got ${JSON.stringify(issue.input)}`),
  })
  .transform((v) => (v === 'bash' ? 'bash' : 'sh') as 'bash' | 'sh');

const EnvSchema = z.strictObject({
  // Unset: /bin/sh, CodeBuild's default on Linux images.
  shell: shell.default('sh'),
  variables: z.record(z.string(), command).default({}),
  'exported-variables': z.array(z.string()).default([]),
  'parameter-store': z.record(z.string(), z.string()).optional(),
  'secrets-manager': z.record(z.string(), z.string()).optional(),
  'git-credential-helper': yesNo.optional(),
});
type Env = z.output<typeof EnvSchema>;
const defaultEnv = (): Env => ({ shell: 'sh', variables: {}, 'exported-variables': [] });

const common = {
  'run-as': z.string().min(1).optional(),
  proxy: z.strictObject({ 'upload-artifacts': yesNo.optional(), logs: yesNo.optional() }).optional(),
  batch: z.unknown().optional(),
  phases: PhasesSchema,
  artifacts: ArtifactsSchema.optional(),
  reports: z.record(z.string(), ReportGroupSchema).optional(),
  cache: CacheSchema.optional(),
};

const V02Schema = z
  .strictObject({
    version: z.union([z.literal(0.2), z.literal('0.2')]),
    env: EnvSchema.default(defaultEnv),
    ...common,
  })
  .transform((spec) => ({ ...spec, version: '0.2' as const }));

// 0.1: `environment_variables` / `plaintext` (renamed `env` / `variables` in 0.2).
const V01Schema = z
  .strictObject({
    version: z.union([z.literal(0.1), z.literal('0.1')]),
    environment_variables: z.strictObject({ plaintext: z.record(z.string(), command).default({}) }).optional(),
    ...common,
    // artifacts.type (zip / none) was deprecated in 0.2; a local bundle is a directory either way.
    artifacts: ArtifactsSchema.extend({ type: z.string().optional() }).optional(),
  })
  .transform(({ environment_variables, ...spec }) => ({ ...spec, version: '0.1' as const, env: { ...defaultEnv(), variables: environment_variables?.plaintext ?? {} } as Env }));

export const BuildspecSchema = z.discriminatedUnion('version', [V02Schema, V01Schema], { error: 'expected version 0.2 (or 0.1)' });
export type Buildspec = z.output<typeof BuildspecSchema>;

export function readBuildspec(file: string, displayName = 'buildspec.yml'): Promise<Buildspec> {
  return readYamlSpec(file, BuildspecSchema, displayName);
}
