// Maps AWS SDK errors to one-line causes with a hint and an exit code:
// expired or missing credentials, access denied (naming the API action and
// resource), missing resources, throttling. Never a stack trace by default.
import { ExitCode, ModError } from '../../../errors.js';

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const NOT_FOUND = new Set([
  'PipelineNotFoundException',
  'PipelineExecutionNotFoundException',
  'ApplicationDoesNotExistException',
  'DeploymentGroupDoesNotExistException',
  'DeploymentDoesNotExistException',
  'ResourceNotFoundException',
  'TargetGroupNotFoundException',
  'LoadBalancerNotFoundException',
  'NoSuchBucket',
  'NoSuchKey',
  'NoSuchVersion',
]);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnrecognizedClientException', 'InvalidClientTokenId']);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'RequestExpired']);
const THROTTLED = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceededException']);

export function isThrottling(error: unknown): boolean {
  return THROTTLED.has((error as SdkError)?.name ?? '');
}

export function toModError(error: unknown, action: string, resource: string, profile?: string): ModError {
  if (error instanceof ModError) return error;
  const e = error as SdkError;
  const name = e?.name ?? 'Error';
  const message = (e?.message ?? String(error)).split('\n')[0];
  const login = profile ? `aws sso login --profile ${profile}` : 'aws sso login (or refresh your credentials)';
  if (EXPIRED.has(name) || /token.*(expired|refresh)|sso session.*expired/i.test(message ?? '')) {
    return new ModError('AWS_CREDENTIALS_EXPIRED', `AWS credentials have expired (${action})`, { hint: login, exitCode: ExitCode.Usage, cause: error });
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message ?? '')) {
    return new ModError('AWS_NO_CREDENTIALS', `no AWS credentials found for ${action}`, {
      hint: `set AWS_PROFILE or pass --profile, or configure credentials (env, ~/.aws, SSO, instance role)${profile ? `; then ${login}` : ''}`,
      exitCode: ExitCode.Usage,
      cause: error,
    });
  }
  if (DENIED.has(name) || e?.$metadata?.httpStatusCode === 403) {
    return new ModError('AWS_ACCESS_DENIED', `access denied: ${action} on ${resource}`, {
      hint: `grant ${action} on ${resource} to the role you use (check with aws sts get-caller-identity)`,
      exitCode: ExitCode.Usage,
      cause: error,
    });
  }
  if (NOT_FOUND.has(name)) {
    return new ModError('AWS_NOT_FOUND', `${resource} does not exist (${action}: ${name})`, {
      hint: 'check environments.<env>.aws in mod.config.yml, or run mod doctor --env <env>',
      exitCode: ExitCode.Usage,
      cause: error,
    });
  }
  if (THROTTLED.has(name)) {
    return new ModError('AWS_THROTTLED', `AWS kept throttling ${action} after ${e?.$metadata?.attempts ?? 'several'} attempts`, {
      hint: 'wait a minute and run the command again',
      exitCode: ExitCode.Failed,
      cause: error,
    });
  }
  return new ModError('AWS_ERROR', `${action} on ${resource} failed: ${name}: ${message}`, { exitCode: ExitCode.Failed, cause: error });
}
