// Listing lines cut to the terminal (issue 17.17): long commit subjects end
// in an ellipsis in `mod history`'s listing and stay whole in --json; colour
// only for a terminal without NO_COLOR.
import { describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../src/delivery/deployment.js';
import { historyJson, historyText } from '../../src/cli/format/history-view.js';
import { statusJson, statusText } from '../../src/cli/format/status-view.js';
import type { EnvironmentStatus } from '../../src/delivery/status.js';
import { displayWidth, resultColour, SUBJECT_COLUMNS, truncateToWidth } from '../../src/cli/format/terminal-text.js';

const LONG = 'Rework the moderation queue so that reviewers see the oldest post first, with its category and the rule that held it back';

function record(subject: string): DeploymentRecord {
  return {
    deploymentId: 'd-20261202T000000-abcdef',
    environment: 'stage',
    status: 'Succeeded',
    revision: { commit: 'a'.repeat(40), subject },
    initiator: 'alice',
    startedAt: '2026-12-02T00:00:00.000Z',
    endedAt: '2026-12-02T00:00:05.000Z',
    instances: [],
  } as unknown as DeploymentRecord;
}

describe('issue 17.17: long commit subjects in tables', () => {
  it('cuts a long subject to the column budget with an ellipsis, and leaves a short one alone', () => {
    const cut = truncateToWidth(LONG);
    expect(cut.endsWith('…')).toBe(true);
    expect(displayWidth(cut)).toBeLessThanOrEqual(SUBJECT_COLUMNS);
    expect(LONG.startsWith(cut.slice(0, -1))).toBe(true);
    expect(truncateToWidth('Fix typo')).toBe('Fix typo');
    expect(truncateToWidth('x'.repeat(SUBJECT_COLUMNS))).toBe('x'.repeat(SUBJECT_COLUMNS));
    expect(truncateToWidth('x'.repeat(SUBJECT_COLUMNS + 1))).toHaveLength(SUBJECT_COLUMNS);
  });

  it('counts Japanese as two columns and never splits a character', () => {
    const subject = 'モデレーションのキューを古い投稿から順に表示するように変更し、カテゴリと保留の理由も表示する';
    const cut = truncateToWidth(subject, 20);
    expect(displayWidth(cut)).toBeLessThanOrEqual(20);
    expect(cut).toBe('モデレーションのキ…');
    expect(truncateToWidth('絵文字😀で終わる件名'.repeat(10), 11)).toMatch(/^絵文字😀で…$/);
  });

  it('puts a multi-line subject on one line', () => {
    expect(truncateToWidth('one\ntwo\t three')).toBe('one two three');
  });

  it('history: the listing cuts the subject, --json keeps it whole', () => {
    const text = historyText([record(LONG)], false, false);
    expect(text).not.toContain(LONG);
    expect(text.split('\n')[0]).toContain(truncateToWidth(LONG));
    expect(historyJson([record(LONG)]).deployments[0]!.revision.subject).toBe(LONG);
  });
});

describe('issue 17.17: long commit subjects in mod status', () => {
  it('the screen cuts the deployed and branch-head subjects, --json keeps them whole', () => {
    const now = Date.parse('2026-12-02T01:00:00.000Z');
    const environment = {
      name: 'stage',
      branch: 'stage',
      provider: 'local',
      endpoint: 'http://127.0.0.1:1',
      problems: [],
      warnings: [],
      deployed: { commit: 'a'.repeat(40), deploymentId: 'd-1', subject: LONG, author: 'alice', date: '2026-12-02T00:00:00.000Z', deployedAt: '2026-12-02T00:00:00.000Z' },
      branchHead: { commit: 'b'.repeat(40), exists: true, subject: `${LONG} (again)` },
      pending: 1,
      inFlight: null,
      instances: [],
      recent: [],
    } as unknown as EnvironmentStatus;
    const text = statusText([environment], false, now);
    expect(text).not.toContain(LONG);
    expect(text.match(new RegExp(truncateToWidth(LONG).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'))).toHaveLength(2);
    const json = statusJson([environment]).environments[0]!;
    expect(json.deployed!.subject).toBe(LONG);
    expect(json.branchHead).toMatchObject({ subject: `${LONG} (again)` });
  });
});

describe('issue 17.17: colour only for a terminal', () => {
  it('tty mode on a TTY colours, unless NO_COLOR is set; plain, json and pipes never do', () => {
    expect(resultColour('tty', { isTTY: true }, {})).toBe(true);
    expect(resultColour('tty', { isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(resultColour('tty', { isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(resultColour('tty', { isTTY: false }, {})).toBe(false);
    expect(resultColour('plain', { isTTY: true }, {})).toBe(false);
    expect(resultColour('json', { isTTY: true }, {})).toBe(false);
  });
});
