// The decision policy as configured: a YAML (or JSON) file that may set the
// approve threshold and, per category, its action (reject | review) and its
// reject threshold. What it leaves out comes from the model (its thresholds
// were chosen on validation data) and the defaults (every category may be
// auto-rejected). Unknown keys and out-of-range values are errors that name
// the key.
//
//   # moderation-policy.yml
//   approveBelow: 0.02            # optional; default: the model's
//   rejectAbove: 0.9              # optional: for NG of no known category (binary models)
//   categories:
//     minor: { action: review }   # a person always looks at posts about minors
//     contact: { rejectAbove: 0.6 }
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CATEGORIES, type Category } from './categories.js';
import { PolicyError } from './errors.js';
import type { DecisionPolicy } from './policy.js';

const probability = z.number().min(0).max(1);
const categoryPolicy = z.strictObject({ action: z.enum(['reject', 'review']).optional(), rejectAbove: probability.optional() });
const policySchema = z.strictObject({
  approveBelow: probability.optional(),
  rejectAbove: probability.optional(),
  categories: z.strictObject(Object.fromEntries(CATEGORIES.map((c) => [c, categoryPolicy.optional()])) as Record<Category, z.ZodOptional<typeof categoryPolicy>>).optional(),
});

export type PolicyOverrides = z.infer<typeof policySchema>;

/** Checks a parsed policy document; `source` names it in errors. */
export function parsePolicyOverrides(value: unknown, source: string): PolicyOverrides {
  const parsed = policySchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(root)';
    throw new PolicyError(`${where}: ${issue?.message ?? 'invalid'}`, {
      file: source,
      hint: `keys: approveBelow, rejectAbove, categories.<${CATEGORIES.join('|')}>.{action: reject|review, rejectAbove}; thresholds are between 0 and 1`,
    });
  }
  return parsed.data;
}

export async function readPolicyFile(file: string): Promise<PolicyOverrides> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PolicyError((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such policy file' : `cannot read: ${(error as Error).message}`, { file, cause: error });
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new PolicyError(`not valid YAML: ${(error as Error).message}`, { file });
  }
  return parsePolicyOverrides(value, file);
}

/**
 * The model's policy with the configured overrides applied. A category that
 * would reject below the approve threshold is refused: such a cut cannot
 * mean what it says (`source` names the file in the error).
 */
export function applyPolicyOverrides(base: DecisionPolicy, overrides: PolicyOverrides, source = 'policy'): DecisionPolicy {
  const categories = { ...base.categories };
  for (const c of CATEGORIES) {
    const o = overrides.categories?.[c];
    if (o) categories[c] = { action: o.action ?? categories[c].action, rejectAbove: o.rejectAbove ?? categories[c].rejectAbove };
  }
  const policy = { approveBelow: overrides.approveBelow ?? base.approveBelow, rejectAbove: overrides.rejectAbove ?? base.rejectAbove, categories };
  const below = [...Object.entries(categories).map(([c, p]) => [`categories.${c}.rejectAbove`, p.rejectAbove] as const), ['rejectAbove', policy.rejectAbove] as const].filter(([, t]) => t < policy.approveBelow);
  if (below.length > 0) {
    throw new PolicyError(`${below.map(([k, t]) => `${k} ${t}`).join(', ')} below approveBelow ${policy.approveBelow}: a post cannot be both approved and rejected`, {
      file: source,
      hint: 'lower approveBelow or raise those rejectAbove values (values the file leaves out come from the model: see mod model eval)',
    });
  }
  return policy;
}
