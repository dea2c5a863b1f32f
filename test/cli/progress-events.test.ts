// Issue 17.14: what the build and the hooks report while they run, as the
// plain and terminal renderers show it: the build's log path, the running
// command and the packaging step; hook output only with --verbose.
import { describe, expect, it } from 'vitest';
import { describeEvent } from '../../src/cli/output/describe-event.js';
import { PlainOutput } from '../../src/cli/output/plain-output.js';
import { TtyOutput } from '../../src/cli/output/tty-output.js';
import { captureStreams } from '../support/captured-streams.js';

describe('build and hook progress', () => {
  it('names the log file when the build starts, the command running in its phase, and the packaging step', () => {
    expect(describeEvent({ type: 'build.start', commit: 'abcdef0123456789', logFile: '/repo/.mod/builds/b-1/build.log' })).toEqual({ text: 'build abcdef01: running buildspec.yml (log: /repo/.mod/builds/b-1/build.log)', level: 'info' });
    expect(describeEvent({ type: 'build.command', phase: 'install', command: 'npm ci' })).toEqual({ text: 'build phase install: npm ci', level: 'debug' });
    // A multi-line command stays on one status line, and a long one is cut.
    const long = describeEvent({ type: 'build.command', phase: 'build', command: `echo one\necho ${'x'.repeat(200)}` })!;
    expect(long.text).toMatch(/^build phase build: echo one ⏎ echo x+…$/);
    expect(long.text.length).toBeLessThan(130);
    expect(describeEvent({ type: 'build.package', status: 'start' })).toMatchObject({ level: 'debug', text: expect.stringContaining('packaging') });
    expect(describeEvent({ type: 'build.package', status: 'succeeded', durationMs: 1500 })).toEqual({ text: 'revision bundle packaged (1.5 s)', level: 'info' });
    expect(describeEvent({ type: 'build.package', status: 'failed' })).toMatchObject({ level: 'error' });
  });

  it('shows hook output only with --verbose, in plain and terminal output alike', () => {
    const event = { type: 'hook.output', instanceId: 'i-local-1', event: 'ApplicationStart', line: 'service started as 4242' } as const;
    for (const make of [(s: ReturnType<typeof captureStreams>['streams'], verbose: boolean) => new PlainOutput(s, { verbose }), (s: ReturnType<typeof captureStreams>['streams'], verbose: boolean) => new TtyOutput(s, { verbose })]) {
      const quiet = captureStreams();
      make(quiet.streams, false).event(event);
      expect(quiet.text().stderr).toBe('');
      const verbose = captureStreams();
      const output = make(verbose.streams, true);
      output.event(event);
      output.close();
      expect(verbose.text().stderr).toContain('  | i-local-1 ApplicationStart: service started as 4242');
    }
  });
});
