// Every error code the CLI or the service can emit, in one place: the code's
// exit code when a `mod` command fails with it, the HTTP status the service
// (or a local environment's endpoint) answers with, and what it means. The
// codes are part of the contract (scripts, bots and API clients match on
// them), so a key never changes; README.md's error table lists every key.

export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  GateRefused: 3,
  Timeout: 4,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorCodeEntry {
  /** The CLI's exit code when a command fails with this code. */
  readonly exitCode?: ExitCode;
  /** The status of an HTTP answer carrying this code (the usual one where Fastify picks another 4xx). */
  readonly httpStatus?: number;
  /** One line for the README's table. */
  readonly meaning: string;
}

export const errorCodes = {
  // Usage and configuration
  USAGE: { exitCode: ExitCode.Usage, meaning: 'a wrong flag, argument or environment name; production without `--yes` when not interactive, or a question answered no' },
  CONFIG_INVALID: { exitCode: ExitCode.Usage, meaning: '`mod.config.yml`, `buildspec.yml` or `appspec.yml` is missing or does not validate (the message names the file and key)' },
  NOT_A_GIT_REPOSITORY: { exitCode: ExitCode.Usage, meaning: 'the directory (the current one, or `-C`) is not inside a git repository, or does not exist' },
  TOKEN_NOT_FOUND: { exitCode: ExitCode.Usage, meaning: '`mod service token revoke`: no moderator token has that name' },
  SERVICE_CONFIG_INVALID: { exitCode: ExitCode.Usage, meaning: "the service's environment variables do not validate" },
  DEPLOYMENT_NOT_FOUND: { exitCode: ExitCode.Usage, meaning: '`mod canary report`: no deployment has that id in the environment(s) searched (`mod history` lists them)' },
  NO_CANARY: { exitCode: ExitCode.Usage, meaning: '`mod canary report`: the deployment ran without a canary (its environment has no `canary` settings)' },

  // Deploy, rollback and the environments
  LOCK_HELD: { exitCode: ExitCode.Failed, meaning: "another deploy or rollback holds the environment's lock" },
  GATE_REFUSED: { exitCode: ExitCode.GateRefused, meaning: 'a release gate refused the deploy' },
  TIMEOUT: { exitCode: ExitCode.Timeout, meaning: 'timed out (`--timeout`): an AWS deployment goes on; a local one is stopped (its hook killed) and recorded `Stopped`' },
  INTERRUPTED: { exitCode: ExitCode.Interrupted, meaning: 'interrupted (Ctrl-C, SIGINT or SIGTERM); in a deployment record: the deployment was stopped' },
  DEPLOYMENT_STOPPED: { exitCode: ExitCode.Interrupted, meaning: 'in a deployment record: `mod stop` stopped the deployment (the record says who); its CLI exits 130' },
  DEPLOYMENT_ABANDONED: { meaning: 'in a deployment record: its `mod` process died mid-deployment; the next lock holder closed it `Stopped` and killed its hook (a model release: the next `mod model` command closed it and put back the pointer it wrote)' },
  REVERT_BLOCKED: { exitCode: ExitCode.Failed, meaning: 'a rollback refused before redeploying: the revert it must make on the branch is not possible (uncommitted changes, branch checked out elsewhere, upstream ahead or unreachable, conflict)' },
  REVERT_PENDING: { exitCode: ExitCode.Failed, meaning: 'the last rollback redeployed but its revert commit is not made: `mod rollback --env E --finish-revert`' },
  GIT: { exitCode: ExitCode.Failed, meaning: 'a git command failed' },
  PUSH_REJECTED: { exitCode: ExitCode.Failed, meaning: "the branch's upstream refused the push: it has commits the revision lacks (mod never force-pushes)" },
  REVERT_FAILED: { exitCode: ExitCode.Failed, meaning: 'a rollback redeployed but could not make the revert commit' },
  BUILD_FAILED: { exitCode: ExitCode.Failed, meaning: 'a `buildspec.yml` phase failed (locally or in CodeBuild)' },
  BUILD_TIMEOUT: { exitCode: ExitCode.Failed, meaning: 'a local build ran past its timeout' },
  BUILD_ABORTED: { exitCode: ExitCode.Failed, meaning: 'a local build was interrupted' },
  BUNDLE_MISSING: { exitCode: ExitCode.Failed, meaning: 'the revision bundle to redeploy (`rollback --fast`) is damaged or gone and its commit is not in this clone to rebuild it' },
  BUNDLE_INVALID: { exitCode: ExitCode.Failed, meaning: 'the built bundle has no `appspec.yml` at its root' },
  LIFECYCLE_EVENT_FAILED: { exitCode: ExitCode.Failed, meaning: 'an `appspec.yml` hook failed on an instance' },
  MODEL_NOT_LOADED: { exitCode: ExitCode.Failed, meaning: '`mod model release`, `rollback` or `shadow`: not every instance loaded the model the pointer names in time (`--timeout`); the message names each instance and its own error; the pointer is put back as it was' },
  CANARY_FAILED: { exitCode: ExitCode.Failed, meaning: 'the canary analysis failed the new revision (or `mod approve --reject` rejected a paused one): the rollout did not start, the fleet keeps its revision' },
  DEPLOYMENT_FAILED: { exitCode: ExitCode.Failed, meaning: "a CodeDeploy deployment failed with no failed hook (CodeDeploy's own code is reported instead when it gives one)" },
  PIPELINE_FAILED: { exitCode: ExitCode.Failed, meaning: 'the CodePipeline execution failed outside the build and the deployment' },
  HOST_START_FAILED: { exitCode: ExitCode.Failed, meaning: "a local environment's endpoint and database did not start" },
  HOST_ERROR: { exitCode: ExitCode.Failed, httpStatus: 500, meaning: "a local environment host's control API failed" },
  HOST_ORPHANED: { exitCode: ExitCode.Failed, meaning: "a local environment's host from before its state directory was deleted still runs but does not answer (the message names its pid)" },
  ENDPOINT_DOWN: { exitCode: ExitCode.Failed, meaning: "`mod status`: a deployed environment's endpoint is down without `mod stop` (the local host died); its instances may still serve" },
  NO_HEALTHY_TARGET: { httpStatus: 503, meaning: "a local environment's endpoint has no healthy instance registered" },
  SWITCH_FAILED: { httpStatus: 409, meaning: "a local blue/green traffic switch did not happen: the replacement fleet never became healthy (the host's control API; the deployment records why)" },
  BAD_GATEWAY: { httpStatus: 502, meaning: "a local environment's endpoint could not reach the instance it chose" },
  UNEXPECTED: { exitCode: ExitCode.Failed, meaning: 'a bug: an error mod did not expect (`--debug` shows the stack)' },

  // AWS and GitHub
  AWS_CREDENTIALS_EXPIRED: { exitCode: ExitCode.Usage, meaning: 'the AWS credentials have expired (the hint says how to log in)' },
  AWS_NO_CREDENTIALS: { exitCode: ExitCode.Usage, meaning: 'no AWS credentials were found' },
  AWS_ACCESS_DENIED: { exitCode: ExitCode.Usage, meaning: 'the AWS role may not perform the action' },
  AWS_NOT_FOUND: { exitCode: ExitCode.Usage, meaning: 'an AWS resource named in `mod.config.yml` does not exist' },
  AWS_THROTTLED: { exitCode: ExitCode.Failed, meaning: 'AWS kept throttling the calls after retries' },
  AWS_ERROR: { exitCode: ExitCode.Failed, meaning: 'any other AWS API failure' },
  MODEL_POINTER_INVALID: {
    exitCode: ExitCode.Usage,
    meaning: "an environment's model pointer (local file or SSM parameter) is not valid JSON or not a model pointer: `mod model release`, `rollback` and `shadow` refuse; `mod model rollback --env E --to bundled` replaces it without reading it",
  },
  MODEL_BUCKET_UNVERSIONED: { exitCode: ExitCode.Usage, meaning: 'the S3 bucket `aws.modelBucket` does not have versioning enabled, so a model release could not name exact object versions (the hint gives the command)' },
  BOT_NOT_CONFIGURED: { exitCode: ExitCode.Usage, meaning: '`mod bot serve`: a Slack secret it needs (`SLACK_SIGNING_SECRET`, `SLACK_BOT_TOKEN`, or `SLACK_APP_TOKEN` with `--socket-mode`) is not set, or Slack refused the bot token; the message says where to find it' },
  SLACK_UNAVAILABLE: { exitCode: ExitCode.Failed, meaning: "`mod bot serve`: Slack's Web API (or `SLACK_API_URL`) could not be reached to check `SLACK_BOT_TOKEN`" },
  GITHUB_UNAVAILABLE: { exitCode: ExitCode.Failed, meaning: 'GitHub could not be read: no or rejected token, rate limit, repository or PR not found' },

  // Moderation library, store and service
  DATA_INVALID: { exitCode: ExitCode.Usage, meaning: 'a labelled data file is empty, malformed or has only one class' },
  MODEL_ARTIFACT_INVALID: { exitCode: ExitCode.Usage, meaning: 'a model artifact is missing, corrupt or of another format version' },
  POLICY_INVALID: { exitCode: ExitCode.Usage, meaning: 'a decision-policy file cannot be read or does not validate' },
  TEXT_TOO_LONG: { exitCode: ExitCode.Usage, httpStatus: 400, meaning: 'a text is longer than the moderator accepts' },
  DATABASE_UNAVAILABLE: { exitCode: ExitCode.Failed, httpStatus: 503, meaning: 'the database cannot be reached (the service answers with Retry-After; nothing was stored)' },
  SERVICE_UNREACHABLE: { exitCode: ExitCode.Failed, meaning: '`mod moderate --endpoint`: no service answers at the URL (connection refused, unknown host, reset); the message says what was stored before' },
  SERVICE_ERROR: {
    exitCode: ExitCode.Failed,
    meaning: "`mod moderate --endpoint`: the service refused a batch (its status, code and message, with the file's line for an `items.N` error) or answered something that is not the service's; the message says which lines were stored before",
  },
  MIGRATION: { exitCode: ExitCode.Failed, meaning: 'migrations cannot be applied safely (pending, edited, missing or failing)' },
  EMBEDDED_DB_IN_USE: { exitCode: ExitCode.Failed, meaning: 'another process uses the embedded database directory' },
  MIGRATIONS_PENDING: { httpStatus: 503, meaning: '`/readyz`: the database migrations are not current' },
  FORBIDDEN: { httpStatus: 403, meaning: 'the token or console session is valid but its role may not do this (a viewer cannot read the review queue, label or export labels)' },
  CSRF_REJECTED: { httpStatus: 403, meaning: "a state-changing console request without the session's CSRF token (`x-csrf-token` header or `_csrf` form field), or a sign-in posted from another origin" },
  UNDO_NOT_POSSIBLE: { httpStatus: 409, meaning: "the console's undo: the label is not the moderator's latest on that post, another label came after it, or the claim it was given under has ended (the message says which)" },
  UNAUTHORIZED: { httpStatus: 401, meaning: "no or an invalid moderator token (or a local environment host's control token)" },
  NOT_FOUND: { httpStatus: 404, meaning: 'no such route' },
  POST_NOT_FOUND: { httpStatus: 404, meaning: 'no post with that id' },
  REVIEW_NOT_FOUND: { httpStatus: 404, meaning: 'no review for that post' },
  ALREADY_DECIDED: { httpStatus: 409, meaning: 'the post has already been labelled' },
  CLAIMED_BY_OTHER: { httpStatus: 409, meaning: 'another moderator has claimed the review' },
  ALREADY_LABELLED: { httpStatus: 409, meaning: 'the moderator has already labelled the post, which waits for a second moderator (a second opinion)' },
  ID_CONFLICT: { httpStatus: 409, meaning: 'the post id was stored earlier with another text, kind or user id (the same request again is answered its first decision)' },
  INVALID_REQUEST: { httpStatus: 400, meaning: 'the request does not match the route (missing field, wrong type, value out of range)' },
  UNKNOWN_FIELD: { httpStatus: 400, meaning: 'the body has a field the route does not know' },
  INVALID_CHARACTER: { httpStatus: 400, meaning: 'a text holds a NUL character or an unpaired surrogate, which cannot be stored' },
  TOO_MANY_ITEMS: { httpStatus: 400, meaning: 'a batch has more items than allowed' },
  INVALID_JSON: { httpStatus: 400, meaning: 'the body is empty or not JSON' },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, meaning: 'the body is over the size limit (service or local endpoint)' },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, meaning: 'the body is not `application/json`' },
  BAD_REQUEST: { httpStatus: 400, meaning: 'any other client error: a request that is not valid HTTP/1.1 (bad request line, header or chunk, no Host), a bad URL, or a 4xx Fastify raised (with the status it chose)' },
  REQUEST_TIMEOUT: { httpStatus: 408, meaning: 'the client did not send its headers or its whole request in time (`HTTP_HEADERS_TIMEOUT_MS`, `HTTP_REQUEST_TIMEOUT_MS`)' },
  HEADERS_TOO_LARGE: { httpStatus: 431, meaning: 'the request line and headers are over 16 KiB' },
  EXPECTATION_FAILED: { httpStatus: 417, meaning: 'an `Expect` header other than `100-continue`' },
  SHUTTING_DOWN: { httpStatus: 503, meaning: 'the service is stopping (a request on a connection opened before); retry: another instance answers' },
  INTERNAL: { httpStatus: 500, meaning: 'a bug in the service (logged; the answer tells nothing of the internals)' },
} as const satisfies Record<string, ErrorCodeEntry>;

type Entries = typeof errorCodes;
export type ErrorCode = keyof Entries;
/** The codes a `mod` command can fail with: each has an exit code. */
export type CliErrorCode = { [K in ErrorCode]: Entries[K] extends { exitCode: ExitCode } ? K : never }[ErrorCode];
/** The codes an HTTP answer can carry: each has a status. */
export type HttpErrorCode = { [K in ErrorCode]: Entries[K] extends { httpStatus: number } ? K : never }[ErrorCode];
/** The status registered for an HTTP code. */
export type HttpStatusOf<C extends HttpErrorCode> = Entries[C]['httpStatus'];

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(errorCodes, value);
}

export function exitCodeOf(code: CliErrorCode): ExitCode {
  return errorCodes[code].exitCode;
}

export function httpStatusOf<C extends HttpErrorCode>(code: C): HttpStatusOf<C> {
  return errorCodes[code].httpStatus as HttpStatusOf<C>;
}
