// The service's error mapping without HTTP: which code and message a schema
// failure (shaped as ajv reports it) or a Fastify client error becomes. The
// HTTP suite (app.test.ts) checks the same codes end to end.
import { describe, expect, it } from 'vitest';
import { clientErrorCode, describeClientError, describeValidation, loggableError, rawErrorResponse, type ValidationIssue } from '../../../src/service/http-errors.js';
import { NO_NUL, NO_NUL_OR_LONE_SURROGATE } from '../../../src/service/routes/schemas.js';

const issue = (keyword: string, instancePath: string, params: Record<string, unknown>, message?: string): ValidationIssue => ({ keyword, instancePath, params, message });

describe('describeValidation', () => {
  it('names an unknown field', () => {
    expect(describeValidation([issue('additionalProperties', '', { additionalProperty: 'colour' })], 'fallback')).toEqual({ code: 'UNKNOWN_FIELD', message: 'body: unknown field "colour"' });
  });

  it('calls a text over the limit TEXT_TOO_LONG, alone or in a batch, but not another long field', () => {
    expect(describeValidation([issue('maxLength', '/text', { limit: 1000 })], 'fallback')).toEqual({ code: 'TEXT_TOO_LONG', message: 'text: text is longer than 1000 characters' });
    expect(describeValidation([issue('maxLength', '/items/3/text', { limit: 1000 })], 'fallback').code).toBe('TEXT_TOO_LONG');
    expect(describeValidation([issue('maxLength', '/userId', { limit: 200 }, 'must NOT have more than 200 characters')], 'fallback')).toEqual({ code: 'INVALID_REQUEST', message: 'userId must NOT have more than 200 characters' });
  });

  it('tells a NUL (text) and a NUL or lone surrogate (identifiers) apart from other pattern failures', () => {
    expect(describeValidation([issue('pattern', '/items/0/text', { pattern: NO_NUL })], 'fallback')).toEqual({ code: 'INVALID_CHARACTER', message: 'items.0.text contains a NUL character (U+0000), which cannot be stored' });
    expect(describeValidation([issue('pattern', '/id', { pattern: NO_NUL_OR_LONE_SURROGATE })], 'fallback')).toEqual({ code: 'INVALID_CHARACTER', message: 'id contains a NUL character (U+0000) or an unpaired surrogate, which cannot be stored' });
    expect(describeValidation([issue('pattern', '/limit', { pattern: '^[0-9]{1,3}$' }, 'must match pattern "^[0-9]{1,3}$"')], 'fallback').code).toBe('INVALID_REQUEST');
  });

  it('says how many items a batch may have', () => {
    expect(describeValidation([issue('maxItems', '/items', { limit: 100 })], 'fallback')).toEqual({ code: 'TOO_MANY_ITEMS', message: 'items: at most 100 items per batch' });
  });

  it('names a missing field', () => {
    expect(describeValidation([issue('required', '', { missingProperty: 'text' })], 'fallback')).toEqual({ code: 'INVALID_REQUEST', message: 'body: missing field "text"' });
  });

  it('lists the accepted words for a value outside an enum (a review label, a category, a kind)', () => {
    expect(describeValidation([issue('enum', '/category', { allowedValues: ['contact', 'scam'] }, 'must be equal to one of the allowed values')], 'fallback')).toEqual({
      code: 'INVALID_REQUEST',
      message: 'category must be one of "contact", "scam"',
    });
    expect(describeValidation([issue('enum', '/items/2/kind', { allowedValues: ['message', 'profile', 'post'] })], 'fallback').message).toBe('items.2.kind must be one of "message", "profile", "post"');
  });

  it('reports only the first issue, and falls back to the error message without one', () => {
    expect(describeValidation([issue('required', '', { missingProperty: 'label' }), issue('additionalProperties', '', { additionalProperty: 'x' })], 'fallback').message).toBe('body: missing field "label"');
    expect(describeValidation([issue('type', '/score', { type: 'string' })], 'fallback')).toEqual({ code: 'INVALID_REQUEST', message: 'score is invalid' });
    expect(describeValidation([], 'body must be object')).toEqual({ code: 'INVALID_REQUEST', message: 'body must be object' });
  });
});

describe('clientErrorCode', () => {
  it("maps Fastify's own client errors to the service's codes", () => {
    expect(clientErrorCode(413, 'FST_ERR_CTP_BODY_TOO_LARGE')).toBe('PAYLOAD_TOO_LARGE');
    expect(clientErrorCode(415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE')).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(clientErrorCode(400, 'FST_ERR_CTP_INVALID_JSON_BODY')).toBe('INVALID_JSON');
    expect(clientErrorCode(400, 'FST_ERR_CTP_EMPTY_JSON_BODY')).toBe('INVALID_JSON');
    expect(clientErrorCode(400, undefined)).toBe('INVALID_JSON');
    expect(clientErrorCode(400, 'FST_ERR_SOMETHING')).toBe('BAD_REQUEST');
    expect(clientErrorCode(404, 'FST_ERR_NOT_FOUND')).toBe('BAD_REQUEST');
    expect(clientErrorCode(409, 'SOME_CODE')).toBe('SOME_CODE');
  });
});

describe('describeClientError (issue 17.12)', () => {
  it("answers Node's parser and timeout errors with the service's codes, naming the rule but never the bytes", () => {
    expect(describeClientError({ code: 'ERR_HTTP_REQUEST_TIMEOUT' })).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT', reason: 'timeout' });
    expect(describeClientError({ code: 'HPE_HEADER_OVERFLOW' })).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
    expect(describeClientError({ code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW' })).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(describeClientError({ code: 'HPE_INVALID_METHOD', reason: 'Invalid method encountered' })).toEqual({ status: 400, code: 'BAD_REQUEST', message: 'not a valid HTTP/1.1 request: Invalid method encountered', reason: 'malformed' });
    expect(describeClientError({})).toMatchObject({ status: 400, code: 'BAD_REQUEST', message: 'not a valid HTTP/1.1 request' });
  });

  it('writes a raw answer in the documented shape, with its length in bytes', () => {
    const raw = rawErrorResponse(431, 'HEADERS_TOO_LARGE', 'trop grand: é');
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body!)}`);
    expect(head).toContain('Connection: close');
    expect(JSON.parse(body!)).toEqual({ error: { code: 'HEADERS_TOO_LARGE', message: 'trop grand: é' } });
  });
});

describe('loggableError (issue 17.8)', () => {
  it("keeps a PostgreSQL error's code, routine and constraint but not its message or detail, which quote the data", () => {
    const error = Object.assign(new Error('new row for relation "posts" violates check constraint "posts_category_known"'), {
      severity: 'ERROR',
      code: '23514',
      routine: 'ExecConstraints',
      constraint: 'posts_category_known',
      detail: 'Failing row contains (p-1, null, null, my secret words, reject, ...).',
      where: 'JSON data, line 1: my secret',
    });
    const logged = loggableError(error);
    expect(logged).toMatchObject({ type: 'Error', code: '23514', routine: 'ExecConstraints', constraint: 'posts_category_known' });
    expect(JSON.stringify(logged)).not.toMatch(/secret|Failing row|violates/);
    expect(logged.stack).toMatch(/^\s+at /);
  });

  it('keeps the message of an error the code wrote', () => {
    expect(loggableError(new TypeError('x is not a function'))).toMatchObject({ type: 'TypeError', message: 'x is not a function' });
    expect(loggableError('a string')).toEqual({ type: 'string' });
  });
});
