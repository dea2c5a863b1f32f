// Issue 17.12: the HTTP timeouts are configurable like the other service
// variables, checked at start, with defaults that cut off slow clients.
import { describe, expect, it } from 'vitest';
import { parseServiceConfig, ServiceConfigError } from '../../../src/service/config.js';

describe('service configuration: HTTP timeouts', () => {
  it('has defaults that time out slow clients and outlive the load balancer idle timeout', () => {
    expect(parseServiceConfig({}, '/srv')).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000, shutdownTimeoutMs: 10_000 });
  });

  it('reads HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS and HTTP_KEEP_ALIVE_TIMEOUT_MS', () => {
    expect(parseServiceConfig({ HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '75000' }, '/srv')).toMatchObject({ headersTimeoutMs: 2000, requestTimeoutMs: 5000, keepAliveTimeoutMs: 75_000 });
  });

  it('names each wrong value, and a headers timeout longer than the request timeout', () => {
    const problems = (env: NodeJS.ProcessEnv): string[] => {
      try {
        parseServiceConfig(env, '/srv');
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(ServiceConfigError);
        return (error as ServiceConfigError).problems;
      }
    };
    expect(problems({ HTTP_REQUEST_TIMEOUT_MS: 'soon', HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' })).toEqual(['HTTP_REQUEST_TIMEOUT_MS="soon": expected a whole number from 100 to 3600000', 'HTTP_KEEP_ALIVE_TIMEOUT_MS="0": expected a whole number from 100 to 3600000']);
    expect(problems({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toEqual(['HTTP_HEADERS_TIMEOUT_MS=20000 is longer than HTTP_REQUEST_TIMEOUT_MS=10000: the headers are part of the request']);
  });
});
