// `mod model eval --agreement`: the moderators' agreement on second opinions,
// as JSON (the same fields as GET /v1/reviews/agreement, with the
// environment) and as text.
import type { AgreementSummary } from '../../moderation/agreement.js';
import type { SecondOpinionStats } from '../../moderation/post-records.js';

export interface AgreementReport extends AgreementSummary {
  environment: string;
  conflicts: SecondOpinionStats['conflicts'];
}

export function agreementJson(report: AgreementReport) {
  return { schemaVersion: 1, ...report };
}

const share = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

export function agreementText(report: AgreementReport): string {
  if (report.pairs === 0) return `${report.environment}: no post has two moderators' labels yet (REVIEW_SECOND_OPINION_SHARE of reviews get a second opinion; 0 turns them off)`;
  const lines = [
    `moderator agreement in ${report.environment}: ${report.pairs} post${report.pairs === 1 ? '' : 's'} with two labels`,
    `  agreed    ${report.agreed} (${share(report.observedAgreement)})`,
    `  kappa     ${report.kappa === null ? '- (both always chose the same label: chance agreement is 1)' : `${report.kappa.toFixed(3)} (Cohen's: 1 = always agree, 0 = no better than chance)`}`,
    '  label                 pairs  agreed  specific agreement',
    ...Object.entries(report.byCategory).map(([word, w]) => `  ${word.padEnd(20)} ${String(w.pairs).padStart(6)} ${String(w.agreed).padStart(7)}  ${share(w.specificAgreement)}`),
  ];
  const { count, ids } = report.conflicts;
  lines.push(count === 0 ? '  conflicts none' : `  conflicts ${count} (not trained on; newest first): ${ids.slice(0, 10).join(', ')}${count > 10 ? ', ...' : ''}`);
  return lines.join('\n');
}
