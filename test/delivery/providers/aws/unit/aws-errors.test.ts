// Every AWS failure a user meets becomes one line with a hint and an exit code.
import { describe, expect, it } from 'vitest';
import { toModError } from '../../../../../src/delivery/providers/aws/aws-errors.js';

const sdkError = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, ...extra });

describe('toModError', () => {
  it.each([
    ['an expired SSO token', sdkError('ExpiredTokenException', 'The security token included in the request is expired'), 'AWS_CREDENTIALS_EXPIRED', 2, /aws sso login --profile team/],
    ['an SSO session that needs a login', sdkError('CredentialsProviderError', 'The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login'), 'AWS_CREDENTIALS_EXPIRED', 2, /aws sso login/],
    ['no credentials at all', sdkError('CredentialsProviderError', 'Could not load credentials from any providers'), 'AWS_NO_CREDENTIALS', 2, /AWS_PROFILE or pass --profile/],
    ['access denied', sdkError('AccessDeniedException', 'not authorized'), 'AWS_ACCESS_DENIED', 2, /grant codepipeline:GetPipelineState on pipeline shop-stage/],
    ['a missing pipeline', sdkError('PipelineNotFoundException', 'no pipeline'), 'AWS_NOT_FOUND', 2, /mod doctor/],
    ['throttling that outlasted the retries', sdkError('ThrottlingException', 'Rate exceeded', { $metadata: { attempts: 6 } }), 'AWS_THROTTLED', 1, /wait a minute/],
  ])('maps %s', (_what, error, code, exitCode, hint) => {
    const mapped = toModError(error, 'codepipeline:GetPipelineState', 'pipeline shop-stage', 'team');
    expect(mapped.code).toBe(code);
    expect(mapped.exitCode).toBe(exitCode);
    expect(mapped.hint).toMatch(hint);
    expect(mapped.message).not.toContain('\n');
  });

  it('names the action and resource of anything else', () => {
    const mapped = toModError(sdkError('InvalidStructureException', 'bad\nsecond line'), 'codepipeline:StartPipelineExecution', 'pipeline shop-stage');
    expect(mapped.message).toBe('codepipeline:StartPipelineExecution on pipeline shop-stage failed: InvalidStructureException: bad');
    expect(mapped.exitCode).toBe(1);
  });
});
