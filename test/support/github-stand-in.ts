// A loopback stand-in for the GitHub REST endpoints the release gates, the
// review bot and the "deployed" comments use (issue comments included),
// answering with the recorded shapes of GitHub's responses (the fields that
// matter, with GitHub's names) and GitHub's Link-header pagination.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInPull {
  number: number;
  title: string;
  body: string | null;
  author: string;
  base: string;
  headSha: string;
  mergeCommitSha?: string | null;
  labels?: string[];
}
export interface StandInReview {
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED';
  commitId: string;
  submittedAt: string;
}
export interface StandInLabelEvent {
  event: 'labeled' | 'unlabeled';
  label: string;
  actor: string;
  createdAt: string;
}

export interface StandInComment {
  id: number;
  user: string;
  body: string;
  createdAt: string;
}

export class GitHubStandIn {
  readonly pulls = new Map<number, StandInPull>();
  readonly commitPulls = new Map<string, number[]>();
  readonly reviews = new Map<number, StandInReview[]>();
  readonly events = new Map<number, StandInLabelEvent[]>();
  readonly teams = new Map<string, string[]>();
  /** GET /repos/:o/:r/commits/:sha: the author's login as GitHub resolves it, or null (an email tied to no account); other commits are 422. */
  readonly commitAuthors = new Map<string, string | null>();
  readonly posted: { number: number; event: string; body: string }[] = [];
  /** Issue comments on each pull request's conversation (POST /issues/:n/comments adds one). */
  readonly comments = new Map<number, StandInComment[]>();
  readonly requests: string[] = [];
  rateLimited = false;
  /** When set, every request is answered with this status (GitHub having an outage). */
  failWith: number | undefined;
  /** The login POSTed reviews and comments are made by (the token's user); GET /user answers it, or 403 for a `[bot]` (an app's token has no user). */
  botLogin = 'github-actions[bot]';
  private server?: http.Server;
  baseUrl = '';

  constructor(
    readonly owner: string,
    readonly repo: string,
  ) {}

  addPull(pull: StandInPull, commits: string[]): void {
    this.pulls.set(pull.number, pull);
    for (const sha of commits) this.commitPulls.set(sha, [...(this.commitPulls.get(sha) ?? []), pull.number]);
  }

  /** Listens on loopback: a free port, or `port` (tools/chatops-stand-ins.ts). */
  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(port, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private pullJson(p: StandInPull) {
    const repoUrl = `${this.baseUrl}/repos/${this.owner}/${this.repo}`;
    return {
      url: `${repoUrl}/pulls/${p.number}`,
      id: 1000 + p.number,
      number: p.number,
      state: p.mergeCommitSha ? 'closed' : 'open',
      title: p.title,
      body: p.body,
      user: { login: p.author, id: 1, type: 'User' },
      labels: (p.labels ?? []).map((name, i) => ({ id: i, name, color: 'ededed' })),
      head: { ref: `feature/${p.number}`, sha: p.headSha, label: `${this.owner}:feature/${p.number}` },
      base: { ref: p.base, sha: '0'.repeat(40), label: `${this.owner}:${p.base}` },
      html_url: `https://github.example/${this.owner}/${this.repo}/pull/${p.number}`,
      merge_commit_sha: p.mergeCommitSha ?? null,
      merged_at: p.mergeCommitSha ? '2026-11-20T01:00:00Z' : null,
    };
  }

  /** GitHub's issue comment object (GET/POST /repos/:o/:r/issues/:n/comments). */
  private commentJson(number: number, c: StandInComment) {
    const repoUrl = `${this.baseUrl}/repos/${this.owner}/${this.repo}`;
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${repoUrl}/issues/comments/${c.id}`,
      html_url: `https://github.example/${this.owner}/${this.repo}/pull/${number}#issuecomment-${c.id}`,
      issue_url: `${repoUrl}/issues/${number}`,
      body: c.body,
      user: { login: c.user, id: 41898282, type: c.user.endsWith('[bot]') ? 'Bot' : 'User' },
      created_at: c.createdAt,
      updated_at: c.createdAt,
      author_association: 'NONE',
    };
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ratelimit-remaining': '4999', ...headers });
    res.end(JSON.stringify(body));
  }

