// Runs a buildspec.yml text through the local provider's parser and runner
// against real shells in a temp dir, for the CodeBuild fidelity cases.
import { chmod, mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DeliveryEvent } from '../../../../../src/delivery/events.js';
import { BuildspecSchema } from '../../../../../src/delivery/providers/local/buildspec.js';
import { runBuildspec, type BuildContext, type BuildResult } from '../../../../../src/delivery/providers/local/buildspec-runner.js';
import { parseYamlSpec } from '../../../../../src/delivery/yaml-spec.js';

export interface Built {
  root: string;
  srcDir: string;
  outDir: string;
  workDir: string;
  events: DeliveryEvent[];
  /** The build's outcome: its result or the error it failed with. */
  outcome: BuildResult | Error;
  log: string;
  /** The files under out/ (the primary artifact), sorted. */
  artifacts: () => Promise<string[]>;
  read: (file: string) => Promise<string>;
}

export interface BuildOptions {
  files?: Record<string, string>;
  symlinks?: Record<string, string>;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  context?: Partial<BuildContext>;
  /** false: leave the temp dir 0700 (a run-as user cannot reach the build). */
  reachable?: boolean;
}

export async function build(yaml: string, options: BuildOptions = {}): Promise<Built> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mod-buildspec-'));
  // mkdtemp makes it 0700; a run-as user must be able to reach the source, as under .mod/builds.
  if (options.reachable !== false) await chmod(root, 0o755);
  const srcDir = path.join(root, 'src');
  await mkdir(srcDir);
  for (const [file, content] of Object.entries(options.files ?? {})) {
    await mkdir(path.dirname(path.join(srcDir, file)), { recursive: true });
    await writeFile(path.join(srcDir, file), content);
  }
  for (const [link, target] of Object.entries(options.symlinks ?? {})) await symlink(target, path.join(srcDir, link));
  const events: DeliveryEvent[] = [];
  const outDir = path.join(root, 'out');
  const workDir = path.join(root, 'work');
  let outcome: BuildResult | Error;
  try {
    const spec = parseYamlSpec(yaml, BuildspecSchema, 'buildspec.yml');
    outcome = await runBuildspec(spec, {
      srcDir,
      outDir,
      workDir,
      buildId: 'b-test',
      commit: 'c0ffee',
      timeoutMs: options.timeoutMs ?? 30_000,
      env: options.env ?? { PATH: process.env.PATH },
      events: (e) => events.push(e),
      ...options.context,
    });
  } catch (error) {
    outcome = error as Error;
  }
  const log = await readFile(path.join(workDir, 'build.log'), 'utf8').catch(() => '');
  return {
    root,
    srcDir,
    outDir,
    workDir,
    events,
    outcome,
    log,
    artifacts: async () =>
      (await readdir(outDir, { recursive: true, withFileTypes: true }).catch(() => []))
        .filter((e) => !e.isDirectory())
        .map((e) => path.relative(outDir, path.join(e.parentPath, e.name)))
        .sort(),
    read: (file) => readFile(path.join(root, file), 'utf8'),
  };
}

/** The output lines the build's commands printed (not the runner's [Container] lines). */
export function output(built: Built): string[] {
  return built.events.flatMap((e) => (e.type === 'build.output' ? [e.line] : []));
}

export function phaseStates(built: Built): string[] {
  return built.events.flatMap((e) => (e.type === 'build.phase' && e.status !== 'start' ? [`${e.phase}:${e.status}`] : []));
}
