// AwsClients.call: its result is typed by the command it sends (checked by
// the typecheck), it counts calls, and a failure names the IAM action and the
// resource.
import { CodePipelineClient, GetPipelineStateCommand, type GetPipelineStateCommandOutput } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { ModError } from '../../../../../src/errors.js';
import { AwsClients } from '../../../../../src/delivery/providers/aws/aws-clients.js';

const codepipeline = mockClient(CodePipelineClient);
afterEach(() => codepipeline.reset());

describe('AwsClients.call', () => {
  it('returns the output the command declares, and counts the call', async () => {
    codepipeline.on(GetPipelineStateCommand).resolves({ pipelineName: 'shop-stage', stageStates: [{ stageName: 'Source' }] });
    const clients = new AwsClients({ region: 'us-east-1' });
    const state = clients.call(clients.codepipeline, new GetPipelineStateCommand({ name: 'shop-stage' }), 'pipeline shop-stage');
    expectTypeOf(state).resolves.toEqualTypeOf<GetPipelineStateCommandOutput>();
    expect((await state).stageStates?.[0]?.stageName).toBe('Source');
    expect(clients.calls).toBe(1);
    clients.destroy();
  });

  it('names service:Action and the resource when the command fails', async () => {
    codepipeline.on(GetPipelineStateCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const clients = new AwsClients({ region: 'us-east-1' });
    const failure = await clients.call(clients.codepipeline, new GetPipelineStateCommand({ name: 'shop-stage' }), 'pipeline shop-stage').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ModError);
    expect((failure as ModError).code).toBe('AWS_ACCESS_DENIED');
    expect((failure as ModError).message).toBe('access denied: codepipeline:GetPipelineState on pipeline shop-stage');
    clients.destroy();
  });
});