  /** GitHub pagination: ?per_page&page with a Link header to the next page. */
  private page(req: http.IncomingMessage, res: http.ServerResponse, items: unknown[]): void {
    const url = new URL(req.url!, this.baseUrl);
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      url.searchParams.set('page', String(page + 1));
      headers.link = `<${url.toString()}>; rel="next"`;
    }
    this.send(res, 200, slice, headers);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.baseUrl);
    this.requests.push(`${req.method} ${url.pathname}`);
    if (!/^(token|Bearer) \S+/.test(req.headers.authorization ?? '')) return this.send(res, 401, { message: 'Requires authentication' });
    if (this.failWith) return this.send(res, this.failWith, { message: 'Server Error' });
    if (this.rateLimited) return this.send(res, 403, { message: 'API rate limit exceeded for installation.' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1795400000' });
    const prefix = `/repos/${this.owner}/${this.repo}`;
    if (url.pathname === '/user') {
      return this.botLogin.endsWith('[bot]')
        ? this.send(res, 403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user' })
        : this.send(res, 200, { login: this.botLogin, id: 4242, type: 'User', site_admin: false, html_url: `https://github.example/${this.botLogin}` });
    }
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^${prefix}/commits/([0-9a-f]+)/pulls$`).exec(url.pathname))) {
      return this.page(
        req,
        res,
        (this.commitPulls.get(m[1]!) ?? []).map((n) => this.pullJson(this.pulls.get(n)!)),
      );
    }
    if ((m = new RegExp(`^${prefix}/commits/([0-9a-f]{7,40})$`).exec(url.pathname))) {
      const sha = m[1]!;
      if (!this.commitAuthors.has(sha)) return this.send(res, 422, { message: `No commit found for SHA: ${sha}`, documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit' });
      const login = this.commitAuthors.get(sha)!;
      const person = login ? { login, id: 1, type: 'User', html_url: `https://github.example/${login}` } : null;
      return this.send(res, 200, {
        sha,
        node_id: `C_${sha.slice(0, 8)}`,
        url: `${this.baseUrl}${prefix}/commits/${sha}`,
        html_url: `https://github.example/${this.owner}/${this.repo}/commit/${sha}`,
        commit: { author: { name: login ?? 'Someone', email: login ? `${login}@example.com` : 'someone@unknown.example', date: '2026-11-20T00:00:00Z' }, committer: { name: 'GitHub', email: 'noreply@github.com', date: '2026-11-20T00:00:00Z' }, message: 'a commit' },
        author: person,
        committer: person,
        parents: [],
        stats: { total: 0, additions: 0, deletions: 0 },
        files: [],
      });
    }
    if ((m = new RegExp(`^${prefix}/pulls/(\\d+)$`).exec(url.pathname))) {
      const pull = this.pulls.get(Number(m[1]));
      return pull ? this.send(res, 200, this.pullJson(pull)) : this.send(res, 404, { message: 'Not Found' });
    }
    if ((m = new RegExp(`^${prefix}/pulls/(\\d+)/reviews$`).exec(url.pathname))) {
      const number = Number(m[1]);
      if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { event: string; body: string };
        this.posted.push({ number, event: body.event, body: body.body });
        return this.send(res, 200, { id: 99, user: { login: this.botLogin }, state: body.event === 'APPROVE' ? 'APPROVED' : 'CHANGES_REQUESTED', html_url: `https://github.example/review/99` });
      }
      return this.page(
        req,
        res,
        (this.reviews.get(number) ?? []).map((r, i) => ({ id: i + 1, user: { login: r.user }, body: '', state: r.state, commit_id: r.commitId, submitted_at: r.submittedAt, html_url: 'https://github.example/r' })),
      );
    }
    if ((m = new RegExp(`^${prefix}/issues/(\\d+)/comments$`).exec(url.pathname))) {
      const number = Number(m[1]);
      if (!this.pulls.has(number)) return this.send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/issues/comments' });
      if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { body?: string };
        if (typeof body.body !== 'string' || !body.body) return this.send(res, 422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }] });
        const list = this.comments.get(number) ?? [];
        const comment: StandInComment = { id: 7000 + [...this.comments.values()].reduce((n, l) => n + l.length, 0), user: this.botLogin, body: body.body, createdAt: new Date().toISOString() };
        list.push(comment);
        this.comments.set(number, list);
        return this.send(res, 201, this.commentJson(number, comment), { location: `${this.baseUrl}${prefix}/issues/comments/${comment.id}` });
      }
      return this.page(
        req,
        res,
        (this.comments.get(number) ?? []).map((c) => this.commentJson(number, c)),
      );
    }
    if ((m = new RegExp(`^${prefix}/issues/(\\d+)/events$`).exec(url.pathname))) {
      return this.page(
        req,
        res,
        (this.events.get(Number(m[1])) ?? []).map((e, i) => ({ id: i + 1, event: e.event, actor: { login: e.actor }, label: { name: e.label, color: 'ededed' }, created_at: e.createdAt })),
      );
    }
    if ((m = /^\/orgs\/([\w.-]+)\/teams\/([\w.-]+)\/members$/.exec(url.pathname))) {
      const members = this.teams.get(`${m[1]}/${m[2]}`);
      return members
        ? this.page(
            req,
            res,
            members.map((login, i) => ({ login, id: i + 1, type: 'User' })),
          )
        : this.send(res, 404, { message: 'Not Found' });
    }
    return this.send(res, 404, { message: 'Not Found', documentation_url: `${this.baseUrl}/docs` });
  }
}

/** A loopback receiver for Slack incoming webhooks. */
export class SlackReceiver {
  readonly messages: { text: string }[] = [];
  failWith: number | undefined;
  private server?: http.Server;
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (this.failWith) {
        res.writeHead(this.failWith).end('invalid_token');
        return;
      }
      this.messages.push(JSON.parse(Buffer.concat(chunks).toString()) as { text: string });
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/services/T000/B000/XXXX`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
