// The PullRequests port (src/delivery/gates/pull-requests.ts) in memory:
// pull requests and the commits that brought them, reviews, label events and
// team members as a test sets them up, and every read recorded, so a test can
// tell which pull requests a gate looked at and how often.
import type { LabelEvent, PullRequest, PullRequestComment, PullRequestReview, PullRequests } from '../../src/delivery/gates/pull-requests.js';

export type FakePullRequestRead = `forCommit:${string}` | `get:${number}` | `reviews:${number}` | `labelEvents:${number}` | `teamMembers:${string}` | `comments:${number}` | `commitAuthor:${string}`;

export class FakePullRequests implements PullRequests {
  readonly reads: FakePullRequestRead[] = [];
  readonly posted: { number: number; event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT'; body: string }[] = [];
  /** Comments on each pull request's conversation, in order (a test may add some by others). */
  readonly comments_ = new Map<number, PullRequestComment[]>();
  /** When set, comment() and comments() fail with it (GitHub down). */
  commentError: Error | undefined;
  private readonly pulls = new Map<number, PullRequest>();
  private readonly pullsByCommit = new Map<string, number[]>();
  private readonly reviewsByPull = new Map<number, PullRequestReview[]>();
  private readonly labelEventsByPull = new Map<number, LabelEvent[]>();
  private readonly teams = new Map<string, string[]>();
  /** GitHub's author login of each commit (null: tied to no account); a commit not here is unknown to GitHub. */
  readonly commitAuthors = new Map<string, string | null>();
  /** The token's own login (viewerLogin), e.g. a machine user's; undefined: an app's token. */
  viewer: string | undefined;

  /** A pull request brought by `commits` (its merge commit, or the commits it contains). */
  addPull(pull: Pick<PullRequest, 'number'> & Partial<PullRequest>, commits: string[]): PullRequest {
    const full: PullRequest = {
      title: `Change ${pull.number}`,
      body: '',
      author: 'alice',
      baseRef: 'master',
      headSha: `head-of-${pull.number}`,
      url: `https://github.example/acme/shop/pull/${pull.number}`,
      labels: [],
      mergeCommitSha: null,
      ...pull,
    };
    this.pulls.set(full.number, full);
    for (const sha of commits) this.pullsByCommit.set(sha, [...(this.pullsByCommit.get(sha) ?? []), full.number]);
    return full;
  }

  /** A review on the pull request's head commit unless `commitId` says otherwise. */
  addReview(number: number, review: Pick<PullRequestReview, 'user' | 'state'> & Partial<PullRequestReview>): void {
    const list = this.reviewsByPull.get(number) ?? [];
    const submittedAt = review.submittedAt ?? new Date(Date.UTC(2026, 10, 20, 0, list.length)).toISOString();
    list.push({ commitId: this.pulls.get(number)?.headSha ?? null, ...review, submittedAt });
    this.reviewsByPull.set(number, list);
  }

  /** Adds the label to the pull request, with the `labeled` event by `actor`. */
  addLabel(number: number, label: string, actor: string): void {
    const pull = this.pulls.get(number);
    if (pull && !pull.labels.includes(label)) pull.labels.push(label);
    const events = this.labelEventsByPull.get(number) ?? [];
    events.push({ event: 'labeled', label, actor, createdAt: new Date(Date.UTC(2026, 10, 20, 1, events.length)).toISOString() });
    this.labelEventsByPull.set(number, events);
  }

  setTeam(team: string, members: string[]): void {
    this.teams.set(team, members);
  }

  readsOf(kind: 'forCommit' | 'get' | 'reviews' | 'labelEvents' | 'teamMembers' | 'comments' | 'commitAuthor'): string[] {
    return this.reads.filter((r) => r.startsWith(`${kind}:`)).map((r) => r.slice(kind.length + 1));
  }

  async forCommit(sha: string): Promise<PullRequest[]> {
    this.reads.push(`forCommit:${sha}`);
    return (this.pullsByCommit.get(sha) ?? []).map((n) => structuredClone(this.pulls.get(n)!));
  }

  async get(number: number): Promise<PullRequest> {
    this.reads.push(`get:${number}`);
    const pull = this.pulls.get(number);
    if (!pull) throw new Error(`pull request #${number} not found`);
    return structuredClone(pull);
  }

  async reviews(number: number): Promise<PullRequestReview[]> {
    this.reads.push(`reviews:${number}`);
    return structuredClone(this.reviewsByPull.get(number) ?? []);
  }

  async labelEvents(number: number): Promise<LabelEvent[]> {
    this.reads.push(`labelEvents:${number}`);
    return structuredClone(this.labelEventsByPull.get(number) ?? []);
  }

  async teamMembers(team: string): Promise<string[]> {
    this.reads.push(`teamMembers:${team}`);
    const members = this.teams.get(team);
    if (!members) throw new Error(`team ${team} not found`);
    return [...members];
  }

  async commitAuthor(sha: string): Promise<string | null> {
    this.reads.push(`commitAuthor:${sha}`);
    if (!this.commitAuthors.has(sha)) throw new Error(`No commit found for SHA: ${sha}`);
    return this.commitAuthors.get(sha)!;
  }

  async viewerLogin(): Promise<string | undefined> {
    return this.viewer;
  }

  async postReview(number: number, review: { event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT'; body: string }): Promise<{ id: number; url: string | null }> {
    this.posted.push({ number, ...review });
    return { id: this.posted.length, url: `https://github.example/acme/shop/pull/${number}#review-${this.posted.length}` };
  }

  /** The bodies of the comments on a pull request. */
  commentsOn(number: number): string[] {
    return (this.comments_.get(number) ?? []).map((c) => c.body);
  }

  async comment(number: number, body: string): Promise<{ id: number; url: string | null }> {
    if (this.commentError) throw this.commentError;
    const list = this.comments_.get(number) ?? [];
    const id = 5000 + [...this.comments_.values()].reduce((n, l) => n + l.length, 0);
    const url = `https://github.example/acme/shop/pull/${number}#issuecomment-${id}`;
    list.push({ id, user: 'mod-bot', body, url });
    this.comments_.set(number, list);
    return { id, url };
  }

  async comments(number: number): Promise<PullRequestComment[]> {
    this.reads.push(`comments:${number}`);
    if (this.commentError) throw this.commentError;
    return structuredClone(this.comments_.get(number) ?? []);
  }
}
