// `mod model shadow-report` as the CLI shows it: the JSON contract and the
// human report (agreement, the live x shadow decision table, agreement per
// category, the disagreeing cells with example post ids, texts only when
// asked for).
import type { Agreement, ShadowReport, ShadowVersionSeen } from '../../moderation/shadow-report.js';
import { DECISIONS } from '../../moderation/shadow-report.js';

export interface ShadowReportView {
  environment: string;
  report: ShadowReport;
  /** The live model versions that decided the shadowed posts. */
  liveVersions: string[];
  versionsSeen: ShadowVersionSeen[];
  /** Post id -> text, only with --show-text. */
  texts?: Map<string, string>;
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

function agreementJson(a: Agreement) {
  return { posts: a.posts, sameDecision: a.sameDecision, sameDecisionAndCategory: a.sameDecisionAndCategory, decisionAgreement: a.decisionRate, fullAgreement: a.fullRate };
}

export function shadowReportJson(view: ShadowReportView) {
  const { report, texts } = view;
  return {
    schemaVersion: 1,
    environment: view.environment,
    since: report.since.toISOString(),
    shadowVersion: report.shadowVersion,
    liveVersions: view.liveVersions,
    versionsSeen: view.versionsSeen.map((v) => ({ version: v.version, posts: v.posts, first: v.first.toISOString(), last: v.last.toISOString() })),
    total: report.total,
    agreement: agreementJson(report.agreement),
    matrix: report.matrix,
    byLiveCategory: Object.fromEntries(Object.entries(report.byLiveCategory).map(([k, a]) => [k, agreementJson(a)])),
    byShadowCategory: Object.fromEntries(Object.entries(report.byShadowCategory).map(([k, a]) => [k, agreementJson(a)])),
    disagreements: report.disagreements.map((d) => ({
      live: d.live,
      shadow: d.shadow,
      ...(d.liveCategory === undefined ? {} : { liveCategory: d.liveCategory, shadowCategory: d.shadowCategory }),
      posts: d.posts,
      examples: d.examples.map((postId) => (texts ? { postId, text: texts.get(postId) ?? null } : { postId })),
    })),
  };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}`.trimEnd());
}

function categoryTable(title: string, byCategory: Record<string, Agreement>): string[] {
  const rows = [[title, 'posts', 'same decision', '+ category'], ...Object.entries(byCategory).map(([c, a]) => [c, String(a.posts), pct(a.decisionRate), pct(a.fullRate)])];
  return table(rows);
}

const oneLine = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
};

export function shadowReportText(view: ShadowReportView): string {
  const { report, environment, texts } = view;
  const since = report.since.toISOString();
  if (report.total === 0) {
    const seen = view.versionsSeen.length > 0 ? ` (shadow models seen since then: ${view.versionsSeen.map((v) => `${v.version} ${v.posts} posts`).join(', ')})` : '';
    const which = report.shadowVersion ? `shadow model ${report.shadowVersion} scored no posts` : 'no post was scored by a shadow model';
    return [`${environment}: ${which} since ${since}${seen}`, `  to start one: mod model shadow --env ${environment} --model <dir>`].join('\n');
  }
  const a = report.agreement;
  const lines = [
    `${environment}: shadow model ${report.shadowVersion} next to live ${view.liveVersions.join(', ') || 'n/a'}, ${report.total} posts since ${since}`,
    `  agreement     same decision ${pct(a.decisionRate)} (${a.sameDecision}), same decision and category ${pct(a.fullRate)} (${a.sameDecisionAndCategory})`,
    '',
    ...table([['live \\ shadow', ...DECISIONS], ...DECISIONS.map((live) => [live, ...DECISIONS.map((shadow) => String(report.matrix[live][shadow]))])]),
    '',
    ...categoryTable('live category', report.byLiveCategory),
    '',
    ...categoryTable('shadow category', report.byShadowCategory),
  ];
  if (report.disagreements.length > 0) {
    lines.push('', 'disagreements (newest posts first):');
    for (const d of report.disagreements) {
      const cell = d.liveCategory === undefined ? `live ${d.live} / shadow ${d.shadow}` : `both ${d.live}, live ${d.liveCategory} / shadow ${d.shadowCategory}`;
      lines.push(`  ${cell}: ${d.posts} post${d.posts === 1 ? '' : 's'}`);
      if (texts) for (const id of d.examples) lines.push(`    ${id}  ${oneLine(texts.get(id) ?? '')}`);
      else if (d.examples.length > 0) lines.push(`    ${d.examples.join(', ')}`);
    }
    if (!texts) lines.push('  (post ids only; --show-text prints their texts)');
  }
  return lines.join('\n');
}
