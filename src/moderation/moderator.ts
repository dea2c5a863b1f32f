// What the service and `mod moderate` call: contact rules first, then the
// classifier's NG score and categories, then the decision policy (the
// model's thresholds, chosen end to end, and the configured action per
// category).
//   { text, kind?, userId?, id? } -> { decision, category, categories, score, reasons, modelVersion, margin }
import type { Category } from './categories.js';
import type { CategoryScore } from './classifier.js';
import type { CategoryRuleCode } from './category-rules.js';
import type { ContactReasonCode, RuleSeverity } from './contact-rules.js';
import { decideText, ruleCategory, ruleVerdicts } from './decide-text.js';
import { decisionMargin } from './decision-margin.js';
import { TextTooLongError } from './errors.js';
import { DEFAULT_MAX_TEXT_LENGTH } from './limits.js';
import { modelPolicy, readModelArtifact, type LoadedModel } from './model-artifact.js';
import { normalise } from './normalise.js';
import type { DecisionPolicy } from './policy.js';
import type { Decision, Thresholds } from './thresholds.js';

export interface ModerationRequest {
  text: string;
  /** What the text is (message, profile, listing...): echoed, not used by the model yet. */
  kind?: string;
  userId?: string;
  id?: string;
}

export type ModerationReasonCode = ContactReasonCode | CategoryRuleCode | 'model.reject' | 'model.review' | 'policy.review';

export interface ModerationReason {
  code: ModerationReasonCode;
  message: string;
  /** The policy category the reason is evidence of. */
  category?: Category;
  /** For rules: the variant that fired and where, in the original text. */
  rule?: string;
  severity?: RuleSeverity;
  span?: { start: number; end: number; text: string };
}

export interface ModerationResult {
  id?: string;
  decision: Decision;
  /** The top category behind a review or reject; null for an approved post. */
  category: Category | null;
  /** Every category's share of the NG score, highest first. */
  categories: CategoryScore[];
  /** Calibrated probability that the text is NG. */
  score: number;
  reasons: ModerationReason[];
  modelVersion: string;
  /**
   * How close the decision is to changing (issue 13, active learning): the
   * smallest |score - threshold| over the thresholds that decide the post
   * (the approve threshold of the NG score, the reject threshold of the
   * post's category, or of a category a rule hit can be switched to) where
   * crossing it changes the decision; 0 = on a threshold. A decision no
   * score can change (a reject-severity rule such as contact details, a
   * category the policy always reviews, with a rule hit) is certain: 1.
   * Rounded to 6 decimals (decision-margin.ts). The review queue serves the
   * smallest margins first.
   */
  margin?: number;
}

export interface ModeratorOptions {
  /** Longer text is refused (TextTooLongError): scoring cost stays bounded. */
  maxTextLength?: number;
  /** The decision policy; default: the model's thresholds and every category may be auto-rejected. */
  policy?: DecisionPolicy;
  /** Overrides the policy's approve and reject thresholds for every category (tests, experiments). */
  thresholds?: Thresholds;
}

export { DEFAULT_MAX_TEXT_LENGTH } from './limits.js';

const RULE_MESSAGES: Record<ContactReasonCode, string> = {
  'contact.email': 'an e-mail address',
  'contact.phone': 'a phone number',
  'contact.url': 'a link or web address',
  'contact.messenger-id': 'a messenger or social-media ID',
  'contact.exchange-phrase': 'a request to exchange contact details or move off the platform',
};

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export class Moderator {
  readonly maxTextLength: number;
  readonly policy: DecisionPolicy;

  constructor(
    readonly model: LoadedModel,
    options: ModeratorOptions = {},
  ) {
    this.maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
    const policy = options.policy ?? modelPolicy(model.manifest);
    const t = options.thresholds;
    this.policy = t ? { approveBelow: t.approveBelow, rejectAbove: t.rejectAbove, categories: Object.fromEntries(Object.entries(policy.categories).map(([c, p]) => [c, { ...p, rejectAbove: t.rejectAbove }])) as DecisionPolicy['categories'] } : policy;
  }

  static async load(artifact: string, options?: ModeratorOptions | ((model: LoadedModel) => ModeratorOptions)): Promise<Moderator> {
    const model = await readModelArtifact(artifact);
    return new Moderator(model, typeof options === 'function' ? options(model) : options);
  }

  get modelVersion(): string {
    return this.model.manifest.version;
  }

  /** Calibrated probability of NG for raw text. */
  score(text: string): number {
    this.checkLength(text);
    return this.model.classifier.score(normalise(text).text);
  }

  moderate(request: ModerationRequest): ModerationResult {
    const { text } = request;
    this.checkLength(text, request.id);
    const { hits, termHits, score, categories, decision, category } = decideText(this.model.classifier, this.policy, text);
    const margin = decisionMargin(score, categories, ruleVerdicts(hits, termHits), this.policy);
    const reasons: ModerationReason[] = hits.map((hit) => ({
      code: hit.code,
      message: `contains ${RULE_MESSAGES[hit.code]}: "${hit.match}"`,
      category: ruleCategory(hit),
      rule: hit.rule,
      severity: hit.severity,
      span: { start: hit.start, end: hit.end, text: hit.match },
    }));
    for (const hit of termHits) {
      reasons.push({ code: hit.code, message: `contains words of ${hit.category}: "${hit.match}"`, category: hit.category, rule: hit.rule, severity: hit.severity, span: { start: hit.start, end: hit.end, text: hit.match } });
    }
    if (decision !== 'approve') {
      const threshold = category === null ? this.policy.rejectAbove : this.policy.categories[category].rejectAbove;
      const about = category === null ? '' : ` (${category})`;
      if (decision === 'reject' && score > threshold) reasons.push({ code: 'model.reject', message: `classifier score ${score.toFixed(3)}${about} is above the reject threshold ${threshold.toFixed(3)}`, ...(category ? { category } : {}) });
      else if (decision === 'review' && category !== null && this.policy.categories[category].action === 'review') reasons.push({ code: 'policy.review', message: `the policy sends every ${category} post to a person`, category });
      else if (decision === 'review' && score >= this.policy.approveBelow)
        reasons.push({ code: 'model.review', message: `classifier score ${score.toFixed(3)}${about} is not below the approve threshold ${this.policy.approveBelow.toFixed(3)}`, ...(category ? { category } : {}) });
    }
    const result: ModerationResult = {
      decision,
      category,
      categories: categories.map((c) => ({ name: c.name, score: round(c.score) })),
      score: round(score),
      reasons,
      modelVersion: this.modelVersion,
      margin,
    };
    return request.id === undefined ? result : { id: request.id, ...result };
  }

  private checkLength(text: string, id?: string): void {
    if (text.length > this.maxTextLength) throw new TextTooLongError(text.length, this.maxTextLength, id);
  }
}

/** One-shot scoring with a loaded model: the calibrated probability of NG. */
export function scoreText(model: LoadedModel, text: string): number {
  return model.classifier.score(normalise(text).text);
}
