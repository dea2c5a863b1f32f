// CodeBuild fidelity: the shell the commands run in. Sources: "Build
// specification reference for CodeBuild" (phases note: version 0.1 runs each
// command in a separate shell, 0.2 solves this; env/shell: bash or /bin/sh;
// env/variables are literal), "Shells and commands in build environments"
// (commands are Shell Command Language, sh), "Environment variables in build
// environments", and the ECR sample buildspec (IMAGE_TAG set in pre_build,
// used in post_build).
import { describe, expect, it } from 'vitest';
import { BuildFailedError } from '../../../../../src/delivery/providers/local/buildspec-runner.js';
import { build, output } from './buildspec-harness.js';

describe('buildspec shell (CodeBuild: one shell state across commands and phases, v0.2)', () => {
  it('issue 11.1: an un-exported variable set in pre_build is set in post_build (ECR sample: IMAGE_TAG)', async () => {
    const b = await build(`version: 0.2
phases:
  pre_build:
    commands:
      - COMMIT_HASH=$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-4)
      - IMAGE_TAG=\${COMMIT_HASH:=latest}
  build:
    commands:
      - echo "build sees $IMAGE_TAG"
  post_build:
    commands:
      - echo "post_build sees $IMAGE_TAG"
      - sh -c 'echo "child sees [$IMAGE_TAG]"'
`);
    expect(b.outcome).not.toBeInstanceOf(Error);
    // Still a shell variable, not exported to child processes.
    expect(output(b)).toEqual(['build sees c0ff', 'post_build sees c0ff', 'child sees []']);
  });

  it('issue 11.1: cd persists across commands and phases; export and unset persist', async () => {
    const b = await build(`version: 0.2
phases:
  install:
    commands:
      - mkdir -p a/b && cd a
      - cd b
      - export TOOL=lint
      - export GONE=1
  build:
    commands:
      - unset GONE
      - echo "$(basename "$PWD") $TOOL [\${GONE-unset}]"
      - sh -c 'echo "child $TOOL"'
`);
    expect(output(b)).toEqual(['b lint [unset]', 'child lint']);
  });

  it('values with quotes, newlines and $ survive from one command to the next', async () => {
    const b = await build(`version: 0.2
phases:
  build:
    commands:
      - |
        MULTI="line one
        it's \\$HOME \\"quoted\\""
      - printf '%s\\n' "$MULTI"
`);
    expect(output(b)).toEqual(['line one', 'it\'s $HOME "quoted"']);
  });

  it('issue 11.7: the default shell is /bin/sh (CodeBuild on Linux); env.shell bash selects bash', async () => {
    const probe = `phases:\n  build:\n    commands:\n      - 'if [ -n "$BASH_VERSION" ]; then echo bash; else echo sh; fi'\n`;
    expect(output(await build(`version: 0.2\n${probe}`))).toEqual(['sh']);
    expect(output(await build(`version: 0.2\nenv:\n  shell: /bin/sh\n${probe}`))).toEqual(['sh']);
    expect(output(await build(`version: 0.2\nenv:\n  shell: bash\n${probe}`))).toEqual(['bash']);
    // A bashism under sh fails the command, as "[[: not found" does in CodeBuild.
    const bashism = await build('version: 0.2\nphases:\n  build:\n    commands:\n      - "[[ 1 == 1 ]]"\n');
    expect(bashism.outcome).toBeInstanceOf(BuildFailedError);
    expect(bashism.outcome).toMatchObject({ phase: 'build', commandExitCode: 127 });
  });

  it('issue 11.7: `exit 0` ends only that command, successfully; the next command runs and keeps its state', async () => {
    const b = await build(`version: 0.2
phases:
  build:
    commands:
      - 'STAGE=alpha; if [ "$STAGE" = alpha ]; then echo quitting; exit 0; fi; echo not-reached'
      - echo "next runs, STAGE=$STAGE"
`);
    expect(b.outcome).not.toBeInstanceOf(Error);
    expect(output(b)).toEqual(['quitting', 'next runs, STAGE=alpha']);
  });

  it('a non-zero exit fails the command with its status, and the rest of the block is skipped', async () => {
    const b = await build('version: 0.2\nphases:\n  build:\n    commands:\n      - echo one\n      - exit 3\n      - echo three\n');
    expect(b.outcome).toMatchObject({ phase: 'build', commandText: 'exit 3', commandExitCode: 3 });
    expect(output(b)).toEqual(['one']);
  });

  it('the command status is that of its last statement (CodeBuild: `false; true` succeeds)', async () => {
    const b = await build('version: 0.2\nphases:\n  build:\n    commands:\n      - false; echo masked\n');
    expect(b.outcome).not.toBeInstanceOf(Error);
  });

  it('issue 11.9: version 0.1 runs each command in a separate shell: cd and variables do not carry; environment_variables.plaintext and artifacts.type apply', async () => {
    const b = await build(`version: 0.1
environment_variables:
  plaintext:
    GREETING: hi
phases:
  build:
    commands:
      - mkdir -p sub && cd sub && export X=1 && Y=2
      - echo "$GREETING $(basename "$PWD") [$X] [$Y]" > out.txt
artifacts:
  type: zip
  files: [out.txt]
`);
    expect(b.outcome).not.toBeInstanceOf(Error);
    expect(await b.read('out/out.txt')).toBe('hi src [] []\n');
  });

  it('env.variables are literal: $PATH in a value is not expanded, and they replace the image environment', async () => {
    const b = await build(
      `version: 0.2
env:
  variables:
    ODD: "$PATH:/usr/share/ant/bin"
    HOME: /buildspec-home
phases:
  build:
    commands:
      - echo "$ODD $HOME"
`,
      { env: { PATH: process.env.PATH, HOME: '/image-home' } },
    );
    expect(output(b)).toEqual(['$PATH:/usr/share/ant/bin /buildspec-home']);
  });

  it('issue 11.10: CodeBuild build variables: BUILD_ID <project>:<id>, BUILD_ARN, BUILD_NUMBER, START_TIME (ms), SRC_DIR, source versions, AWS_REGION / AWS_DEFAULT_REGION', async () => {
    const b = await build(
      `version: 0.2
phases:
  build:
    commands:
      - echo "$CODEBUILD_BUILD_ID|$CODEBUILD_BUILD_ARN|$CODEBUILD_BUILD_NUMBER|$CODEBUILD_START_TIME|$CODEBUILD_SRC_DIR|$CODEBUILD_RESOLVED_SOURCE_VERSION|$CODEBUILD_SOURCE_VERSION|$AWS_REGION|$AWS_DEFAULT_REGION|$CODEBUILD_BUILD_SUCCEEDING"
`,
      { context: { projectName: 'mod-stage', buildNumber: 7, region: 'ap-northeast-1' } },
    );
    const [id, arn, number, start, src, resolved, source, region, defaultRegion, succeeding] = output(b)[0]!.split('|');
    expect(id).toBe('mod-stage:b-test');
    expect(arn).toBe('arn:aws:codebuild:ap-northeast-1:000000000000:build/mod-stage:b-test');
    expect(number).toBe('7');
    expect(Math.abs(Number(start) - Date.now())).toBeLessThan(600_000);
    expect(src).toBe(b.srcDir);
    expect([resolved, source]).toEqual(['c0ffee', 'c0ffee']);
    expect([region, defaultRegion]).toEqual(['ap-northeast-1', 'ap-northeast-1']);
    expect(succeeding).toBe('1');
  });

  it('a CODEBUILD_ variable in env.variables draws a warning ("Do not set any environment variable with a name that starts with CODEBUILD_"); CodeBuild\'s own value wins', async () => {
    const b = await build('version: 0.2\nenv:\n  variables:\n    CODEBUILD_SRC_DIR: /elsewhere\nphases:\n  build:\n    commands: [echo "$CODEBUILD_SRC_DIR"]\n');
    expect(output(b)).toEqual([b.srcDir]);
    expect(b.events).toContainEqual(expect.objectContaining({ type: 'notice', level: 'warn', message: expect.stringMatching(/CODEBUILD_SRC_DIR: the CODEBUILD_ prefix is reserved/) }));
  });

  it('AWS_REGION falls back to the environment mod runs in, then us-east-1', async () => {
    const probe = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo "$AWS_REGION $AWS_DEFAULT_REGION"\n';
    expect(output(await build(probe, { env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1' } }))).toEqual(['eu-west-1 eu-west-1']);
    expect(output(await build(probe))).toEqual(['us-east-1 us-east-1']);
  });
});
