// mod.config.yml: the app and its environments, validated with a strict
// schema (unknown keys are errors). Environment names resolve through aliases.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { readYamlSpec } from './yaml-spec.js';

export const CONFIG_FILE = 'mod.config.yml';

const RolloutSchema = z.enum(['OneAtATime', 'HalfAtATime', 'AllAtOnce']);
export type Rollout = z.infer<typeof RolloutSchema>;

const HealthCheckSchema = z.strictObject({
  path: z.string().startsWith('/').default('/healthz'),
  intervalSeconds: z.number().positive().default(1),
  healthyThreshold: z.number().int().min(1).default(2),
  unhealthyThreshold: z.number().int().min(1).default(2),
  timeoutSeconds: z.number().positive().default(60),
});

const LocalSettingsSchema = z.strictObject({
  /** Fixed port for the environment's endpoint; 0 picks a free one once and keeps it. */
  port: z.number().int().min(0).max(65535).default(0),
  /** Seconds the endpoint lets in-flight requests finish after deregistering an instance. */
  drainSeconds: z.number().min(0).default(1),
});

/** Where the environment lives on AWS. Every name defaults to `<app>-<env>`. */
const AwsSettingsSchema = z.strictObject({
  region: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
  pipeline: z.string().min(1).optional(),
  codebuildProject: z.string().min(1).optional(),
  codedeployApplication: z.string().min(1).optional(),
  deploymentGroup: z.string().min(1).optional(),
  /** CloudWatch Logs group of the build; default /aws/codebuild/<project>. */
  logGroup: z.string().min(1).optional(),
  /** CloudWatch Logs group the instances ship the service's and the CodeDeploy agent's logs to (`mod logs`), one stream per instance id prefix; default /<app>/<env>. */
  serviceLogGroup: z.string().min(1).optional(),
  /** ALB target groups of the instances, when the deployment group has no load balancer info (ALB attached to the Auto Scaling group). */
  targetGroups: z.array(z.string().min(1)).default([]),
  /** Canary (issue 12): the one-instance deployment group of the canary, default <app>-<env>-canary. */
  canaryDeploymentGroup: z.string().min(1).optional(),
  /** The canary's own target group, default <app>-<env>-canary. */
  canaryTargetGroup: z.string().min(1).optional(),
  /** The fresh baseline's target group, default <app>-<env>-baseline. */
  baselineTargetGroup: z.string().min(1).optional(),
  /** The baseline's one-instance deployment group (mod deploys the current revision there), default <app>-<env>-baseline. */
  baselineDeploymentGroup: z.string().min(1).optional(),
  /** Issue 13: the S3 bucket (versioning enabled) model releases upload to; required for `mod model release` on AWS. */
  modelBucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens')
    .optional(),
  /** The SSM parameter holding the model pointer the instances poll (MODEL_SOURCE=ssm:<name>); default /mod/<env>/model. */
  modelParameter: z
    .string()
    .max(1011)
    .regex(/^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'an SSM parameter name like /mod/stage/model (letters, digits, _ . - and / between levels)')
    .refine((name) => !/^\/?(aws|ssm)/i.test(name), 'names starting with aws or ssm are reserved by SSM')
    .optional(),
  /** The git remote CodePipeline's source watches. */
  remote: z.string().min(1).default('origin'),
  /** How long to wait for the push to start a pipeline execution before starting one. */
  executionStartTimeoutSeconds: z.number().int().min(1).default(30),
  pollSeconds: z.number().positive().default(5),
});
export type AwsSettings = z.infer<typeof AwsSettingsSchema>;

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day like 10:00');

