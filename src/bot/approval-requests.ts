// The Slack approval requests the bot has posted and how each was answered,
// kept in the local state (.mod/approvals/requests/<id>.json, the request,
// and <id>.answer.json, its answer) so that a restart of the bot reopens
// nothing: a rejected request stays rejected, an approved one is not approved
// twice. The answer is written once: a complete temporary file linked into
// place, which fails when another click (in this process or another) linked
// its answer first, so two concurrent clicks cannot both win.
import { randomUUID } from 'node:crypto';
import { link, unlink, writeFile } from 'node:fs/promises';
import { readJson, writeJsonAtomic } from '../delivery/json-file.js';
import type { StatePaths } from '../delivery/state-paths.js';

export interface ApprovalRequest {
  schemaVersion: 1;
  id: string;
  environment: string;
  /** The commit the request is for (the deploy's target when it was asked). */
  commit: string;
  /** The ref the deploy was asked for; absent: the environment's branch. */
  ref?: string;
  /** The Slack user who asked, and the channel they asked in. */
  requester: string;
  channel: string;
  /** The requester's progress message ("waiting for approval") in `channel`, updated when the request is answered. */
  progressTs?: string;
  requestedAt: string;
}

export interface ApprovalAnswer {
  state: 'approved' | 'rejected';
  /** The Slack user who answered, and their GitHub login then. */
  slackUser: string;
  github: string;
  at: string;
}

export interface ApprovalRequests {
  save(request: ApprovalRequest): Promise<void>;
  /** The request and its answer if it has one; undefined when the bot never made it (or the state was cleared). */
  get(id: string): Promise<{ request: ApprovalRequest; answer?: ApprovalAnswer } | undefined>;
  /** Answers the request unless it was answered already: returns the answer that stands (this one, or the earlier). */
  answer(id: string, answer: ApprovalAnswer): Promise<{ answer: ApprovalAnswer; first: boolean }>;
}

export function fileApprovalRequests(paths: StatePaths): ApprovalRequests {
  const answerFile = (id: string) => paths.approvalRequest(id).replace(/\.json$/, '.answer.json');
  return {
    async save(request) {
      const file = paths.approvalRequest(request.id);
      await writeJsonAtomic(file, request);
    },
    async get(id) {
      // Ids are the bot's UUIDs; anything else (a hand-made button value) names no file.
      if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
      const request = await readJson<ApprovalRequest>(paths.approvalRequest(id));
      if (!request) return undefined;
      const answer = await readJson<ApprovalAnswer>(answerFile(id));
      return answer ? { request, answer } : { request };
    },
    async answer(id, answer) {
      const file = answerFile(id);
      const temp = `${file}.${randomUUID()}.tmp`;
      await writeFile(temp, `${JSON.stringify(answer, null, 2)}\n`);
      try {
        await link(temp, file);
        return { answer, first: true };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        return { answer: (await readJson<ApprovalAnswer>(file))!, first: false };
      } finally {
        await unlink(temp).catch(() => undefined);
      }
    },
  };
}
