// mod doctor on AWS checks the model bucket's versioning (issue 13) when the
// env names one: a release must name exact object versions. The S3 SDK is
// mocked at its boundary (aws-sdk-client-mock).
import { GetBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema, resolveEnvironment } from '../../../../../src/delivery/config.js';
import { AwsClients } from '../../../../../src/delivery/providers/aws/aws-clients.js';
import { modelBucketCheck } from '../../../../../src/delivery/providers/aws/aws-doctor.js';
import { awsNames } from '../../../../../src/delivery/providers/aws/aws-names.js';

const s3 = mockClient(S3Client);

function context() {
  const config = ConfigSchema.parse({ app: 'fixture', environments: { stage: { branch: 'stage', provider: 'aws', aws: { region: 'us-east-1', modelBucket: 'mod-models-test' } } } });
  const env = resolveEnvironment(config, 'stage');
  return { clients: new AwsClients({ region: 'us-east-1' }), names: awsNames(env) };
}

describe('issue 13: mod doctor checks the model bucket on AWS', () => {
  beforeEach(() => s3.reset());

  it('passes on a versioned bucket and names the pointer parameter', async () => {
    s3.on(GetBucketVersioningCommand, { Bucket: 'mod-models-test' }).resolves({ Status: 'Enabled' });
    expect(await modelBucketCheck(context())).toEqual({ status: 'pass', detail: 's3://mod-models-test (versioning enabled), pointer /mod/stage/model' });
  });

  it('fails on a bucket whose versioning is suspended or was never enabled, saying how to enable it', async () => {
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' });
    expect(await modelBucketCheck(context())).toMatchObject({ status: 'fail', detail: expect.stringContaining('versioning Suspended') });
    s3.on(GetBucketVersioningCommand).resolves({});
    expect(await modelBucketCheck(context())).toMatchObject({ status: 'fail', detail: expect.stringContaining('aws s3api put-bucket-versioning --bucket mod-models-test') });
  });
});
