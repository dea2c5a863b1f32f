// What can be known about a revision before a minutes-long build: its
// buildspec.yml and appspec.yml as committed parse as CodeBuild and the
// CodeDeploy agent would parse them, every hook names a lifecycle event that
// runs, and every hook script is in the commit (or made by the build). `mod
// deploy` refuses on a failed check before building; `mod doctor` shows them.
import { ConfigError } from '../errors.js';
import type { Git } from '../git/git.js';
import type { DoctorCheck } from './provider.js';
import { LIFECYCLE, parseAppspec, SCRIPT_EVENTS, type Appspec } from './providers/local/appspec.js';
import { BuildspecSchema } from './providers/local/buildspec.js';
import { parseYamlSpec } from './yaml-spec.js';

type Spec = 'buildspec.yml' | 'appspec.yml';

/** A check, with the parse error behind a failed spec check (deploy throws it as is). */
export type PreflightCheck = DoctorCheck & { error?: Error };

/** The checks for `commit`, named as `mod doctor` lists them. */
export async function preflightChecks(git: Pick<Git, 'fileAtIfExists' | 'run'>, commit: string): Promise<PreflightCheck[]> {
  const at = commit.slice(0, 8);
  const buildspecText = await git.fileAtIfExists(commit, 'buildspec.yml');
  const appspecText = (await git.fileAtIfExists(commit, 'appspec.yml')) ?? (await git.fileAtIfExists(commit, 'appspec.yaml'));
  const checks: PreflightCheck[] = [await specCheck('buildspec.yml', buildspecText, at)];
  if (appspecText === undefined) {
    // The bundle's appspec can come from the build; the build then must put it at the bundle root.
    checks.push({ name: 'appspec.yml', status: 'warn', detail: `not committed at ${at}: the build must put one at the bundle root, or every deploy fails after the build` });
    return checks;
  }
  const { appspec, ...appspecCheck } = await specCheck('appspec.yml', appspecText, at);
  checks.push(appspecCheck);
  if (appspec) checks.push(...eventNameChecks(appspec), await hookScriptCheck(git, commit, appspec, buildspecText ?? ''));
  return checks;
}

async function specCheck(file: Spec, text: string | undefined, at: string): Promise<PreflightCheck & { appspec?: Appspec }> {
  if (text === undefined) return { name: file, status: 'fail', detail: `not committed at ${at}: add ${file} (see README, "How a deployment runs") and commit it` };
  const display = `${file} (commit ${at})`;
  try {
    if (file === 'appspec.yml') return { name: file, status: 'pass', detail: `valid at ${at}`, appspec: parseAppspec(text, display) };
    parseYamlSpec(text, BuildspecSchema, display);
    return { name: file, status: 'pass', detail: `valid at ${at}` };
  } catch (error) {
    return { name: file, status: 'fail', detail: (error as Error).message, error: error as Error };
  }
}

/** Throws what deploy refuses on (the first failed check), after telling the warnings. */
export function refuseOnFailure(checks: PreflightCheck[], warn: (message: string) => void): void {
  for (const check of checks) if (check.status === 'warn') warn(`${check.name}: ${check.detail}`);
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length === 0) return;
  if (failed[0]!.error) throw failed[0]!.error;
  throw new ConfigError(failed[0]!.name, undefined, failed.map((c) => c.detail).join('; '), 'fix it and commit; mod doctor --env <env> runs the same checks');
}

/** CodeDeploy ignores a hook under a name it does not run: almost always a typo. */
function eventNameChecks(appspec: Appspec): DoctorCheck[] {
  const unknown = Object.keys(appspec.otherHooks);
  if (unknown.length === 0) return [{ name: 'hook events', status: 'pass', detail: 'every hook names a lifecycle event CodeDeploy runs' }];
  const described = unknown.map((name) => {
    const near = nearestEvent(name);
    if ((LIFECYCLE as readonly string[]).includes(name)) return `${name} is run by CodeDeploy itself and takes no scripts`;
    return near ? `${name} (did you mean ${near}?)` : name;
  });
  return [{ name: 'hook events', status: 'warn', detail: `never run, CodeDeploy ignores them: ${described.join('; ')}. Events with scripts: ${SCRIPT_EVENTS.join(', ')}` }];
}

/** The script event closest to a misspelt name: same letters ignoring case, or at most two edits away. */
function nearestEvent(name: string): string | undefined {
  let best: { event: string; distance: number } | undefined;
  for (const event of SCRIPT_EVENTS) {
    const distance = editDistance(name.toLowerCase(), event.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { event, distance };
  }
  return best?.event;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Every hook script is committed, or the buildspec names it (a script the
 * build writes). One missing from both fails on every instance after the
 * build; one committed without the executable bit is made executable by the
 * agent (chmod +x), which is worth a note, not a refusal.
 */
async function hookScriptCheck(git: Pick<Git, 'run'>, commit: string, appspec: Appspec, buildspecText: string): Promise<DoctorCheck> {
  const modes = new Map<string, string>();
  for (const line of (await git.run(['ls-tree', '-r', '--full-tree', commit])).split('\n')) {
    const match = /^(\d+) \w+ [0-9a-f]+\t(.+)$/.exec(line);
    if (match) modes.set(match[2]!, match[1]!);
  }
  const missing: string[] = [];
  const notExecutable: string[] = [];
  let count = 0;
  for (const [event, hooks] of Object.entries(appspec.hooks)) {
    for (const { location } of hooks ?? []) {
      count++;
      const file = location.replace(/^\.?\/+/, '');
      const mode = modes.get(file);
      if (mode === undefined) {
        if (!buildspecText.includes(file)) missing.push(`${event}: ${location}`);
      } else if (mode !== '100755') notExecutable.push(location);
    }
  }
  if (missing.length) {
    return { name: 'hook scripts', status: 'fail', detail: `not in the commit and not named in buildspec.yml: ${missing.join(', ')} (check hooks.<event>.location in appspec.yml)` };
  }
  if (notExecutable.length) {
    return { name: 'hook scripts', status: 'warn', detail: `committed without the executable bit (the agent runs chmod +x first): ${notExecutable.join(', ')}; git update-index --chmod=+x <file> makes it explicit` };
  }
  return { name: 'hook scripts', status: 'pass', detail: `${count} script(s) committed and executable` };
}
