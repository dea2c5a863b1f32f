// Approvals given in Slack (issue 16): an approver's click on a production
// deploy request, recorded for exactly that environment and target commit in
// .mod/approvals/<env>/<commit>.json (written atomically). The approval gate
// passes on a recorded one by a qualifying approver who authored nothing in
// the change (authors as GitHub resolves them: a commit whose author GitHub
// cannot tell refuses every chat approval); the bot asks the same question (approverRefusal) before it
// records anything, so an author's click on their own change records nothing.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
 * Who wrote the change: the GitHub logins (lower case) of the authors of its
 * pull requests and of its commits as GitHub resolves them, and the commits
 * whose author GitHub cannot tell (git's own author name and email are
 * whatever `git commit --author` said, so they never identify anyone).
 */
export async function changeAuthors(context: GateContext): Promise<{ logins: Set<string>; unknown: { commit: string; why: string }[] }> {
  const github = await context.github();
  const { pulls } = await context.pullRequests();
  const logins = new Set(pulls.map((pr) => pr.author.toLowerCase()));
  const unknown: { commit: string; why: string }[] = [];
  // Independent look-ups: one per commit, in parallel.
  const authors = await Promise.all(context.change.commits.map(async (commit) => ({ commit, login: await github.commitAuthor(commit.commit).catch((error: unknown) => error as Error) })));
  for (const { commit, login } of authors) {
    if (typeof login === 'string' && login) logins.add(login.toLowerCase());
    else unknown.push({ commit: commit.commit, why: login instanceof Error ? login.message : `GitHub ties its author ${commit.author} <${commit.authorEmail}> to no account` });
  }
  return { logins, unknown };
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
  const authors = await changeAuthors(context);
  const [unknown] = authors.unknown;
  if (unknown) return `cannot tell who wrote ${unknown.commit.slice(0, 8)}: ${unknown.why} (an approver may approve only a change whose every author GitHub knows; approve its pull request on GitHub instead)`;
  if (authors.logins.has(login)) return `${user.github} authored part of this change, and nobody approves their own change`;
  return undefined;
}
