// A raw HTTP/1.1 client for tests that must send what no well-behaved client
// sends (malformed request lines and headers, slow bodies, aborted uploads):
// bytes go out over net.connect as given, and the answers are parsed just
// enough to read their status, headers and body.
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  /** The final (non-1xx) responses, in order. */
  responses: RawResponse[];
  /** Everything the server sent, as text. */
  raw: string;
  /** Whether the server closed the connection (before `idleMs` of silence). */
  closed: boolean;
  /** How many of the parts were written before the connection closed. */
  sent: number;
}

/**
 * Parses the complete responses at the start of `data` (one after another on
 * one connection); interim 1xx answers are skipped. Stops at the first
 * incomplete one.
 */
export function parseResponses(data: Buffer, forHead = false): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let offset = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', offset);
    if (end < 0) break;
    const lines = data.subarray(offset, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!match) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let cursor = end + 4;
    if (status < 200) {
      offset = cursor;
      continue;
    }
    let body: Buffer;
    if (forHead || status === 204 || status === 304) body = Buffer.alloc(0);
    else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (data.length < cursor + length) break;
      body = data.subarray(cursor, cursor + length);
      cursor += length;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const chunks: Buffer[] = [];
      let complete = false;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', cursor);
        if (lineEnd < 0) break;
        const size = parseInt(data.subarray(cursor, lineEnd).toString('latin1'), 16);
        if (data.length < lineEnd + 2 + size + 2) break;
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        cursor = lineEnd + 2 + size + 2;
        if (size === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      body = Buffer.concat(chunks);
    } else {
      // Delimited by the connection closing: the caller sees it in `raw`.
      body = data.subarray(cursor);
      cursor = data.length;
    }
    responses.push({ status, headers, body: body.toString('utf8') });
    offset = cursor;
  }
  return { responses, rest: data.subarray(offset) };
}

export interface ExchangeOptions {
  /** Give up waiting for more after this long without data (the server keeps the connection open). */
  idleMs?: number;
  /** Stop as soon as this many responses arrived. */
  expect?: number;
  head?: boolean;
  /** Write the parts this far apart (a slow client) instead of all at once. */
  intervalMs?: number;
}

/** Sends `request` (or the chunks in order) on a fresh connection and collects what comes back. */
export function exchange(port: number, request: string | Buffer | (string | Buffer)[], options: ExchangeOptions = {}): Promise<RawExchange> {
  const idleMs = options.idleMs ?? 1500;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let closed = false;
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let writer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(writer);
      socket.destroy();
      const data = Buffer.concat(received);
      try {
        resolve({ responses: parseResponses(data, options.head).responses, raw: data.toString('latin1'), closed, sent });
      } catch (error) {
        reject(error as Error);
      }
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    };
    socket.on('data', (chunk) => {
      received.push(chunk);
      if (options.expect !== undefined && parseResponses(Buffer.concat(received), options.head).responses.length >= options.expect) finish();
      else arm();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (done) return;
      closed = true;
      finish();
    });
    socket.on('connect', () => {
      const parts = Array.isArray(request) ? request : [request];
      if (options.intervalMs === undefined) {
        for (const part of parts) socket.write(part);
        sent = parts.length;
        arm();
        return;
      }
      const next = () => {
        if (socket.destroyed || sent >= parts.length) return clearInterval(writer);
        socket.write(parts[sent++]!);
        arm();
      };
      next();
      writer = setInterval(next, options.intervalMs);
    });
  });
}
