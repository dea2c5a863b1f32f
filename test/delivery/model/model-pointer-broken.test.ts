// A model pointer broken by hand (not JSON, or not a pointer): release,
// rollback and shadow refuse with MODEL_POINTER_INVALID (exit 2) on the
// local and the AWS store alike, the hint naming the way out, `mod model
// rollback --to bundled`, which clears it without reading it; `mod status`
// and `mod model shadow-report` say the pointer cannot be read. The real
// LocalModelStore on real files; the AWS one with the SDK mocked.
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runModelRollback } from '../../../src/cli/commands/model-release.js';
import { runCommand, type CliContext } from '../../../src/cli/context.js';
import { shadowReportJson, shadowReportText } from '../../../src/cli/format/shadow-report-view.js';
import { ConfigSchema, resolveEnvironment } from '../../../src/delivery/config.js';
import type { DeliveryEvent } from '../../../src/delivery/events.js';
import type { ModelStore } from '../../../src/delivery/model/model-store.js';
import { releaseModel } from '../../../src/delivery/model/model-release.js';
import { rollbackModel } from '../../../src/delivery/model/model-rollback.js';
import { shadowModel } from '../../../src/delivery/model/model-shadow.js';
import { AwsClients } from '../../../src/delivery/providers/aws/aws-clients.js';
import { runIndependent } from '../../../src/delivery/providers/aws/aws-context.js';
import { AwsModelStore } from '../../../src/delivery/providers/aws/aws-model-store.js';
import { awsNames } from '../../../src/delivery/providers/aws/aws-names.js';
import { LocalModelStore } from '../../../src/delivery/providers/local/local-model-store.js';
import { modelStatus } from '../../../src/delivery/status.js';
import { ExitCode, ModError } from '../../../src/errors.js';
import { shadowReport } from '../../../src/moderation/shadow-report.js';
import { FakeProvider } from '../../fakes/fake-provider.js';
import { FakeWorkspace } from '../../fakes/fake-workspace.js';
import { TempRepository } from '../../fakes/temp-repository.js';
import { captureStreams } from '../../support/captured-streams.js';
import { CONFIG, DEFAULT_DIR } from './model-support.js';

const ssm = mockClient(SSMClient);
let repo: TempRepository;
let ws: FakeWorkspace;
let store: LocalModelStore;
let provider: FakeProvider;

beforeEach(async () => {
  repo = await TempRepository.create('stage');
  await repo.commit('First', { 'app.txt': 'v1\n' });
  provider = new (class extends FakeProvider {
    override models(): ModelStore {
      return store;
    }
  })();
  ws = await FakeWorkspace.create(repo, { config: CONFIG, provider });
  store = new LocalModelStore(ws.paths, () => {});
});
afterEach(async () => {
  ssm.reset();
  await repo.dispose();
});

const events: DeliveryEvent[] = [];
const common = { environment: 'stage', signal: new AbortController().signal, events: (e: DeliveryEvent) => void events.push(e), wait: { pollMs: 20 } };

async function breakPointer(text: string): Promise<void> {
  const file = ws.paths.modelPointer('stage');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

async function refusal(run: Promise<unknown>): Promise<ModError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModError);
  return error as ModError;
}

