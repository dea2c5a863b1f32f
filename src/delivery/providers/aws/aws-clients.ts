// The AWS SDK v3 clients one environment needs, created on first use with
// the SDK's default credential chain (env, profile, SSO, container, instance
// role), the region and profile of the environment or the command line, and
// adaptive retries. AWS_ENDPOINT_URL and AWS_REGION are honoured by the SDK.
// Every call goes through `call`, which names the action and resource in
// errors and counts calls (the status benchmark reads the count).
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { Command, MetadataBearer } from '@smithy/types';
import { toModError } from './aws-errors.js';

export interface AwsClientOptions {
  region?: string;
  profile?: string;
  /** Replaces the HTTP transport (tests, the status benchmark). */
  requestHandler?: unknown;
  maxAttempts?: number;
}

/** Client class -> the IAM action prefix users grant permissions with. */
const IAM_PREFIX: Record<string, string> = {
  CodePipelineClient: 'codepipeline',
  CodeBuildClient: 'codebuild',
  CodeDeployClient: 'codedeploy',
  EC2Client: 'ec2',
  ElasticLoadBalancingV2Client: 'elasticloadbalancing',
  CloudWatchLogsClient: 'logs',
  CloudWatchClient: 'cloudwatch',
  STSClient: 'sts',
  S3Client: 's3',
  SSMClient: 'ssm',
};

type Sendable = { send(command: unknown, options?: unknown): Promise<unknown> };

// The SDK warns on every run that its releases after January 2027 need Node
// 22; mod pins a release that supports Node 20, and the warning would break
// the one-line-per-event output. Users can still opt back in by setting it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export class AwsClients {
  calls = 0;
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly options: AwsClientOptions) {}

  private client<T>(key: string, make: (config: Record<string, unknown>) => T): T {
    let client = this.cache.get(key) as T | undefined;
    if (!client) {
      const config: Record<string, unknown> = { retryMode: 'adaptive', maxAttempts: this.options.maxAttempts ?? 6 };
      if (this.options.region) config.region = this.options.region;
      if (this.options.profile) config.profile = this.options.profile;
      if (this.options.requestHandler) config.requestHandler = this.options.requestHandler;
      client = make(config);
      this.cache.set(key, client);
    }
    return client;
  }

  get codepipeline() {
    return this.client('codepipeline', (c) => new CodePipelineClient(c));
  }
  get codebuild() {
    return this.client('codebuild', (c) => new CodeBuildClient(c));
  }
  get codedeploy() {
    return this.client('codedeploy', (c) => new CodeDeployClient(c));
  }
  get ec2() {
    return this.client('ec2', (c) => new EC2Client(c));
  }
  get elbv2() {
    return this.client('elbv2', (c) => new ElasticLoadBalancingV2Client(c));
  }
  get logs() {
    return this.client('logs', (c) => new CloudWatchLogsClient(c));
  }
  get cloudwatch() {
    return this.client('cloudwatch', (c) => new CloudWatchClient(c));
  }
  get sts() {
    return this.client('sts', (c) => new STSClient(c));
  }
  /** Issue 13: the model bucket. Path-style addressing when an endpoint is set (an emulator has no per-bucket host names). */
  get s3() {
    return this.client('s3', (c) => new S3Client({ ...c, ...(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL ? { forcePathStyle: true } : {}) }));
  }
  /** Issue 13: the model pointer parameter. */
  get ssm() {
    return this.client('ssm', (c) => new SSMClient(c));
  }

  /**
   * Sends one command; errors become ModErrors naming `service:Action` and the resource.
   * The result is typed by the command (the SDK's `Command` declares its output), so
   * callers never restate it.
   */
  async call<Input extends object, Output extends MetadataBearer>(client: Sendable, command: Command<object, Input, MetadataBearer, Output, unknown>, resource: string): Promise<Output> {
    this.calls++;
    try {
      // The client's own send is generic over its commands; Sendable erases that, the command restores it.
      return (await client.send(command)) as Output;
    } catch (error) {
      const service = IAM_PREFIX[(client as { constructor: { name: string } }).constructor.name] ?? 'aws';
      const action = `${service}:${command.constructor.name.replace(/Command$/, '')}`;
      throw toModError(error, action, resource, this.options.profile);
    }
  }

  destroy(): void {
    for (const client of this.cache.values()) (client as { destroy?: () => void }).destroy?.();
  }
}
