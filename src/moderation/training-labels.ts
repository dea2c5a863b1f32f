// Moderators' labels merged with the repository's training data (issue 13,
// `mod model train --from-db`). Pure: the labels are read elsewhere.
//
// Texts are the same message when their normalised text is (as the training
// de-duplication decides). Among moderators the latest decision wins (ties
// broken by label, category and moderator, so the result does not depend on
// row order); a moderator's label beats the repository's for the same text.
// The fingerprint covers the labels used: sorted (normalised text, label,
// category) lines, sha256. A moderator's label of a text in the check set
// the model gate judges on (its normalised text) is left out and counted: a
// model must not train on the posts it is judged on.
import { createHash } from 'node:crypto';
import { isCategory, type Category } from './categories.js';
import type { Label, LabelledText } from './labelled-data.js';
import { normaliseText } from './normalise.js';
import { classOf } from './splits.js';

/** One moderator's decided label as read from the env's database (conflicting reviews already left out). */
export interface ModeratorLabel {
  text: string;
  label: Label;
  /** The NG category as stored (labels from before the API checked it may hold any text). */
  category: string | null;
  decidedBy: string | null;
  decidedAt: Date;
}

export interface LabelMerge {
  /** Moderators' labels (one per normalised text) first, then the repository's examples they did not replace. */
  examples: LabelledText[];
  /** The moderators' labels trained on (one per normalised text). */
  used: number;
  /** Moderators' labels left out because a later one labelled the same text. */
  superseded: number;
  /** Moderators' labels left out because their text is in the check set (options.checkSet). */
  checkSetExcluded: number;
  /** Repository examples dropped because a moderator labelled the same text otherwise (another label or category). */
  replacedRepoLabels: number;
  /** sha256 of the labels used (see above), `sha256:<hex>`. */
  fingerprint: string;
  /** The earliest and latest decision among the labels used; null when none. */
  from: Date | null;
  to: Date | null;
}

const keyOf = (text: string): string => normaliseText(text).trim();

function asExample(l: ModeratorLabel): LabelledText {
  const category: Category | null = l.label === 'ng' && isCategory(l.category) ? l.category : null;
  return { text: l.text, label: l.label, category };
}

/** -1 / 0 / 1: which decision is earlier (then by label, category, moderator: an arbitrary but fixed order). */
function compareDecisions(a: ModeratorLabel, b: ModeratorLabel): number {
  const byTime = a.decidedAt.getTime() - b.decidedAt.getTime();
  if (byTime !== 0) return byTime < 0 ? -1 : 1;
  const tuple = (l: ModeratorLabel) => [l.label, l.category ?? '', l.decidedBy ?? '', l.text];
  const [x, y] = [tuple(a), tuple(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as string) < (y[i] as string) ? -1 : 1;
  return 0;
}

/** The fingerprint of labelled examples: sha256 over sorted "normalised text, label, category" lines. */
export function labelsFingerprint(examples: readonly LabelledText[]): string {
  const lines = examples.map((e) => `${keyOf(e.text)}\t${e.label}\t${e.label === 'ng' ? (e.category ?? '') : ''}`).sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\n');
  return `sha256:${hash.digest('hex')}`;
}

export interface MergeOptions {
  /** The texts the model gate judges on (data/ja-check.csv): moderators' labels of these are left out. */
  checkSet?: readonly { text: string }[];
}

export function mergeLabels(repo: readonly LabelledText[], moderators: readonly ModeratorLabel[], options: MergeOptions = {}): LabelMerge {
  const checkKeys = new Set((options.checkSet ?? []).map((e) => keyOf(e.text)));
  const latest = new Map<string, ModeratorLabel>();
  let superseded = 0;
  let checkSetExcluded = 0;
  for (const l of moderators) {
    const key = keyOf(l.text);
    if (checkKeys.has(key)) {
      checkSetExcluded++;
      continue;
    }
    const previous = latest.get(key);
    if (previous) superseded++;
    if (!previous || compareDecisions(l, previous) > 0) latest.set(key, l);
  }
  const chosen = [...latest.values()].sort(compareDecisions);
  const fromDb = chosen.map(asExample);
  const classByKey = new Map(fromDb.map((e) => [keyOf(e.text), classOf(e)]));
  let replacedRepoLabels = 0;
  const kept = repo.filter((e) => {
    const moderatorClass = classByKey.get(keyOf(e.text));
    if (moderatorClass === undefined || moderatorClass === classOf(e)) return true;
    replacedRepoLabels++;
    return false;
  });
  return {
    // First: training's de-duplication keeps the first of equal texts, so a repository copy that agrees counts as a duplicate.
    examples: [...fromDb, ...kept],
    used: chosen.length,
    superseded,
    checkSetExcluded,
    replacedRepoLabels,
    fingerprint: labelsFingerprint(fromDb),
    from: chosen[0]?.decidedAt ?? null,
    to: chosen[chosen.length - 1]?.decidedAt ?? null,
  };
}