describe('a model pointer broken by hand', () => {
  it.each([
    ['not JSON', '{"live": '],
    ['not a pointer', '{"schemaVersion": 1, "live": "x"}'],
  ])('%s: release, shadow and rollback refuse with MODEL_POINTER_INVALID (exit 2), the hint naming --to bundled', async (_what, text) => {
    await breakPointer(text);
    for (const run of [() => releaseModel(ws, { ...common, model: DEFAULT_DIR }), () => shadowModel(ws, { ...common, model: DEFAULT_DIR }), () => rollbackModel(ws, common)]) {
      const error = await refusal(run());
      expect(error.code).toBe('MODEL_POINTER_INVALID');
      expect(error.exitCode).toBe(ExitCode.Usage);
      expect(error.message).toContain(`the model pointer of stage (${path.resolve(ws.paths.modelPointer('stage'))}) cannot be read`);
      expect(error.hint).toContain('mod model rollback --env stage --to bundled');
    }
  });

  it('mod model rollback --to bundled clears it and records a rollback to the bundled model; a release works again after', async () => {
    await breakPointer('garbage');
    const { streams, text } = captureStreams();
    const context: CliContext = { streams, env: { CI: 'true' }, interactive: false };
    const exit = await runCommand({ json: true }, context, (output) => runModelRollback({ env: 'stage', to: 'bundled' }, { json: true }, context, output, ws));
    expect(exit, text().stderr).toBe(ExitCode.Ok);
    const doc = JSON.parse(text().stdout);
    expect(doc).toMatchObject({ status: 'Succeeded', kind: 'model', model: { action: 'rollback', version: 'bundled', previous: null } });
    expect(await store.readPointer(ws.environment('stage'))).toBeNull();
    const released = await releaseModel(ws, { ...common, model: DEFAULT_DIR });
    expect(released.record.status).toBe('Succeeded');
  });

  it('--to takes only bundled (exit 2); --to bundled with nothing released says so', async () => {
    const { streams, text } = captureStreams();
    const context: CliContext = { streams, env: { CI: 'true' }, interactive: false };
    expect(await runCommand({}, context, (output) => runModelRollback({ env: 'stage', to: 'previous' }, {}, context, output, ws))).toBe(ExitCode.Usage);
    expect(text().stderr).toContain('--to takes bundled');
    expect(await runCommand({}, context, (output) => runModelRollback({ env: 'stage', to: 'bundled' }, {}, context, output, ws))).toBe(ExitCode.Usage);
    expect(text().stderr).toContain('no model is released to stage');
  });

  it('mod status: the warning names the pointer error and the way out', async () => {
    await breakPointer('garbage');
    const warnings: string[] = [];
    expect(await modelStatus(provider, ws.environment('stage'), warnings)).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/the model pointer of stage .* cannot be read: .*; mod model rollback --env stage --to bundled replaces it/)]);
  });

  it('the AWS store refuses an SSM parameter that is not a pointer the same way (code and exit code)', async () => {
    const env = resolveEnvironment(ConfigSchema.parse({ app: 'shop', environments: { stage: { branch: 'stage', provider: 'aws', aws: { region: 'us-east-1', modelBucket: 'mod-models-b' } } } }), 'stage');
    const clients = new AwsClients({ region: 'us-east-1' });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/mod/stage/model', Value: '{"live": ' } });
    const error = await refusal(new AwsModelStore((e) => ({ clients, names: awsNames(e), all: runIndependent(false) })).readPointer(env));
    clients.destroy();
    expect([error.code, error.exitCode]).toEqual(['MODEL_POINTER_INVALID', ExitCode.Usage]);
    expect(error.message).toContain('the model pointer of stage (SSM parameter /mod/stage/model) cannot be read');
    expect(error.hint).toContain('mod model rollback --env stage --to bundled');
  });

  it('shadow-report: says the pointer cannot be read, not "no active shadow" / "to start one"', () => {
    const report = shadowReport([], { shadowVersion: null, since: new Date('2026-12-01T00:00:00Z'), examples: 5 });
    const pointerError = { code: 'MODEL_POINTER_INVALID', message: 'the model pointer of stage (/x) cannot be read: bad', hint: 'mod model rollback --env stage --to bundled replaces it' };
    const view = { environment: 'stage', report, liveVersions: [], versionsSeen: [], activeShadow: undefined, pointerError };
    const text = shadowReportText(view);
    expect(text).toContain('stage: the model pointer of stage (/x) cannot be read: bad: which shadow model is active is unknown');
    expect(text).toContain('mod model rollback --env stage --to bundled');
    expect(text).not.toContain('to start one');
    expect(shadowReportJson(view).pointerError).toEqual(pointerError);
  });
});
