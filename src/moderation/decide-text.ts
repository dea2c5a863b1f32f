// One post through the whole decision: normalise, the rules (contact details,
// category terms), the classifier's NG score and categories, the policy. The
// Moderator builds its answer from this; training and evaluation measure
// decisions with it.
import type { Category } from './categories.js';
import { categoryRulesIn, type CategoryRuleHit } from './category-rules.js';
import type { TextClassifier, TextScores } from './classifier.js';
import { contactRulesIn, type RuleHit } from './contact-rules.js';
import { normalise, type NormalisedText } from './normalise.js';
import { decideWithPolicy, type DecisionPolicy, type RuleVerdict } from './policy.js';
import type { Decision } from './thresholds.js';

export interface TextDecision extends TextScores {
  decision: Decision;
  category: Category | null;
  /** Contact-detail hits. */
  hits: RuleHit[];
  /** Category-term hits. */
  termHits: CategoryRuleHit[];
}

export interface RuleResults {
  hits: RuleHit[];
  termHits: CategoryRuleHit[];
  /** Codes of every contact rule that fired, for the classifier's rule features. */
  ruleCodes: string[];
  verdicts: RuleVerdict[];
}

/** Every contact rule catches contact exchange. */
export function ruleCategory(_hit: Pick<RuleHit, 'code'>): Category {
  return 'contact';
}

export function ruleVerdicts(hits: readonly Pick<RuleHit, 'code' | 'severity'>[], termHits: readonly CategoryRuleHit[] = []): RuleVerdict[] {
  return [...hits.map((hit) => ({ category: ruleCategory(hit), severity: hit.severity })), ...termHits.map((hit) => ({ category: hit.category, severity: hit.severity }))];
}

/** Both rule sets on text normalised with `{ offsets: true }`, run once. */
export function runRules(normalised: NormalisedText): RuleResults {
  const { hits, ruleCodes } = contactRulesIn(normalised);
  const termHits = categoryRulesIn(normalised);
  return { hits, termHits, ruleCodes, verdicts: ruleVerdicts(hits, termHits) };
}

export function decideText(classifier: TextClassifier, policy: DecisionPolicy, text: string): TextDecision {
  const normalised = normalise(text, { offsets: true });
  const { hits, termHits, ruleCodes, verdicts } = runRules(normalised);
  const scores = classifier.scores(normalised.text, ruleCodes);
  const { decision, category } = decideWithPolicy(scores.score, scores.categories, verdicts, policy);
  return { ...scores, decision, category: decision === 'approve' ? null : category, hits, termHits };
}
