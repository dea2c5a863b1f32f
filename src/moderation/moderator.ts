// What the service and `mod moderate` call: contact rules first, then the
// classifier's calibrated score, then the model's two thresholds.
//   { text, kind?, userId?, id? } -> { decision, score, reasons, modelVersion }
import { contactRulesIn, type ContactReasonCode, type RuleSeverity } from './contact-rules.js';
import { TextTooLongError } from './errors.js';
import { readModelArtifact, type LoadedModel } from './model-artifact.js';
import { normalise } from './normalise.js';
import { decide, type Decision, type Thresholds } from './thresholds.js';

export interface ModerationRequest {
  text: string;
  /** What the text is (message, profile, listing...): echoed, not used by the model yet. */
  kind?: string;
  userId?: string;
  id?: string;
}

export type ModerationReasonCode = ContactReasonCode | 'model.reject' | 'model.review';

export interface ModerationReason {
  code: ModerationReasonCode;
  message: string;
  /** For rules: the variant that fired and where, in the original text. */
  rule?: string;
  severity?: RuleSeverity;
  span?: { start: number; end: number; text: string };
}

export interface ModerationResult {
  id?: string;
  decision: Decision;
  /** Calibrated probability that the text is NG. */
  score: number;
  reasons: ModerationReason[];
  modelVersion: string;
}

export interface ModeratorOptions {
  /** Longer text is refused (TextTooLongError): scoring cost stays bounded. */
  maxTextLength?: number;
  /** Overrides the model's own thresholds. */
  thresholds?: Thresholds;
}

export const DEFAULT_MAX_TEXT_LENGTH = 20_000;

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
  readonly thresholds: Thresholds;

  constructor(
    readonly model: LoadedModel,
    options: ModeratorOptions = {},
  ) {
    this.maxTextLength = options.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
    this.thresholds = options.thresholds ?? { approveBelow: model.manifest.thresholds.approveBelow, rejectAbove: model.manifest.thresholds.rejectAbove };
  }

  static async load(artifact: string, options?: ModeratorOptions): Promise<Moderator> {
    return new Moderator(await readModelArtifact(artifact), options);
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
    const normalised = normalise(text, { offsets: true });
    // The rules run once: their hits decide, their codes are model features.
    const { hits, ruleCodes } = contactRulesIn(normalised);
    const score = this.model.classifier.score(normalised.text, ruleCodes);
    const reasons: ModerationReason[] = hits.map((hit) => ({
      code: hit.code,
      message: `contains ${RULE_MESSAGES[hit.code]}: "${hit.match}"`,
      rule: hit.rule,
      severity: hit.severity,
      span: { start: hit.start, end: hit.end, text: hit.match },
    }));
    const byModel = decide(score, this.thresholds);
    let decision: Decision = byModel;
    if (hits.some((h) => h.severity === 'reject')) decision = 'reject';
    else if (hits.length > 0 && decision === 'approve') decision = 'review';
    if (byModel === 'reject') reasons.push({ code: 'model.reject', message: `classifier score ${score.toFixed(3)} is above the reject threshold ${this.thresholds.rejectAbove.toFixed(3)}` });
    else if (byModel === 'review') reasons.push({ code: 'model.review', message: `classifier score ${score.toFixed(3)} is between the thresholds ${this.thresholds.approveBelow.toFixed(3)} and ${this.thresholds.rejectAbove.toFixed(3)}` });
    const result: ModerationResult = { decision, score: round(score), reasons, modelVersion: this.modelVersion };
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
