// Approvals given in Slack (issue 16): an approver's click on a production
// deploy request, recorded for exactly that environment and target commit in
// .mod/approvals/<env>/<commit>.json (written atomically). The approval gate
// passes on a recorded one by a qualifying approver who authored nothing in
// the change; the bot asks the same question (approverRefusal) before it
// records anything, so an author's click on their own change records nothing.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommitInfo } from '../git/git.js';
import type { ChatopsConfig } from './config.js';
import type { GateContext } from './gates/gate.js';
import type { StatePaths } from './state-paths.js';

export interface ChatApproval {
  /** The approval request the click answered. */
  requestId: string;
  slackUser: string;
  /** The approver's GitHub login (chatops.users). */
  github: string;
  approvedAt: string;
}

interface ChatApprovalFile {
  schemaVersion: 1;
  environment: string;
  commit: string;
  approvals: ChatApproval[];
}

/** Where chat approvals are kept (the port; fileChatApprovals keeps them in the local state). */
export interface ChatApprovalStore {
  list(environment: string, commit: string): Promise<ChatApproval[]>;
  record(environment: string, commit: string, approval: ChatApproval): Promise<void>;
}

export function fileChatApprovals(paths: StatePaths): ChatApprovalStore {
  const read = async (environment: string, commit: string): Promise<ChatApproval[]> => {
    try {
      const file = JSON.parse(await readFile(paths.chatApproval(environment, commit), 'utf8')) as ChatApprovalFile;
      return file.environment === environment && file.commit === commit ? file.approvals : [];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };
  return {
    list: read,
    async record(environment, commit, approval) {
      const file = paths.chatApproval(environment, commit);
      const approvals = [...(await read(environment, commit)).filter((a) => a.requestId !== approval.requestId || a.slackUser !== approval.slackUser), approval];
      await mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify({ schemaVersion: 1, environment, commit, approvals } satisfies ChatApprovalFile, null, 2)}\n`);
      await rename(temp, file);
    },
  };
}

/**
 * The GitHub login of a commit's author: a GitHub noreply address names it;
 * otherwise the chatops.users login equal to the author's name or to the
 * local part of their email (case-insensitive, as GitHub logins are).
 */
export function commitAuthorLogin(commit: CommitInfo, users: ChatopsConfig['users']): string | undefined {
  const noreply = /^(?:\d+\+)?([^@]+)@users\.noreply\.github\.com$/i.exec(commit.authorEmail);
  if (noreply) return noreply[1]!.toLowerCase();
  const local = commit.authorEmail.split('@')[0]!.toLowerCase();
  const name = commit.author.toLowerCase();
  for (const { github } of Object.values(users)) {
    const login = github.toLowerCase();
    if (login === local || login === name) return login;
  }
  return undefined;
}

/** The GitHub logins (lower case) of everyone who authored a pull request or a commit of the change. */
export async function changeAuthors(context: GateContext): Promise<Set<string>> {
  const { pulls } = await context.pullRequests();
  const authors = new Set(pulls.map((pr) => pr.author.toLowerCase()));
  for (const commit of context.change.commits) {
    const login = commitAuthorLogin(commit, context.chatopsUsers);
    if (login) authors.add(login);
  }
  return authors;
}

/**
 * Why this Slack user may not approve the change, or undefined when they may:
 * role `approver` in chatops.users, one of gates.approval's approvers or team
 * when either is configured, and the author of nothing in the change.
 */
export async function approverRefusal(context: GateContext, settings: { approvers: string[]; team?: string }, slackUser: string): Promise<string | undefined> {
  const user = context.chatopsUsers[slackUser];
  if (!user) return `${slackUser} is not in chatops.users`;
  if (!user.roles.includes('approver')) return `${user.github} does not have the approver role (chatops.users.${slackUser}.roles)`;
  const login = user.github.toLowerCase();
  if (settings.approvers.length > 0 || settings.team) {
    const approvers = new Set(settings.approvers.map((a) => a.toLowerCase()));
    if (settings.team && !approvers.has(login)) for (const member of await (await context.github()).teamMembers(settings.team)) approvers.add(member.toLowerCase());
    if (!approvers.has(login)) return `${user.github} is not one of ${context.change.environment.name}'s approvers (gates.approval: ${[...settings.approvers, ...(settings.team ? [settings.team] : [])].join(', ')})`;
  }
  if ((await changeAuthors(context)).has(login)) return `${user.github} authored part of this change, and nobody approves their own change`;
  return undefined;
}
