// `mod model shadow-report` as the CLI shows it: the JSON contract and the
// human report (agreement, the live x shadow decision table, agreement per
// category, the disagreeing cells with example post ids, texts only when
// asked for). With nothing scored it says why: the active shadow has seen no
// post yet, the version asked for scored nothing, or no shadow runs.
import type { Agreement, ShadowReport, ShadowVersionSeen } from '../../moderation/shadow-report.js';
import { DECISIONS } from '../../moderation/shadow-report.js';

/** The shadow the env's model pointer names now. */
export interface ActiveShadow {
  version: string;
  /** The pointer's release (the shadow action, or a later release that kept it). */
  releaseId: string;
}

/** A model pointer that cannot be read, as the report says it. */
export interface PointerError {
  code: string;
  message: string;
  hint: string | null;
}

export interface ShadowReportView {
  environment: string;
  report: ShadowReport;
  /** The live model versions that decided the shadowed posts. */
  liveVersions: string[];
  versionsSeen: ShadowVersionSeen[];
  /** The env's active shadow: null when none, undefined when the pointer could not be read. */
  activeShadow?: ActiveShadow | null;
  /** The env's pointer is there but cannot be read (MODEL_POINTER_INVALID): which shadow is active is unknown. */
  pointerError?: PointerError;
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
    activeShadow: view.activeShadow ?? null,
    pointerError: view.pointerError ?? null,
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

/** The pointer that cannot be read, first: without it the report cannot say which shadow is active. */
function pointerLines(view: ShadowReportView): string[] {
  const e = view.pointerError;
  if (!e) return [];
  return [`${view.environment}: ${e.message}: which shadow model is active is unknown (the posts below are what the database stored)`, ...(e.hint ? [`  ${e.hint}`] : [])];
}

/** No post scored: the active shadow has seen none yet, the version asked for scored none, or no shadow runs. */
function nothingScored(view: ShadowReportView): string {
  const { report, environment } = view;
  const since = report.since.toISOString();
  const active = view.activeShadow;
  const version = report.shadowVersion;
  const seen = view.versionsSeen.length > 0 ? ` (shadow models seen since then: ${view.versionsSeen.map((v) => `${v.version} ${v.posts} posts`).join(', ')})` : '';
  if (active && version === active.version) {
    return [
      `${environment}: shadow model ${version} is active (release ${active.releaseId}), but no post has been scored by it since ${since}: none has arrived yet`,
      '  it scores every new post the endpoint decides (the live model answers); run this again once posts have come in',
    ].join('\n');
  }
  if (version !== null) {
    const next = active ? `  the active shadow is ${active.version} (release ${active.releaseId}): mod model shadow-report --env ${environment}` : `  to shadow it: mod model shadow --env ${environment} --model <its artifact dir>`;
    return [`${environment}: model ${version} scored no posts as a shadow since ${since}${seen}`, next].join('\n');
  }
  if (view.pointerError) return `${environment}: no post was scored by a shadow model since ${since}${seen}`;
  return [`${environment}: no post was scored by a shadow model since ${since}${seen}`, `  to start one: mod model shadow --env ${environment} --model <dir>`].join('\n');
}

const oneLine = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
};

export function shadowReportText(view: ShadowReportView): string {
  const { report, environment, texts } = view;
  const since = report.since.toISOString();
  const active = view.activeShadow;
  if (report.total === 0) return [...pointerLines(view), nothingScored(view)].join('\n');
  const a = report.agreement;
  const lines = [
    ...pointerLines(view),
    `${environment}: shadow model ${report.shadowVersion} next to live ${view.liveVersions.join(', ') || 'n/a'}, ${report.total} posts since ${since}`,
    ...(active && active.version !== report.shadowVersion ? [`  (not the active shadow: that is ${active.version}, release ${active.releaseId})`] : []),
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
