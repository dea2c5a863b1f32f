// PullRequests over the GitHub REST API with @octokit/rest: pagination,
// GitHub Enterprise base URLs, and clear errors for a missing token, a
// missing repository or PR, and the rate limit.
import { Octokit } from '@octokit/rest';
import { execa } from 'execa';
import { ModError, UsageError } from '../errors.js';
import { githubHostOf, githubRepositoryFromRemote } from '../git/git.js';
import type { LabelEvent, PullRequest, PullRequestComment, PullRequestReview, PullRequests } from '../delivery/gates/pull-requests.js';

export class GitHubUnavailableError extends ModError {
  constructor(message: string, hint?: string) {
    super('GITHUB_UNAVAILABLE', message, { hint });
  }
}

/** GITHUB_TOKEN, else GH_TOKEN, else `gh auth token` when the GitHub CLI is logged in. */
export async function findGitHubToken(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (env.GITHUB_TOKEN) return env.GITHUB_TOKEN;
  if (env.GH_TOKEN) return env.GH_TOKEN;
  const gh = await execa('gh', ['auth', 'token'], { reject: false, timeout: 5000 }).catch(() => undefined);
  return gh?.exitCode === 0 && gh.stdout.trim() ? gh.stdout.trim() : undefined;
}

/** owner/name from a remote URL on github.com or the API's GitHub Enterprise host, e.g. git@github.com:acme/mod.git. */
export function repositoryFromRemote(url: string, baseUrl = 'https://api.github.com'): string | undefined {
  const host = githubHostOf(baseUrl);
  return githubRepositoryFromRemote(url, host ? [host] : []);
}

interface HttpError {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined> };
}

export class OctokitPullRequests implements PullRequests {
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;
  private viewer: Promise<string | undefined> | undefined;

