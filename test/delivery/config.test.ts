import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, needsConfirmation, resolveEnvironment } from '../../src/delivery/config.js';
import { ConfigError, UsageError } from '../../src/errors.js';

async function configFrom(text: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mod-config-'));
  await writeFile(path.join(dir, 'mod.config.yml'), text);
  return loadConfig(dir);
}

describe('mod.config.yml', () => {
  it('fills the documented defaults and resolves aliases', async () => {
    const { config } = await configFrom('app: shop\nenvironments:\n  stage:\n    branch: stage\n    aliases: [staging]\n  production:\n    branch: master\n    aliases: [prod]\n');
    const stage = resolveEnvironment(config, 'staging');
    expect(stage).toMatchObject({
      name: 'stage',
      app: 'shop',
      provider: 'local',
      instances: 2,
      rollout: 'OneAtATime',
      autoRollback: true,
      healthCheck: { path: '/healthz', healthyThreshold: 2 },
    });
    expect(resolveEnvironment(config, 'prod').name).toBe('production');
    expect(needsConfirmation(resolveEnvironment(config, 'prod'))).toBe(true);
    expect(needsConfirmation(stage)).toBe(false);
    expect(() => resolveEnvironment(config, 'qa')).toThrow(UsageError);
    expect(() => resolveEnvironment(config, 'qa')).toThrow(/unknown environment "qa"/);
  });

  it.each([
    ['a wrong type', 'app: a\nenvironments:\n  stage:\n    branch: stage\n    instances: "3"\n', /mod\.config\.yml:5: environments\.stage\.instances: expected number, got "3"/],
    ['an unknown key', 'app: a\nenvironments:\n  stage:\n    branch: stage\n    replicas: 3\n', /mod\.config\.yml:5: environments\.stage\.replicas: unknown key "replicas"/],
    ['a bad enum', 'app: a\nenvironments:\n  stage:\n    branch: stage\n    rollout: Canary\n', /environments\.stage\.rollout: expected one of "OneAtATime", "HalfAtATime", "AllAtOnce", got "Canary"/],
    ['a missing key', 'app: a\nenvironments:\n  stage:\n    instances: 1\n', /environments\.stage\.branch: missing, expected string/],
    ['broken YAML', 'app: a\nenvironments:\n  stage: [\n', /mod\.config\.yml:\d+: not valid YAML/],
  ])('rejects %s with the file, line and key path', async (_name, text, message) => {
    const error = await configFrom(text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses an alias that names two environments', async () => {
    await expect(configFrom('app: a\nenvironments:\n  stage:\n    branch: s\n    aliases: [x]\n  qa:\n    branch: q\n    aliases: [x]\n')).rejects.toThrow(/"x" names both/);
  });
});
