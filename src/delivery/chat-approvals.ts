// Approvals given in Slack (issue 16): an approver's click on a production
// deploy request, recorded for exactly that environment and target commit in
// .mod/approvals/<env>/<commit>.json (written atomically), with its time: it
// counts for chatops.approvalTtlHours (default 24) only. The approval gate
// passes on a recorded one by a qualifying approver who authored nothing in
// the change (authors as GitHub resolves them: a commit whose author GitHub
// cannot tell refuses every chat approval); the bot asks the same question (approverRefusal) before it
// records anything, so an author's click on their own change records nothing.
import type { GateContext } from './gates/gate.js';
import { readJson, writeJsonAtomic } from './json-file.js';
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

/** How long a Slack approval request can be answered, and a recorded approval counts, unless chatops.approvalTtlHours says otherwise. */
export const DEFAULT_APPROVAL_TTL_HOURS = 24;

/** Whether something done at `at` (ISO time) is within the TTL at `now`; a time in the future (beyond 5 minutes of clock skew) is not. */
export function withinTtl(at: string, now: Date, ttlHours = DEFAULT_APPROVAL_TTL_HOURS): boolean {
  const age = now.getTime() - Date.parse(at);
  return age >= -5 * 60_000 && age <= ttlHours * 3_600_000;
}

// One read-modify-write of an approvals file at a time in this process (the bot answers clicks concurrently).
const queues = new Map<string, Promise<unknown>>();
function serially<T>(file: string, work: () => Promise<T>): Promise<T> {
  const next = (queues.get(file) ?? Promise.resolve()).then(work, work);
  const settled = next.catch(() => undefined);
  queues.set(file, settled);
  void settled.then(() => queues.get(file) === settled && queues.delete(file));
  return next;
}

export function fileChatApprovals(paths: StatePaths): ChatApprovalStore {
  const read = async (environment: string, commit: string): Promise<ChatApproval[]> => {
    const file = await readJson<ChatApprovalFile>(paths.chatApproval(environment, commit));
    return file && file.environment === environment && file.commit === commit ? file.approvals : [];
  };
  return {
    list: read,
    record(environment, commit, approval) {
      const file = paths.chatApproval(environment, commit);
      return serially(file, async () => {
        const approvals = [...(await read(environment, commit)).filter((a) => a.requestId !== approval.requestId || a.slackUser !== approval.slackUser), approval];
        // A unique temporary file renamed into place: a reader never sees half a file.
        await writeJsonAtomic(file, { schemaVersion: 1, environment, commit, approvals } satisfies ChatApprovalFile);
      });
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
 * The GitHub logins (lower case) of the environment's approvers, from
 * gates.approval's approvers and team; undefined when neither is configured
 * (then anyone with the approver role is one).
 */
export async function approverLogins(context: GateContext, settings: { approvers: string[]; team?: string }): Promise<Set<string> | undefined> {
  if (settings.approvers.length === 0 && !settings.team) return undefined;
  const logins = new Set(settings.approvers.map((a) => a.toLowerCase()));
  if (settings.team) for (const member of await (await context.github()).teamMembers(settings.team)) logins.add(member.toLowerCase());
  return logins;
}

/** The Slack users (chatops.users) who may approve for the environment: the approver role, and one of its approvers when configured. */
export async function eligibleApprovers(context: GateContext, settings: { approvers: string[]; team?: string }): Promise<string[]> {
  const logins = await approverLogins(context, settings);
  return Object.entries(context.chatopsUsers)
    .filter(([, u]) => u.roles.includes('approver') && (!logins || logins.has(u.github.toLowerCase())))
    .map(([id]) => id);
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
  const approvers = await approverLogins(context, settings);
  if (approvers && !approvers.has(login)) return `${user.github} is not one of ${context.change.environment.name}'s approvers (gates.approval: ${[...settings.approvers, ...(settings.team ? [settings.team] : [])].join(', ')})`;
  const authors = await changeAuthors(context);
  const [unknown] = authors.unknown;
  if (unknown) return `cannot tell who wrote ${unknown.commit.slice(0, 8)}: ${unknown.why} (an approver may approve only a change whose every author GitHub knows; approve its pull request on GitHub instead)`;
  if (authors.logins.has(login)) return `${user.github} authored part of this change, and nobody approves their own change`;
  return undefined;
}