  /** `viewerLogin`: the token's login when known (MOD_BOT_GITHUB_LOGIN), instead of asking GET /user. */
  constructor(private readonly options: { repository: string; token: string; baseUrl: string; viewerLogin?: string }) {
    const [owner, repo] = options.repository.split('/') as [string, string];
    this.owner = owner;
    this.repo = repo;
    // Octokit's request log writes every failed request to stderr ("GET /user - 403 ..."); each
    // failure here becomes a ModError with its own message (call()), so only its warnings are shown.
    this.octokit = new Octokit({ auth: options.token, baseUrl: options.baseUrl, userAgent: 'mod-release-gates', request: { retries: 0 }, log: { debug: () => {}, info: () => {}, warn: (message: string) => console.warn(message), error: () => {} } });
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const e = error as HttpError;
      const headers = e.response?.headers ?? {};
      if ((e.status === 403 || e.status === 429) && (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(e.message ?? ''))) {
        const reset = Number(headers['x-ratelimit-reset']);
        const when = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000).toISOString() : 'later';
        throw new GitHubUnavailableError(`GitHub rate limit reached while reading ${what}`, `it resets at ${when}; use a token with a higher limit`);
      }
      if (e.status === 401) throw new GitHubUnavailableError(`GitHub rejected the token while reading ${what}`, 'set a valid GITHUB_TOKEN (or run gh auth login)');
      if (e.status === 404) throw new GitHubUnavailableError(`${what} not found on GitHub (${this.owner}/${this.repo})`, 'check github.repository in mod.config.yml and that the token can read the repository');
      throw new GitHubUnavailableError(`GitHub request for ${what} failed: ${e.status ?? ''} ${e.message ?? String(error)}`.trim());
    }
  }

  private toPullRequest(pr: {
    number: number;
    title: string;
    body?: string | null;
    user?: { login?: string } | null;
    base: { ref: string };
    head: { sha: string };
    html_url: string;
    labels?: ({ name?: string } | string)[];
    merge_commit_sha?: string | null;
    merged_at?: string | null;
  }): PullRequest {
    return {
      number: pr.number,
      title: pr.title,
      body: pr.body ?? '',
      author: pr.user?.login ?? '',
      baseRef: pr.base.ref,
      headSha: pr.head.sha,
      url: pr.html_url,
      labels: (pr.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
      mergeCommitSha: pr.merge_commit_sha ?? null,
      mergedAt: pr.merged_at ?? null,
    };
  }

  async forCommit(sha: string): Promise<PullRequest[]> {
    const pulls = await this.call(`the pull requests of commit ${sha.slice(0, 8)}`, () => this.octokit.paginate(this.octokit.rest.repos.listPullRequestsAssociatedWithCommit, { owner: this.owner, repo: this.repo, commit_sha: sha, per_page: 100 }));
    return pulls.map((p) => this.toPullRequest(p as never));
  }

  async get(number: number): Promise<PullRequest> {
    const { data } = await this.call(`pull request #${number}`, () => this.octokit.rest.pulls.get({ owner: this.owner, repo: this.repo, pull_number: number }));
    return this.toPullRequest(data as never);
  }

  async reviews(number: number): Promise<PullRequestReview[]> {
    const reviews = await this.call(`the reviews of #${number}`, () => this.octokit.paginate(this.octokit.rest.pulls.listReviews, { owner: this.owner, repo: this.repo, pull_number: number, per_page: 100 }));
    return reviews.map((r) => ({
      user: r.user?.login ?? '',
      state: r.state as PullRequestReview['state'],
      commitId: r.commit_id ?? null,
      submittedAt: r.submitted_at ?? null,
    }));
  }

  async labelEvents(number: number): Promise<LabelEvent[]> {
    const events = await this.call(`the events of #${number}`, () => this.octokit.paginate(this.octokit.rest.issues.listEvents, { owner: this.owner, repo: this.repo, issue_number: number, per_page: 100 }));
    return events
      .filter((e) => e.event === 'labeled' || e.event === 'unlabeled')
      .map((e) => ({
        event: e.event as LabelEvent['event'],
        label: (e as { label?: { name?: string } }).label?.name ?? '',
        actor: e.actor?.login ?? '',
        createdAt: e.created_at,
      }));
  }

  async teamMembers(team: string): Promise<string[]> {
    const [org, slug] = team.split('/') as [string, string];
    const members = await this.call(`the members of team ${team}`, () => this.octokit.paginate(this.octokit.rest.teams.listMembersInOrg, { org, team_slug: slug, per_page: 100 }));
    return members.map((m) => m.login);
  }

  async commitAuthor(sha: string): Promise<string | null> {
    const { data } = await this.call(`the author of commit ${sha.slice(0, 8)}`, () => this.octokit.rest.repos.getCommit({ owner: this.owner, repo: this.repo, ref: sha, per_page: 1 }));
    return (data.author as { login?: string } | null)?.login ?? null;
  }

  viewerLogin(): Promise<string | undefined> {
    this.viewer ??= this.options.viewerLogin
      ? Promise.resolve(this.options.viewerLogin)
      : this.octokit.rest.users.getAuthenticated().then(
          ({ data }) => data.login,
          (error: HttpError) => {
            // A GitHub App installation token has no user; its reviews are by <app>[bot], which never count.
            if (error.status === 403 && /not accessible by integration/i.test(error.message ?? '')) return undefined;
            this.viewer = undefined;
            return this.call("the token's own login (GET /user; or set MOD_BOT_GITHUB_LOGIN)", () => Promise.reject(error));
          },
        );
    return this.viewer;
  }

  async postReview(number: number, review: { event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT'; body: string }): Promise<{ id: number; url: string | null }> {
    const { data } = await this.call(`a review on #${number}`, () => this.octokit.rest.pulls.createReview({ owner: this.owner, repo: this.repo, pull_number: number, event: review.event, body: review.body }));
    return { id: data.id, url: data.html_url ?? null };
  }

  async comment(number: number, body: string): Promise<{ id: number; url: string | null }> {
    const { data } = await this.call(`a comment on #${number}`, () => this.octokit.rest.issues.createComment({ owner: this.owner, repo: this.repo, issue_number: number, body }));
    return { id: data.id, url: data.html_url ?? null };
  }

  async comments(number: number): Promise<PullRequestComment[]> {
    const comments = await this.call(`the comments of #${number}`, () => this.octokit.paginate(this.octokit.rest.issues.listComments, { owner: this.owner, repo: this.repo, issue_number: number, per_page: 100 }));
    return comments.map((c) => ({ id: c.id, user: c.user?.login ?? '', body: c.body ?? '', url: c.html_url ?? null }));
  }
}

/** Opens PullRequests for the repository, or explains why it cannot. */
export async function openPullRequests(options: { repository?: string; baseUrl: string; remoteUrl?: string; env?: NodeJS.ProcessEnv }): Promise<PullRequests> {
  const repository = options.repository ?? (options.remoteUrl ? repositoryFromRemote(options.remoteUrl, options.baseUrl) : undefined);
  if (!repository) {
    const why = options.remoteUrl ? `: the origin remote (${options.remoteUrl.replace(/\/\/[^@/]+@/, '//')}) is not on ${githubHostOf(options.baseUrl) ?? 'github.com'}` : ': there is no origin remote';
    throw new UsageError(`cannot tell which GitHub repository this is${why}`, 'set github.repository: owner/name in mod.config.yml (and github.baseUrl for GitHub Enterprise)');
  }
  const token = await findGitHubToken(options.env);
  if (!token) throw new GitHubUnavailableError('no GitHub token', 'set GITHUB_TOKEN, or log in with gh auth login');
  return new OctokitPullRequests({ repository, token, baseUrl: options.baseUrl, viewerLogin: options.env?.MOD_BOT_GITHUB_LOGIN || undefined });
}
