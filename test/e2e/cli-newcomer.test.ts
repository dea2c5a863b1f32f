// What a newcomer meets first, through the built CLI (bin/mod.js): usage
// errors under --json, a config file that is a YAML alias bomb, a directory
// that is not a git repository, a checkout that was never built, shell
// completion and `mod init` (issue 17, items 12, 13 and 17).
import { execa } from 'execa';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXTERNAL_DATABASE_URL, MOD_BIN, REPO_ROOT } from '../support/fixture-app.js';
import { TempRepository } from '../fakes/temp-repository.js';

const cleanup: string[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  cleanup.push(dir);
  return dir;
}

async function repository(): Promise<TempRepository> {
  const repo = await TempRepository.create();
  cleanup.push(repo.dir);
  return repo;
}

function mod(args: string[], options: { cwd: string; env?: Record<string, string>; bin?: string }) {
  return execa(process.execPath, [options.bin ?? MOD_BIN, ...args], { cwd: options.cwd, reject: false, env: { CI: 'true', ...options.env }, timeout: 60_000 });
}

interface ErrorDocument {
  schemaVersion: number;
  error: { code: string; message: string; hint: string | null; exitCode: number };
}

function errorDocument(stdout: string): ErrorDocument {
  return JSON.parse(stdout) as ErrorDocument;
}

/** Nine levels of nine aliases: 9^9 "lol"s once expanded. */
const BILLION_LAUGHS = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n');

