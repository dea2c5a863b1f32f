// The label export's format: moderators' labels as CSV or JSONL lines that
// labelled-data.ts (what `mod model train` reads) parses back; the extra
// fields (category, post id, decision time) are ignored by it. Shared by the
// service's GET /v1/labels/export and `mod service export-labels`.
import type { LabelledPost } from './post-records.js';

export const LABELS_CSV_HEADER = 'text,label,category,post_id,decided_at\n';

function csvField(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** One line of the label export, in the format `mod model train` reads (extra fields are ignored by it). */
export function formatLabel(item: LabelledPost, format: 'csv' | 'jsonl'): string {
  if (format === 'jsonl') return `${JSON.stringify({ text: item.text, label: item.label, category: item.category, postId: item.postId, decidedAt: item.decidedAt.toISOString() })}\n`;
  return `${[csvField(item.text), item.label, item.category === null ? '' : csvField(item.category), csvField(item.postId), item.decidedAt.toISOString()].join(',')}\n`;
}
