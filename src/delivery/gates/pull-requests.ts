// What the release gates, the review bot and the "deployed" comments need of
// pull requests, declared by the code that consumes it: reading them, posting
// a review, commenting. src/github/octokit-pull-requests.ts implements it
// with the GitHub REST API.
import type { CommitInfo } from '../../git/git.js';

export interface PullRequestReview {
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  /** The head commit the review was made on. */
  commitId: string | null;
  submittedAt: string | null;
}

export interface LabelEvent {
  event: 'labeled' | 'unlabeled';
  label: string;
  actor: string;
  createdAt: string;
}

export interface PullRequest {
  number: number;
  title: string;
  body: string;
  author: string;
  baseRef: string;
  headSha: string;
  url: string;
  labels: string[];
  mergeCommitSha: string | null;
  /** When it was merged; null while open or closed unmerged (GitHub sets merge_commit_sha on open PRs too). Absent: not told. */
  mergedAt?: string | null;
}

/** A comment on a pull request's conversation (GitHub's issue comments). */
export interface PullRequestComment {
  id: number;
  user: string;
  body: string;
  url: string | null;
}

export interface PullRequests {
  /** The pull requests that brought a commit (merged or open). */
  forCommit(sha: string): Promise<PullRequest[]>;
  get(number: number): Promise<PullRequest>;
  reviews(number: number): Promise<PullRequestReview[]>;
  labelEvents(number: number): Promise<LabelEvent[]>;
  teamMembers(team: string): Promise<string[]>;
  /**
   * The GitHub login of a commit's author as GitHub resolves it (from the
   * verified emails of accounts, GET /repos/:o/:r/commits/:sha), or null when
   * GitHub ties the author to no account. Git's own author name and email are
   * whatever `git commit --author` said, so they never identify anyone.
   */
  commitAuthor(sha: string): Promise<string | null>;
  /**
   * The login the token acts as (GET /user, once; MOD_BOT_GITHUB_LOGIN
   * overrides it), so the gates never count mod's own reviews; undefined for
   * a GitHub App's token (no user: its reviews are by a `[bot]` login).
   */
  viewerLogin(): Promise<string | undefined>;
  postReview(number: number, review: { event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT'; body: string }): Promise<{ id: number; url: string | null }>;
  /** Comments on the pull request's conversation (issue 16: "deployed to <env> in <id>"). */
  comment(number: number, body: string): Promise<{ id: number; url: string | null }>;
  comments(number: number): Promise<PullRequestComment[]>;
}

/**
 * Reads each PR's reviews, label events, each team's members and each commit's author once per
 * judgement: the peer-review and approval gates both read the reviews.
 */
export function readOnce(github: PullRequests): PullRequests {
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let value = cache.get(key) as Promise<T> | undefined;
    if (!value) {
      value = read();
      cache.set(key, value);
    }
    return value;
  };
  return {
    forCommit: (sha) => github.forCommit(sha),
    get: (number) => github.get(number),
    reviews: (number) => once(`reviews:${number}`, () => github.reviews(number)),
    labelEvents: (number) => once(`events:${number}`, () => github.labelEvents(number)),
    teamMembers: (team) => once(`team:${team}`, () => github.teamMembers(team)),
    commitAuthor: (sha) => once(`author:${sha}`, () => github.commitAuthor(sha)),
    viewerLogin: () => once('viewer', () => github.viewerLogin()),
    postReview: (number, review) => github.postReview(number, review),
    comment: (number, body) => github.comment(number, body),
    comments: (number) => github.comments(number),
  };
}

/**
 * The pull requests that brought a change's commits to an environment's
 * branch (merged into it, or whose merge commit it is), and the commits no
 * pull request brought: how the gates and the "deployed" comments find them.
 */
export async function pullRequestsOfChange(github: PullRequests, branch: string, commits: CommitInfo[]): Promise<{ pulls: PullRequest[]; commitsWithoutPull: CommitInfo[] }> {
  const found = new Map<number, PullRequest>();
  const commitsWithoutPull: CommitInfo[] = [];
  // Independent look-ups: one per commit, in parallel.
  const perCommit = await Promise.all(commits.map(async (commit) => ({ commit, prs: await github.forCommit(commit.commit) })));
  for (const { commit, prs: all } of perCommit) {
    const prs = all.filter((pr) => pr.baseRef === branch || pr.mergeCommitSha === commit.commit);
    if (prs.length === 0) commitsWithoutPull.push(commit);
    for (const pr of prs) found.set(pr.number, pr);
  }
  return { pulls: [...found.values()].sort((a, b) => a.number - b.number), commitsWithoutPull };
}