/** Release gates. A gate set to false is off; an environment without `gates` gets the defaults of its kind. */
const GatesSchema = z.strictObject({
  ticket: z
    .union([
      z.literal(false),
      z.strictObject({
        /** Regular expressions; a PR description must match one. */
        patterns: z.array(z.string().min(1)).default(['\\b[A-Z][A-Z0-9]+-\\d+\\b', 'https?://\\S+/issues/\\d+', 'https?://\\S+/browse/[A-Z][A-Z0-9]+-\\d+']),
      }),
    ])
    .optional(),
  'peer-review': z.union([z.literal(false), z.strictObject({ label: z.string().min(1).default('LGTM') })]).optional(),
  migrations: z.union([z.literal(false), z.strictObject({ directory: z.string().min(1).default('migrations') })]).optional(),
  approval: z
    .union([
      z.literal(false),
      z.strictObject({
        approvers: z.array(z.string().min(1)).default([]),
        /** A GitHub team whose members may approve: org/team-slug. */
        team: z
          .string()
          .regex(/^[\w.-]+\/[\w.-]+$/, 'org/team-slug')
          .optional(),
      }),
    ])
    .optional(),
  window: z
    .union([
      z.literal(false),
      z.strictObject({
        timezone: z.string().min(1).default('UTC'),
        days: z.array(z.enum(WEEKDAYS)).min(1).default(['Mon', 'Tue', 'Wed', 'Thu']),
        from: clock.default('10:00'),
        to: clock.default('18:00'),
        /** An iCalendar feed (file path or https URL) whose events are freeze periods. */
        freezeCalendar: z.string().min(1).optional(),
        /** An iCalendar feed (file path or https URL) whose events are the planned release slots: when set, they replace days/from/to. */
        releaseCalendar: z.string().min(1).optional(),
      }),
    ])
    .optional(),
});
export type GatesConfig = z.infer<typeof GatesSchema>;

/** Canary analysis before the rollout (issue 12): a canary and a fresh baseline, judged. */
const CanarySchema = z.strictObject({
  /** % of traffic to the canary; the same share to a fresh baseline. */
  weight: z.number().min(1).max(50).default(25),
  durationSeconds: z.number().min(1).default(120),
  /** Per metric: fewer samples on either side is "insufficient data" (Marginal, never Pass). */
  minSamples: z.number().int().min(1).default(50),
  thresholds: z
    .strictObject({ pass: z.number().min(0).max(100).default(90), marginal: z.number().min(0).max(100).default(75) })
    .refine((t) => t.marginal <= t.pass, 'marginal must not be above pass')
    .default({ pass: 90, marginal: 75 }),
  onMarginal: z.enum(['pause', 'continue', 'fail']).default('pause'),
});

const EnvironmentSchema = z.strictObject({
  branch: z.string().min(1),
  aliases: z.array(z.string().min(1)).default([]),
  provider: z.enum(['local', 'aws']).default('local'),
  instances: z.number().int().min(1).max(20).default(2),
  rollout: RolloutSchema.default('OneAtATime'),
  /** in-place (default) replaces the revision on each instance; blue-green installs it on a replacement fleet and switches traffic. */
  deploymentType: z.enum(['in-place', 'blue-green']).default('in-place'),
  /** Blue/green: how long the original fleet is kept after the switch (a fast rollback re-routes to it). */
  blueGreen: z.strictObject({ terminationWaitSeconds: z.number().int().min(0).max(172800).default(600) }).default({ terminationWaitSeconds: 600 }),
  canary: CanarySchema.optional(),
  healthCheck: HealthCheckSchema.default(HealthCheckSchema.parse({})),
  /** Default and ceiling for an appspec hook's timeout, in seconds. */
  hookTimeoutSeconds: z.number().int().min(1).max(3600).default(3600),
  buildTimeoutSeconds: z.number().int().min(1).default(1800),
  autoRollback: z.boolean().default(true),
  /** The shared database of the environment's instances; unset = embedded PGlite. */
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\/[^\s…]+$/, 'a postgres:// URL')
    .optional(),
  /** Extra environment variables for every instance. */
  variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  requireConfirmation: z.boolean().optional(),
  local: LocalSettingsSchema.default(LocalSettingsSchema.parse({})),
  aws: AwsSettingsSchema.default(AwsSettingsSchema.parse({})),
  gates: GatesSchema.optional(),
});
export type EnvironmentConfig = z.infer<typeof EnvironmentSchema>;

/** Issue 16: who may do what from Slack (`mod bot serve`). */
export const CHATOPS_ROLES = ['deployer', 'releaser', 'approver'] as const;
export type ChatopsRole = (typeof CHATOPS_ROLES)[number];
const ChatopsSchema = z.strictObject({
  /** Slack user id -> GitHub login and roles: deployer (non-production), releaser (production-like), approver (approves production deploys). */
  users: z
    .record(
      z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id like U0ALICE (Slack: profile, "Copy member ID")'),
      z.strictObject({
        github: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, 'a GitHub login'),
        roles: z.array(z.enum(CHATOPS_ROLES)).min(1),
      }),
    )
    .default({}),
  /** Where approval requests go (a channel id like C0RELEASES); default: the channel the command came from. */
  approvalChannel: z
    .string()
    .regex(/^[CG][A-Z0-9]+$/, 'a Slack channel id like C0RELEASES')
    .optional(),
  /** How long an approval request can be answered and a Slack approval counts, in hours (default 24). */
  approvalTtlHours: z.number().positive().max(720, 'at most 720 (30 days)').optional(),
});
export type ChatopsConfig = z.infer<typeof ChatopsSchema>;

