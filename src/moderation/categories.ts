// The policy words moderators use for what must not be published. Every
// decision names the top one (or none for an approved ordinary post), rules
// carry theirs, and labels in training data, the review API, the label export
// and `mod model eval` use the same names.

export const CATEGORIES = ['contact', 'solicitation', 'scam', 'abuse', 'spam', 'offplatform_payment', 'minor'] as const;
export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_DESCRIPTIONS: Record<Category, string> = {
  contact: 'exchanging contact details or moving to another app (phone, e-mail, messenger/SNS IDs, QR codes), however obfuscated',
  solicitation: 'paid dating, prostitution and its slang, sexual propositions',
  scam: 'investment, crypto, FX, side jobs, romance scams asking for money, sakura sites, phishing',
  abuse: 'insults, threats, harassment, discrimination',
  spam: 'ads, follower selling, repeated promotion',
  offplatform_payment: 'paying or being paid outside the app',
  minor: 'self-declared or sought minors',
};

/**
 * When a text fits several categories, the one a moderator acts on first
 * (the label written for it, and the tie-break between equal scores).
 */
export const CATEGORY_PRIORITY: readonly Category[] = ['minor', 'solicitation', 'scam', 'offplatform_payment', 'contact', 'abuse', 'spam'];

const CATEGORY_SET: ReadonlySet<string> = new Set(CATEGORIES);

export function isCategory(value: unknown): value is Category {
  return typeof value === 'string' && CATEGORY_SET.has(value);
}

/** The label words accepted in data and by the review API: ok, a category, or the old binary ng. */
export const LABEL_WORDS: readonly string[] = ['ok', ...CATEGORIES, 'ng'];
