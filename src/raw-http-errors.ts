// The answers an HTTP server writes on the socket itself, before any
// framework has a request: malformed HTTP, oversize headers, timeouts, an
// unsupported Expect, CONNECT. In the documented error shape
// {"error":{"code","message"}}, for the service and the local endpoint alike
// (Node answers these with empty, non-JSON bodies by default).
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpErrorCode } from './error-codes.js';

function errorBody(code: HttpErrorCode, message: string): { error: { code: HttpErrorCode; message: string } } {
  return { error: { code, message } };
}

/** An error answer written on the socket itself, for errors found before Fastify has a request. */
export function rawErrorResponse(status: number, code: HttpErrorCode, message: string): string {
  const body = JSON.stringify(errorBody(code, message));
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** The answer to a connection-level error from Node's HTTP server (its parser or its timeouts). */
export function describeClientError(error: { code?: string; reason?: string }): { status: number; code: HttpErrorCode; message: string; reason: 'timeout' | 'headers_too_large' | 'malformed' } {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'REQUEST_TIMEOUT', message: 'the request was not received in time (see HTTP_HEADERS_TIMEOUT_MS and HTTP_REQUEST_TIMEOUT_MS)', reason: 'timeout' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: 'HEADERS_TOO_LARGE', message: 'the request line and headers are over 16 KiB', reason: 'headers_too_large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'a chunk extension is over the size limit', reason: 'malformed' };
    case 'HPE_PAUSED_H2_UPGRADE':
      return { status: 400, code: 'BAD_REQUEST', message: 'HTTP/2 without TLS is not served here: send HTTP/1.1', reason: 'malformed' };
    default:
      // llhttp's reason names the rule the request broke, never its bytes.
      return { status: 400, code: 'BAD_REQUEST', message: `not a valid HTTP/1.1 request${error.reason ? `: ${error.reason}` : ''}`, reason: 'malformed' };
  }
}

/**
 * The server-level events Node answers with an empty body unless someone
 * listens: an Expect header other than 100-continue (417) and CONNECT
 * (this is not a proxy).
 */
export function answerServerLevelRequests(server: Server): void {
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    const body = JSON.stringify(errorBody('EXPECTATION_FAILED', 'only "Expect: 100-continue" is supported'));
    response.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
  server.on('connect', (_request: IncomingMessage, socket: Socket) => {
    socket.on('error', () => undefined);
    socket.end(rawErrorResponse(400, 'BAD_REQUEST', 'CONNECT is not supported: this is not a proxy'), () => socket.destroy());
  });
}

/**
 * Node's "clientError" for a plain http.Server (the local endpoint): answered
 * in the documented shape when nothing was written on the connection yet,
 * then closed. The service uses its own handler (metrics, logging) on the same rules.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: Error & { code?: string; reason?: string }, socket: Socket & { _httpMessage?: ServerResponse | null }) => {
    if (error.code === 'ECONNRESET' || error.code === 'HPE_CLOSED_CONNECTION' || socket.destroyed) {
      socket.destroy();
      return;
    }
    const answer = describeClientError(error);
    const inFlight = socket._httpMessage;
    if (socket.writable && (!inFlight || !inFlight.headersSent)) socket.write(rawErrorResponse(answer.status, answer.code, answer.message));
    socket.destroy();
  });
  answerServerLevelRequests(server);
}
