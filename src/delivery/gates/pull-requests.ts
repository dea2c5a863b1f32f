// What the release gates need to know about pull requests, declared by the
// code that consumes it. src/github/octokit-pull-requests.ts implements it
// with the GitHub REST API.

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
}

export interface PullRequests {
  /** The pull requests that brought a commit (merged or open). */
  forCommit(sha: string): Promise<PullRequest[]>;
  get(number: number): Promise<PullRequest>;
  reviews(number: number): Promise<PullRequestReview[]>;
  labelEvents(number: number): Promise<LabelEvent[]>;
  teamMembers(team: string): Promise<string[]>;
  postReview(number: number, review: { event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT'; body: string }): Promise<{ id: number; url: string | null }>;
}

/**
 * Reads each PR's reviews, label events and each team's members once per
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
    postReview: (number, review) => github.postReview(number, review),
  };
}
