// The label export's format: moderators' labels as CSV or JSONL lines that
// labelled-data.ts (what `mod model train` reads) parses back. The label is
// the word training data uses: `ok`, the category of an NG label when it is
// one of the policy's, or `ng` (old labels of no known category); the
// category column repeats the stored category, and the extra fields (post
// id, decision time) are ignored by the reader. Shared by the service's GET
// /v1/labels/export and `mod service export-labels`.
import { isCategory } from './categories.js';
import type { LabelledPost } from './post-records.js';

export const LABELS_CSV_HEADER = 'text,label,category,post_id,decided_at\n';

/** One exported label as a JSON object (a JSONL line, and `mod service export-labels --json`). */
export interface ExportedLabel {
  text: string;
  /** ok | a category | ng */
  label: string;
  category: string | null;
  postId: string;
  decidedAt: string;
}

/** The label word for a stored label: a category name for NG of a known category (normalised as labelled-data.ts reads one). */
export function exportedLabelWord(item: Pick<LabelledPost, 'label' | 'category'>): string {
  if (item.label !== 'ng' || item.category === null) return item.label;
  const named = item.category.trim().toLowerCase();
  return isCategory(named) ? named : 'ng';
}

export function exportedLabel(item: LabelledPost): ExportedLabel {
  return { text: item.text, label: exportedLabelWord(item), category: item.category, postId: item.postId, decidedAt: item.decidedAt.toISOString() };
}

function csvField(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** One line of the label export, in the format `mod model train` reads (extra fields are ignored by it). */
export function formatLabel(item: LabelledPost, format: 'csv' | 'jsonl'): string {
  if (format === 'jsonl') return `${JSON.stringify(exportedLabel(item))}\n`;
  return `${[csvField(item.text), exportedLabelWord(item), item.category === null ? '' : csvField(item.category), csvField(item.postId), item.decidedAt.toISOString()].join(',')}\n`;
}
