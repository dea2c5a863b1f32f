// CodeBuild fidelity: artifacts, secondary artifacts, reports and exported
// variables. Source: "Build specification reference for CodeBuild"
// (artifacts/files, base-directory with its 'my-build*' example,
// discard-paths, exclude-paths, enable-symlinks, secondary-artifacts,
// reports/<group>, env/exported-variables: not variables starting AWS_).
import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildResult } from '../../../../../src/delivery/providers/local/buildspec-runner.js';
import { build } from './buildspec-harness.js';

// The directory structure of the reference's base-directory example.
const tree = { 'my-build-1/my-file-1.txt': '1', 'my-build-2/my-file-2.txt': '2', 'my-build-2/my-subdirectory/my-file-3.txt': '3' };

describe('buildspec artifacts', () => {
  it("base-directory my-build-2 with files '*/my-file-3.txt' keeps my-subdirectory/my-file-3.txt (reference example 1)", async () => {
    const b = await build("version: 0.2\nartifacts:\n  files:\n    - '*/my-file-3.txt'\n  base-directory: my-build-2\n", { files: tree });
    expect(await b.artifacts()).toEqual(['my-subdirectory/my-file-3.txt']);
  });

  it("issue 11.10: base-directory 'my-build*' takes every matching top-level directory; with discard-paths all files land flat (reference example 2)", async () => {
    const b = await build("version: 0.2\nartifacts:\n  files:\n    - '**/*'\n  base-directory: 'my-build*'\n  discard-paths: yes\n", { files: tree });
    expect(await b.artifacts()).toEqual(['my-file-1.txt', 'my-file-2.txt', 'my-file-3.txt']);
  });

  it('a base-directory pattern that matches no directory fails UPLOAD_ARTIFACTS', async () => {
    const b = await build("version: 0.2\nartifacts:\n  files: ['**/*']\n  base-directory: 'nothing*'\n", { files: tree });
    expect((b.outcome as Error).message).toMatch(/artifacts\.base-directory nothing\* matches no directory/);
  });

  it('exclude-paths (relative to base-directory, scalar or sequence) leaves files out', async () => {
    const files = { 'web/a.txt': 'a', 'web/.hidden': 'h', 'web/logs/x.log': 'l' };
    const list = await build("version: 0.2\nartifacts:\n  base-directory: web\n  files: ['**/*']\n  exclude-paths: ['**/.*', 'logs/**/*']\n", { files });
    expect(await list.artifacts()).toEqual(['a.txt']);
    const scalar = await build("version: 0.2\nartifacts:\n  base-directory: web\n  files: ['**/*']\n  exclude-paths: 'logs/**/*'\n", { files });
    expect(await scalar.artifacts()).toEqual(['.hidden', 'a.txt']);
  });

  it('without enable-symlinks a symbolic link is packaged as the file it points to; enable-symlinks: yes keeps the link', async () => {
    const options = { files: { 'real.txt': 'content' }, symlinks: { 'link.txt': 'real.txt' } };
    const plain = await build("version: 0.2\nartifacts:\n  files: ['*.txt']\n", options);
    expect((await lstat(path.join(plain.outDir, 'link.txt'))).isSymbolicLink()).toBe(false);
    expect(await readFile(path.join(plain.outDir, 'link.txt'), 'utf8')).toBe('content');
    const kept = await build("version: 0.2\nartifacts:\n  files: ['*.txt']\n  enable-symlinks: yes\n", options);
    expect(await readlink(path.join(kept.outDir, 'link.txt'))).toBe('real.txt');
  });

  it('issue 11.10: secondary-artifacts are collected, one directory per identifier, next to the primary artifact', async () => {
    const b = await build('version: 0.2\nartifacts:\n  files: [a.txt]\n  secondary-artifacts:\n    docs:\n      files: [docs/**/*]\n      discard-paths: yes\n', { files: { 'a.txt': 'a', 'docs/guide/g.md': 'g' } });
    const result = b.outcome as BuildResult;
    expect(await b.artifacts()).toEqual(['a.txt']);
    expect(result.secondaryArtifacts).toEqual({ docs: path.join(b.workDir, 'secondary', 'docs') });
    expect(await readFile(path.join(b.workDir, 'secondary', 'docs', 'g.md'), 'utf8')).toBe('g');
    expect(b.events).toContainEqual(expect.objectContaining({ type: 'notice', message: expect.stringMatching(/secondary artifacts docs collected/) }));
  });

  it('issue 11.10: reports: the report files are collected per group; a group without files fails the report, not the build', async () => {
    const b = await build("version: 0.2\nphases:\n  build:\n    commands: [mkdir -p target/tests && echo '<testsuite/>' > target/tests/r.xml]\nreports:\n  unit:\n    files: ['**/*']\n    base-directory: target/tests\n  empty:\n    files: [none.xml]\n");
    const result = b.outcome as BuildResult;
    expect(result.reports).toEqual({ unit: path.join(b.workDir, 'reports', 'unit') });
    expect(await readFile(path.join(b.workDir, 'reports', 'unit', 'r.xml'), 'utf8')).toBe('<testsuite/>\n');
    expect(b.log).toMatch(/Report group empty: no reports\.empty files matched/);
  });

  it('env.exported-variables: the values at the end of post_build, exported or not, never AWS_ ones', async () => {
    const b = await build('version: 0.2\nenv:\n  exported-variables: [IMAGE_TAG, BUILT, AWS_REGION, NEVER_SET]\nphases:\n  pre_build:\n    commands: [IMAGE_TAG=v1]\n  post_build:\n    commands: [export BUILT=yes]\n');
    expect((b.outcome as BuildResult).exportedVariables).toEqual({ IMAGE_TAG: 'v1', BUILT: 'yes' });
  });
});
