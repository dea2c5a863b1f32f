// A loopback stand-in for the Slack Web API methods the ChatOps bot calls
// (auth.test, chat.postMessage, chat.update, chat.postEphemeral, views.*),
// answering with Slack's response shapes ({ok: true, channel, ts, message}
// and {ok: false, error}) and recording every call. @slack/web-api posts
// application/x-www-form-urlencoded (objects as JSON strings) with the token
// as a Bearer header; JSON bodies are accepted too. It also receives what the
// bot POSTs to a slash command's or a click's response_url (responseUrl(),
// recorded as method "response_url"), and answers chat.postMessage in a
// channel of notInChannel with Slack's not_in_channel error.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** The ts of the message posted (postMessage) or the one updated (update). */
  ts?: string;
}

export class SlackStandIn {
  readonly calls: SlackCall[] = [];
  readonly botUserId = 'U0MODBOT';
  readonly botId = 'B0MODBOT';
  private server?: http.Server;
  private clock = 1_700_000_000;
  private seq = 0;
  url = '';

  /** Channels the bot is not a member of: chat.postMessage there fails with not_in_channel. */
  readonly notInChannel = new Set<string>();

  constructor(readonly token = 'xoxb-test-token') {}

  /** A response_url on this stand-in (what Slack puts in a slash command's or a click's payload). */
  responseUrl(name = 'commands/T0ACME/1/x'): string {
    return this.url.replace(/\/api\/$/, `/response/${name}`);
  }

  /** Listens on loopback: a free port, or `port` (tools/chatops-stand-ins.ts). */
  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  of(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Waits (polling) until `find` returns something, or fails naming what it waited for. */
  async waitFor<T>(what: string, find: () => T | undefined | false, timeoutMs = 90_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; Slack calls so far:\n${this.calls.map((c) => `${c.method} ${JSON.stringify(c.args).slice(0, 300)}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private nextTs(): string {
    this.seq += 1;
    return `${this.clock + this.seq}.${String(this.seq).padStart(6, '0')}`;
  }

  private send(res: http.ServerResponse, body: unknown): void {
    // Slack answers 200 with ok: false for API errors.
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const method = new URL(req.url!, 'http://x').pathname.replace(/^\/api\//, '');
    const args = parseArgs(String(req.headers['content-type'] ?? ''), raw);
    // A response_url needs no token: its URL is the secret.
    if (req.url!.startsWith('/response/')) {
      this.calls.push({ method: 'response_url', args: { ...args, url: req.url } });
      return this.send(res, { ok: true });
    }
    const auth = req.headers.authorization ?? (typeof args.token === 'string' ? `Bearer ${args.token}` : '');
    if (!auth) return this.send(res, { ok: false, error: 'not_authed' });
    if (auth !== `Bearer ${this.token}`) return this.send(res, { ok: false, error: 'invalid_auth' });
    const call: SlackCall = { method, args };
    const message = (ts: string) => ({ type: 'message', subtype: 'bot_message', text: args.text, user: this.botUserId, bot_id: this.botId, ts, ...(args.blocks ? { blocks: args.blocks } : {}), ...(args.thread_ts ? { thread_ts: args.thread_ts } : {}) });
    switch (method) {
      case 'auth.test':
        this.calls.push(call);
        return this.send(res, { ok: true, url: 'https://acme.slack.example/', team: 'Acme', user: 'mod', team_id: 'T0ACME', user_id: this.botUserId, bot_id: this.botId, is_enterprise_install: false });
      case 'chat.postMessage': {
        if (!args.channel) return this.send(res, { ok: false, error: 'channel_not_found' });
        if (this.notInChannel.has(String(args.channel))) return this.send(res, { ok: false, error: 'not_in_channel' });
        const ts = this.nextTs();
        this.calls.push({ ...call, ts });
        return this.send(res, { ok: true, channel: args.channel, ts, message: message(ts) });
      }
      case 'chat.update': {
        const ts = String(args.ts ?? '');
        if (!this.of('chat.postMessage').some((c) => c.ts === ts)) return this.send(res, { ok: false, error: 'message_not_found' });
        this.calls.push({ ...call, ts });
        return this.send(res, { ok: true, channel: args.channel, ts, text: args.text, message: message(ts) });
      }
      case 'chat.postEphemeral':
        if (!args.user || !args.channel) return this.send(res, { ok: false, error: 'user_not_in_channel' });
        this.calls.push(call);
        return this.send(res, { ok: true, message_ts: this.nextTs() });
      case 'views.open':
      case 'views.publish':
      case 'views.update':
        this.calls.push(call);
        return this.send(res, { ok: true, view: { id: `V0${this.seq++}`, ...(args.view as object) } });
      default:
        return this.send(res, { ok: false, error: 'unknown_method' });
    }
  }
}

function parseArgs(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The client JSON-encodes objects and arrays (blocks, attachments, view).
    args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
