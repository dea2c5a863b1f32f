// The output port: mode selection, JSON purity on stdout, plain text without colour.
import { describe, expect, it } from 'vitest';
import { captureStreams } from '../support/captured-streams.js';
import { main } from '../../src/cli/main.js';
import { JsonOutput } from '../../src/cli/output/json-output.js';
import { chooseMode } from '../../src/cli/output/output.js';
import { PlainOutput } from '../../src/cli/output/plain-output.js';

const capture = captureStreams;

describe('output', () => {
  it('chooses json, then plain for CI, pipes and --plain, else tty', () => {
    const tty = { stdout: { isTTY: true }, stderr: { isTTY: true, columns: 80 } } as never;
    const unsized = { stdout: { isTTY: true }, stderr: { isTTY: true, columns: 0 } } as never;
    const pipe = { stdout: {}, stderr: {} } as never;
    expect(chooseMode({ json: true }, tty, {})).toBe('json');
    expect(chooseMode({}, tty, { CI: 'true' })).toBe('plain');
    expect(chooseMode({}, tty, { CI: 'false' })).toBe('tty');
    expect(chooseMode({ plain: true }, tty, {})).toBe('plain');
    expect(chooseMode({}, pipe, {})).toBe('plain');
    expect(chooseMode({}, tty, {})).toBe('tty');
    expect(chooseMode({}, unsized, {})).toBe('plain');
  });

  it('json mode writes exactly one document to stdout and everything else to stderr', () => {
    const c = capture();
    const output = new JsonOutput(c.streams);
    output.info('starting');
    output.event({ type: 'batch.start', batch: 1, of: 2, instanceIds: ['i-1'] });
    output.result({ schemaVersion: 1, ok: true }, () => 'ignored');
    output.result({ second: true }, () => '');
    output.warn('careful');
    const { stdout, stderr } = c.text();
    expect(JSON.parse(stdout)).toEqual({ schemaVersion: 1, ok: true });
    expect(stderr).toContain('starting');
    expect(stderr).toContain('batch 1/2: i-1');
    expect(stderr).toContain('warning: careful');
  });

  it('plain mode prints one uncoloured line per event', () => {
    const c = capture();
    const output = new PlainOutput(c.streams);
    output.event({ type: 'lifecycle', instanceId: 'i-1', event: 'AfterInstall', status: 'Succeeded', durationMs: 20 });
    output.event({ type: 'lifecycle', instanceId: 'i-1', event: 'Install', status: 'InProgress' });
    expect(c.text().stderr).toBe('i-1 AfterInstall succeeded (20 ms)\n');
  });

  it('plain mode prints error-level events as error lines, apart from info and warnings', () => {
    const c = capture();
    const output = new PlainOutput(c.streams);
    output.event({ type: 'lifecycle', instanceId: 'i-1', event: 'ValidateService', status: 'Failed', durationMs: 1500, message: 'exit 1' });
    output.event({ type: 'gate', name: 'peer-review', status: 'fail', reason: 'no approval' });
    output.event({ type: 'notice', level: 'warn', message: 'careful' });
    output.event({ type: 'batch.start', batch: 1, of: 1, instanceIds: ['i-1'] });
    expect(c.text().stderr.split('\n')).toEqual(['error: i-1 ValidateService failed (1.5 s): exit 1', 'error: gate peer-review: FAIL: no approval', 'warning: careful', 'batch 1/1: i-1', '']);
    expect(c.text().stdout).toBe('');
  });

  it('json mode logs error-level events as error lines on stderr, never on stdout', () => {
    const c = capture();
    const output = new JsonOutput(c.streams);
    output.event({ type: 'build.phase', phase: 'build', status: 'failed', durationMs: 10 });
    output.errorResult('BUILD_FAILED', 'build failed in phase build', undefined, 1);
    expect(c.text().stderr).toBe('error: build phase build failed (10 ms)\n');
    expect(JSON.parse(c.text().stdout)).toEqual({ schemaVersion: 1, error: { code: 'BUILD_FAILED', message: 'build failed in phase build', hint: null, exitCode: 1 } });
  });

  it('maps usage errors to exit 2 and --help to 0', async () => {
    const c = capture();
    const context = { streams: c.streams, env: {}, interactive: false };
    expect(await main(['node', 'mod', '--help'], context)).toBe(0);
    expect(c.text().stdout).toContain('Usage: mod');
    expect(await main(['node', 'mod', 'deploy'], context)).toBe(2);
    expect(c.text().stderr).toContain("required option '-e, --env <name>' not specified");
    expect(await main(['node', 'mod', 'launch'], context)).toBe(2);
  });
});