describe('issue 17.13: --json usage errors print the error document', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown option', ['deploy', '--env', 'stage', '--bogus'], /unknown option '--bogus'/],
    ['a missing --env', ['deploy'], /required option '-e, --env <name>' not specified/],
    ['an unknown command', ['deplyo'], /unknown command 'deplyo'/],
    ['a flag without its value', ['history', '--limit'], /option '-n, --limit <n>' argument missing/],
    ['a bad flag value', ['history', '--limit', 'many'], /--limit must be a positive whole number, got many/],
    ['no command at all', [], /no command given/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: one USAGE document on stdout, exit 2`, async () => {
      const repo = await repository();
      await repo.commit('Initial');
      for (const argv of [
        ['--json', ...args],
        [...args, '--json'],
      ]) {
        const run = await mod(argv, { cwd: repo.dir });
        expect(run.exitCode, run.stderr).toBe(2);
        const document = errorDocument(run.stdout);
        expect(document).toMatchObject({ schemaVersion: 1, error: { code: 'USAGE', exitCode: 2 } });
        expect(document.error.message).toMatch(message);
        expect(document.error.message).not.toMatch(/^error:/);
        expect(run.stderr).toMatch(args.length ? /error: / : /Usage: mod/);
      }
    });
  }

  it('without --json a usage error prints nothing on stdout', async () => {
    const repo = await repository();
    const run = await mod(['deploy'], { cwd: repo.dir });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
  });

  it('--help and --version under --json still print their text and exit 0', async () => {
    const repo = await repository();
    const version = await mod(['--json', '--version'], { cwd: repo.dir });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('issue 17.12: a YAML alias bomb is a config error naming the file', () => {
  it('mod.config.yml: exit 2, CONFIG_INVALID, fast', async () => {
    const repo = await repository();
    await repo.commit('Bomb', { 'mod.config.yml': `${BILLION_LAUGHS}\n` });
    const run = await mod(['--json', 'status'], { cwd: repo.dir });
    expect(run.exitCode, run.stderr).toBe(2);
    const document = errorDocument(run.stdout);
    expect(document.error.code).toBe('CONFIG_INVALID');
    expect(document.error.message).toMatch(/^mod\.config\.yml/);
    expect(document.error.message).toMatch(/alias/);
    expect(run.stderr).not.toMatch(/unexpected error/);
  });
});

describe('issue 17.17: not a git repository', () => {
  it('is exit 2 with a hint to run inside the repository or git init', async () => {
    const dir = await tempDir('mod-not-a-repo-');
    for (const args of [['status'], ['deploy', '--env', 'stage'], ['history']]) {
      const run = await mod(['--json', ...args], { cwd: dir });
      expect(run.exitCode, run.stderr).toBe(2);
      const document = errorDocument(run.stdout);
      expect(document.error).toMatchObject({ code: 'NOT_A_GIT_REPOSITORY', exitCode: 2 });
      expect(document.error.message).toContain(dir);
      expect(document.error.hint).toMatch(/git init/);
    }
  });

  it('-C pointing at a directory that does not exist says so (exit 2)', async () => {
    const dir = await tempDir('mod-missing-');
    const run = await mod(['--json', '-C', path.join(dir, 'nope'), 'status'], { cwd: dir });
    expect(run.exitCode, run.stderr).toBe(2);
    expect(errorDocument(run.stdout).error.message).toMatch(/no such directory/);
  });
});

describe('issue 17.17: a checkout that was never built', () => {
  it('without dist/ bin/mod.js prints a one-line hint to build, not a stack trace', async () => {
    const dir = await tempDir('mod-unbuilt-');
    await cp(path.join(REPO_ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
    await writeFile(path.join(dir, 'package.json'), '{"type":"module"}\n');
    const run = await mod(['status'], { cwd: dir, bin: path.join(dir, 'bin', 'mod.js') });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/npm ci/);
    expect(run.stderr).toMatch(/npm run build/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('without node_modules bin/mod.js says to run npm ci first', async () => {
    const dir = await tempDir('mod-no-deps-');
    await cp(path.join(REPO_ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
    await writeFile(path.join(dir, 'package.json'), '{"type":"module"}\n');
    // A dist/ whose first import is a dependency, as the real one's is (commander).
    await mkdir(path.join(dir, 'dist', 'cli'), { recursive: true });
    await writeFile(path.join(dir, 'dist', 'cli', 'main.js'), "import { Command } from 'commander';\nexport async function main() { return new Command() ? 0 : 1; }\n");
    const run = await mod(['status'], { cwd: dir, bin: path.join(dir, 'bin', 'mod.js') });
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/run npm ci first/);
    expect(run.stderr).toMatch(/commander/);
  });
});

describe('issue 17.17: mod moderate colours its decisions in a terminal', () => {
  const posts = ['今日はいい天気ですね', 'こんにちは', 'LINE交換しよ！ID教えて 090-1234-5678'];
  /** The child's environment without CI or colour settings, as in a user's terminal. */
  function terminalEnv(extra: Record<string, string> = {}): Record<string, string> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !['CI', 'FORCE_COLOR', 'NO_COLOR'].includes(k) && v !== undefined)) as Record<string, string>;
    return { ...env, TERM: 'xterm-256color', ...extra };
  }
  async function inTerminal(dir: string, command: string, env: Record<string, string>) {
    // script(1) gives a pty; stty sizes it as a terminal window would be.
    return execa('script', ['-qec', `stty cols 120 rows 40; ${command}`, '/dev/null'], { cwd: dir, env, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' });
  }

  it('approve green, review yellow, reject red; none with NO_COLOR, through a pipe or with --json', async () => {
    const dir = await tempDir('mod-moderate-colour-');
    await writeFile(path.join(dir, 'posts.jsonl'), `${posts.map((text) => JSON.stringify({ text })).join('\n')}\n`);
    const command = `${process.execPath} ${MOD_BIN} moderate --file posts.jsonl`;
    const coloured = await inTerminal(dir, command, terminalEnv());
    expect(coloured.exitCode, coloured.stdout).toBe(0);
    const decisionLines = coloured.stdout.split(/\r?\n/).filter((line) => /(APPROVE|REVIEW|REJECT)/.test(line));
    expect(decisionLines).toHaveLength(posts.length);
    const colourOf = { APPROVE: '\x1b[32m', REVIEW: '\x1b[33m', REJECT: '\x1b[31m' } as const;
    for (const line of decisionLines) {
      const decision = /(APPROVE|REVIEW|REJECT)/.exec(line)![1] as keyof typeof colourOf;
      expect(line.startsWith(`${colourOf[decision]}${decision}`), JSON.stringify(line)).toBe(true);
    }
    expect(decisionLines.some((l) => l.includes('APPROVE'))).toBe(true);
    expect(decisionLines.some((l) => l.includes('REJECT'))).toBe(true);

    const noColour = await inTerminal(dir, command, terminalEnv({ NO_COLOR: '1' }));
    expect(noColour.stdout).toMatch(/APPROVE/);
    expect(noColour.stdout).not.toMatch(/\x1b\[3\dm/);
    const piped = await inTerminal(dir, `${command} | cat`, terminalEnv());
    expect(piped.stdout).toMatch(/APPROVE/);
    expect(piped.stdout).not.toMatch(/\x1b\[3\dm/);
    const json = await inTerminal(dir, `${command} --json`, terminalEnv());
    expect(json.stdout).toMatch(/"decision": "approve"/);
    expect(json.stdout).not.toMatch(/\x1b\[/);
  });
});

describe('issue 17.17: mod completion bash drives a real bash', () => {
  it('completes commands, subcommands, options and directories', async () => {
    const dir = await tempDir('mod-completion-');
    await mkdir(path.join(dir, 'some-dir'));
    const script = await mod(['completion', 'bash'], { cwd: dir });
    expect(script.exitCode, script.stderr).toBe(0);
    await writeFile(path.join(dir, 'mod-completion.bash'), script.stdout);
    // What bash would offer after each line when Tab is pressed (the last word is the one being completed).
    const lines = [
      ['mod', 'de'],
      ['mod', 'model', ''],
      ['mod', '--json', 'deploy', '--env', 'stage', '--r'],
      ['mod', 'service', 'token', ''],
      ['mod', '-C', 'some-'],
      ['mod', 'history', '-'],
    ];
    const driver = ['source ./mod-completion.bash', 'offer() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _mod_completion; echo "${COMPREPLY[*]}"; }', ...lines.map((words) => `offer ${words.map((w) => `'${w}'`).join(' ')}`)].join('\n');
    const run = await execa('bash', ['--norc', '-c', driver], { cwd: dir, reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    const [deploy, model, deployFlags, token, cwd, history] = run.stdout.split('\n');
    expect(deploy).toBe('deploy');
    expect(model!.split(' ').sort()).toEqual(['check', 'eval', 'release', 'rollback', 'shadow', 'shadow-report', 'train']);
    expect(deployFlags!.split(' ').sort()).toEqual(['--reason', '--ref', '--region', '--release-model']);
    expect(token!.split(' ').sort()).toEqual(['create', 'list', 'revoke']);
    expect(cwd).toBe('some-dir');
    expect(history!.split(' ')).toEqual(expect.arrayContaining(['--env', '--limit', '--ics', '--json', '--help']));
  });
});

const HELLO_SERVICE = `import http from 'node:http';
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{"status":"ok"}'); }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello from ' + process.env.MOD_ENVIRONMENT + '\\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1');
`;

interface InitJson {
  directory: string;
  files: { path: string; action: string }[];
  branches: { name: string; action: string; commit: string | null }[];
  next: string[];
}

const TEMPLATE_FILES = ['mod.config.yml', 'appspec.yml', 'buildspec.yml', 'scripts/lib.sh', 'scripts/application_stop.sh', 'scripts/before_install.sh', 'scripts/application_start.sh', 'scripts/validate_service.sh'];

describe('issue 17.17: mod init', () => {
  it('writes the config, specs and hooks into another repository, creates stage and master, and that repository deploys', async () => {
    const repo = await repository();
    await repo.write('package.json', JSON.stringify({ name: '@acme/hello-svc', version: '1.0.0', type: 'module', main: 'server.js' }, null, 2));
    const head = await repo.commit('Hello service', { 'server.js': HELLO_SERVICE });
    const elsewhere = await tempDir('mod-init-elsewhere-');

    const init = await mod(['--json', 'init', repo.dir], { cwd: elsewhere });
    expect(init.exitCode, init.stderr).toBe(0);
    const result = JSON.parse(init.stdout) as InitJson;
    expect(result.files).toEqual([...TEMPLATE_FILES.map((file) => ({ path: file, action: 'created' })), { path: '.gitignore', action: 'appended' }]);
    expect(result.branches).toEqual([
      { name: 'stage', action: 'present', commit: head },
      { name: 'master', action: 'created', commit: head },
    ]);
    expect(await repo.sh('rev-parse', 'master')).toBe(head);
    expect(await readFile(path.join(repo.dir, 'mod.config.yml'), 'utf8')).toMatch(/^app: hello-svc$/m);
    expect(await readFile(path.join(repo.dir, 'appspec.yml'), 'utf8')).toContain('destination: /opt/hello-svc');
    expect(await readFile(path.join(repo.dir, 'scripts/lib.sh'), 'utf8')).toContain('ENTRY="$APP_DIR/server.js"');
    expect((await stat(path.join(repo.dir, 'scripts/application_start.sh'))).mode & 0o111).not.toBe(0);
    expect(await readFile(path.join(repo.dir, '.gitignore'), 'utf8')).toBe('.mod/\n');

    // The templates work: commit them on stage and deploy (this machine's PostgreSQL instead of the embedded one, for speed).
    const config = await readFile(path.join(repo.dir, 'mod.config.yml'), 'utf8');
    await writeFile(path.join(repo.dir, 'mod.config.yml'), config.replace('    autoRollback: true\n  production:', `    autoRollback: true\n    databaseUrl: ${EXTERNAL_DATABASE_URL}\n  production:`));
    await repo.commit('Deliver with mod');
    try {
      const deploy = await mod(['--json', 'deploy', '--env', 'stage'], { cwd: repo.dir, env: { npm_config_offline: 'true' } });
      expect(deploy.exitCode, deploy.stderr).toBe(0);
      const { status, endpoint } = JSON.parse(deploy.stdout) as { status: string; endpoint: string };
      expect(status).toBe('Succeeded');
      expect(await (await fetch(endpoint)).text()).toBe('hello from stage\n');
    } finally {
      await mod(['stop', '--env', 'stage', '--yes'], { cwd: repo.dir });
    }
  });

  it('refuses to overwrite a file with other content unless --force, writing nothing; identical files are left alone', async () => {
    const repo = await repository();
    await repo.commit('Mine', { 'buildspec.yml': 'version: 0.2\nphases: {}\n', 'mod.config.yml': 'app: mine\n' });
    const refused = await mod(['--json', 'init'], { cwd: repo.dir });
    expect(refused.exitCode).toBe(2);
    const error = errorDocument(refused.stdout).error;
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('mod.config.yml, buildspec.yml');
    expect(error.hint).toMatch(/--force/);
    expect(await repo.sh('status', '--porcelain')).toBe('');
    expect(await repo.sh('branch', '--list', 'master')).toBe('');

    const forced = await mod(['--json', 'init', '--force'], { cwd: repo.dir });
    expect(forced.exitCode, forced.stderr).toBe(0);
    const files = (JSON.parse(forced.stdout) as InitJson).files;
    expect(files.filter((f) => f.action === 'overwritten').map((f) => f.path)).toEqual(['mod.config.yml', 'buildspec.yml']);
    expect(await readFile(path.join(repo.dir, 'buildspec.yml'), 'utf8')).toContain('npm prune --omit=dev');

    const again = await mod(['--json', 'init'], { cwd: repo.dir });
    expect(again.exitCode, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as InitJson;
    expect(second.files.every((f) => f.action === 'unchanged')).toBe(true);
    expect(second.branches.map((b) => b.action)).toEqual(['present', 'present']);
  });

  it('does not move branches that exist, and creates none before the first commit', async () => {
    const repo = await repository();
    const first = await repo.commit('One');
    await repo.sh('branch', 'master');
    await repo.commit('Two');
    const run = await mod(['--json', 'init'], { cwd: repo.dir });
    expect(run.exitCode, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as InitJson).branches).toEqual([
      { name: 'stage', action: 'present', commit: await repo.head() },
      { name: 'master', action: 'present', commit: first },
    ]);
    expect(await repo.sh('rev-parse', 'master')).toBe(first);

    const empty = await repository();
    const unborn = await mod(['--json', 'init'], { cwd: empty.dir });
    expect(unborn.exitCode, unborn.stderr).toBe(0);
    const result = JSON.parse(unborn.stdout) as InitJson;
    expect(result.branches.map((b) => b.action)).toEqual(['not-created', 'not-created']);
    expect(result.next.join('\n')).toMatch(/mod init \(again/);
  });

  it('in a directory that is not a git repository: exit 2 and the hint to git init, nothing written', async () => {
    const dir = await tempDir('mod-init-no-git-');
    const run = await mod(['init', dir], { cwd: dir });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/is not inside a git repository/);
    expect(run.stderr).toMatch(/hint: .*git init/);
    await expect(stat(path.join(dir, 'mod.config.yml'))).rejects.toThrow();
  });
});
