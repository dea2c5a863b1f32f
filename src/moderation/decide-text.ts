// One post through the whole decision: normalise, contact rules, the
// classifier's NG score and categories, the policy. The Moderator builds its
// answer from this; training and evaluation measure decisions with it.
import type { TextClassifier, TextScores } from './classifier.js';
import { contactRulesIn, type RuleHit } from './contact-rules.js';
import type { Category } from './categories.js';
import { normalise } from './normalise.js';
import { decideWithPolicy, type DecisionPolicy, type RuleVerdict } from './policy.js';
import type { Decision } from './thresholds.js';

export interface TextDecision extends TextScores {
  decision: Decision;
  category: Category | null;
  hits: RuleHit[];
}

/** Every rule today catches contact exchange. */
export function ruleCategory(_hit: Pick<RuleHit, 'code'>): Category {
  return 'contact';
}

export function ruleVerdicts(hits: readonly Pick<RuleHit, 'code' | 'severity'>[]): RuleVerdict[] {
  return hits.map((hit) => ({ category: ruleCategory(hit), severity: hit.severity }));
}

export function decideText(classifier: TextClassifier, policy: DecisionPolicy, text: string): TextDecision {
  const normalised = normalise(text, { offsets: true });
  // The rules run once: their hits decide, their codes are model features.
  const { hits, ruleCodes } = contactRulesIn(normalised);
  const scores = classifier.scores(normalised.text, ruleCodes);
  const { decision, category } = decideWithPolicy(scores.score, scores.categories, ruleVerdicts(hits), policy);
  return { ...scores, decision, category: decision === 'approve' ? null : category, hits };
}