export const ConfigSchema = z.strictObject({
  app: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, ".", "_" or "-"'),
  github: z
    .strictObject({
      /** owner/name; default: parsed from the origin remote's URL. */
      repository: z
        .string()
        .regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name')
        .optional(),
      /** GitHub Enterprise: https://github.example.com/api/v3 */
      baseUrl: z.string().url().default('https://api.github.com'),
    })
    .default({ baseUrl: 'https://api.github.com' }),
  notifications: z
    .strictObject({
      /** Slack incoming webhook; default: the SLACK_WEBHOOK_URL environment variable. */
      slackWebhookUrl: z.string().url().optional(),
    })
    .default({}),
  chatops: ChatopsSchema.default({ users: {} }),
  environments: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), EnvironmentSchema).refine((envs) => Object.keys(envs).length > 0, 'at least one environment'),
});
export type ModConfig = z.infer<typeof ConfigSchema>;

export interface Environment extends EnvironmentConfig {
  name: string;
  app: string;
}

export type GateName = 'ticket' | 'peer-review' | 'migrations' | 'approval' | 'window';
export const GATE_NAMES: GateName[] = ['ticket', 'peer-review', 'migrations', 'approval', 'window'];

/** The gates an environment enforces, with settings: production-like environments get all five by default. */
export function gatesOf(env: Environment): Partial<Required<{ [K in keyof GatesConfig]: Exclude<NonNullable<GatesConfig[K]>, false> }>> {
  const productionLike = env.name === 'production' || env.branch === 'master' || env.branch === 'main';
  const parsed = GatesSchema.parse(env.gates ?? (productionLike ? { ticket: {}, 'peer-review': {}, migrations: {}, approval: {}, window: {} } : {}));
  const result: Record<string, unknown> = {};
  for (const name of GATE_NAMES) {
    const value = parsed[name];
    if (value) result[name] = value;
  }
  return result;
}

export interface LoadedConfig {
  root: string;
  file: string;
  config: ModConfig;
}

/** Built-in defaults when a repository has no mod.config.yml yet. */
export const DEFAULT_CONFIG_YAML = `app: mod-app
environments:
  stage:
    branch: stage
    aliases: [staging]
  production:
    branch: master
    aliases: [prod]
    requireConfirmation: true
`;

export async function loadConfig(root: string): Promise<LoadedConfig> {
  const file = path.join(root, CONFIG_FILE);
  const relative = path.relative(process.cwd(), file);
  const config = await readYamlSpec(file, ConfigSchema, relative && !relative.startsWith('..') ? relative : file);
  checkAliases(config);
  return { root, file, config };
}

export function configExists(root: string): boolean {
  return existsSync(path.join(root, CONFIG_FILE));
}

function checkAliases(config: ModConfig): void {
  const seen = new Map<string, string>();
  for (const [name, env] of Object.entries(config.environments)) {
    for (const key of [name, ...env.aliases]) {
      const other = seen.get(key);
      if (other && other !== name) {
        throw new UsageError(`${CONFIG_FILE}: "${key}" names both environment "${other}" and "${name}"`, 'make each environment name and alias unique');
      }
      seen.set(key, name);
    }
  }
}

export function environmentNames(config: ModConfig): string[] {
  return Object.keys(config.environments);
}

export function resolveEnvironment(config: ModConfig, nameOrAlias: string): Environment {
  for (const [name, env] of Object.entries(config.environments)) {
    if (name === nameOrAlias || env.aliases.includes(nameOrAlias)) {
      return { ...env, name, app: config.app };
    }
  }
  const known = Object.entries(config.environments)
    .map(([name, env]) => (env.aliases.length ? `${name} (${env.aliases.join(', ')})` : name))
    .join(', ');
  throw new UsageError(`unknown environment "${nameOrAlias}"`, `use one of: ${known}`);
}

/** Production-like environments ask before deploying. */
export function needsConfirmation(env: Environment): boolean {
  return env.requireConfirmation ?? (env.name === 'production' || env.branch === 'master' || env.branch === 'main');
}
