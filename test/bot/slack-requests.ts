// Requests as Slack sends them to the bot: slash commands and interactivity as
// application/x-www-form-urlencoded (interactivity's JSON in `payload`),
// events as JSON, each signed the way Slack signs (v0:timestamp:body,
// HMAC-SHA256 with the app's signing secret, hex, in X-Slack-Signature).
import { createHmac } from 'node:crypto';

export const SIGNING_SECRET = 'test-signing-secret-8f2c';

export function sign(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SlackPost {
  status: number;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export async function postSigned(url: string, body: string, contentType: string, options: { timestamp?: number; signature?: string } = {}): Promise<SlackPost> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const response = await fetch(`${url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': options.signature ?? sign(body, timestamp) },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, json: <T>() => JSON.parse(text) as T };
}

let triggers = 0;
const triggerId = () => `${Date.now()}.${process.pid}.${++triggers}`;

/** The form Slack posts for `/mod <text>` typed by `user` in `channel`. */
export function slashCommandBody(user: string, text: string, channel = 'C0DEPLOYS', responseUrl = 'https://hooks.slack.example/commands/T0ACME/1/x'): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0ACME',
    team_domain: 'acme',
    channel_id: channel,
    channel_name: 'deploys',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/mod',
    text,
    api_app_id: 'A0MOD',
    is_enterprise_install: 'false',
    response_url: responseUrl,
    // Slack's trigger ids are unique per request: two commands in one second are two signatures.
    trigger_id: triggerId(),
  }).toString();
}

/** The form Slack posts when `user` clicks a button of the message `messageTs`. */
export function buttonClickBody(user: string, action: { action_id: string; value: string }, channel: string, messageTs: string, responseUrl = 'https://hooks.slack.example/actions/T0ACME/1/y'): string {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0ACME' },
    api_app_id: 'A0MOD',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: triggerId(),
    team: { id: 'T0ACME', domain: 'acme' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'releases' },
    message: { type: 'message', ts: messageTs, bot_id: 'B0MODBOT', text: 'approval request' },
    state: { values: {} },
    response_url: responseUrl,
    actions: [{ ...action, block_id: 'mod_approval', type: 'button', action_ts: `${Math.floor(Date.now() / 1000)}.000100`, text: { type: 'plain_text', text: action.action_id === 'mod_reject' ? 'Reject' : 'Approve' } }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export const FORM = 'application/x-www-form-urlencoded';
