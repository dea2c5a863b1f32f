// `mod status`: the JSON contract and the one-screen human view.
import { Chalk } from 'chalk';
import Table from 'cli-table3';
import type { CanaryRecord } from '../../delivery/canary/canary-types.js';
import { runsRecordedRevision, type EnvironmentStatus } from '../../delivery/status.js';
import { short } from '../output/describe-event.js';
import { canaryLine, liveText } from './canary-view.js';
import { truncateToWidth } from './terminal-text.js';

export function statusJson(environments: EnvironmentStatus[]) {
  return {
    schemaVersion: 1 as const,
    environments: environments.map((e) => ({
      name: e.name,
      branch: e.branch,
      provider: e.provider,
      deployed: e.deployed ? { commit: e.deployed.commit, deploymentId: e.deployed.deploymentId, subject: e.deployed.subject, author: e.deployed.author, date: e.deployed.date, deployedAt: e.deployed.deployedAt } : null,
      branchHead: { commit: e.branchHead.commit, ...(e.branchHead.exists ? { subject: e.branchHead.subject } : {}) },
      pending: e.pending,
      endpoint: e.endpoint,
      inFlight: e.inFlight,
      keptFleet: e.keptFleet ?? null,
      instances: e.instances.map((i) => ({
        id: i.id,
        healthy: i.healthy,
        state: i.state,
        commit: i.commit,
        deploymentId: i.deploymentId,
        since: i.since,
        launchedAt: i.launchedAt,
        imageId: i.imageId ?? null,
        tree: i.tree ?? null,
        builtFrom: i.builtFrom ?? null,
        running: i.running === undefined ? undefined : i.running,
        // Issue 13: the model its process decides with (its /healthz `model`); null when it does not say.
        model: i.running?.model ?? null,
        restarted: i.restarted ?? null,
      })),
      pipeline: e.pipeline,
      autoRollback: e.autoRollback,
      warnings: e.warnings,
      drift: e.drift,
      problems: e.problems,
      recent: e.recent,
      // Issue 13: the env's released model (null: none, each bundle's model decides).
      model: e.model ?? null,
      modelInFlight: e.modelInFlight ?? null,
    })),
  };
}

export function statusText(environments: EnvironmentStatus[], color: boolean, now = Date.now()): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const blocks: string[] = [];
  for (const e of environments) {
    const lines: string[] = [];
    lines.push(c.bold(`${e.name}`) + c.dim(` (branch ${e.branch}, ${e.provider})`) + (e.endpoint ? `  ${e.endpoint}` : c.dim('  endpoint not running')));
    for (const problem of e.problems) {
      lines.push(`  ${c.red(`error: ${problem.message}`)}`);
      if (problem.hint) lines.push(`  ${c.dim(`hint: ${problem.hint}`)}`);
    }
    for (const warning of e.warnings) lines.push(`  ${c.yellow(`warning: ${warning}`)}`);
    if (e.deployed) {
      lines.push(`  deployed  ${short(e.deployed.commit)} ${truncateToWidth(e.deployed.subject)} ${c.dim(`(${e.deployed.author}, ${age(e.deployed.deployedAt, now)} ago, ${e.deployed.deploymentId})`)}`);
    } else {
      lines.push(`  deployed  ${c.dim('nothing yet')}`);
    }
    if (e.branchHead.exists) {
      const pending = e.pending !== 0 ? c.yellow(`${e.pending} commit(s) not deployed`) : e.drift ? c.yellow(`no commit pending, but ${e.drift}`) : c.green('up to date');
      lines.push(`  branch    ${short(e.branchHead.commit)} ${truncateToWidth(e.branchHead.subject)}  ${pending}`);
    } else {
      lines.push(`  branch    ${c.dim(`${e.branch} does not exist (deploys use HEAD)`)}`);
    }
    lines.push(...modelLines(c, e, now));
    if (e.pipeline) {
      const latest = e.pipeline.latestExecution;
      const stages = e.pipeline.stages.map((s) => `${s.name} ${s.status ?? '-'}`).join(' → ');
      lines.push(`  pipeline  ${e.pipeline.name}: ${latest ? `${latest.id} ${latest.status} (${short(latest.commit ?? undefined)})` : 'no executions'}${stages ? `  ${c.dim(stages)}` : ''}`);
    }
    if (e.autoRollback) {
      const a = e.autoRollback;
      const text = `auto-rollback on failure: ${a.onFailure ? 'on' : c.red('off')}, on alarms: ${a.onAlarms ? `on (${a.alarms.join(', ')})` : c.yellow('off')}`;
      lines.push(`  safety    ${text}`);
    }
    if (e.inFlight) {
      const state = e.inFlight.abandoned ? c.red('abandoned (its process is gone)') : c.cyan('in progress');
      lines.push(`  deploying ${e.inFlight.deploymentId} ${short(e.inFlight.commit)} ${state}`);
      for (const i of e.inFlight.instances) lines.push(`            ${i.id}: ${i.event ?? 'waiting'} (${i.status})`);
      lines.push(...canaryInFlight(c, e.name, e.inFlight.canary, color));
    }
    if (e.keptFleet) lines.push(`  standby   ${keptFleetText(c, e.name, e.keptFleet, now)}`);
    if (e.instances.length) {
      // "answers": what the instance's own process says it runs (its health path), when the provider can ask.
      const asked = e.instances.some((i) => i.running !== undefined);
      const head = ['instance', 'health', 'revision', ...(asked ? ['answers'] : []), 'running for', 'age', 'detail'];
      const table = new Table({ head, style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] } });
      for (const i of e.instances) {
        const health = i.healthy ? c.green('healthy') : i.state === 'stopped' ? c.dim('stopped') : c.red(i.state);
        const revision = `${short(i.commit ?? undefined)}${i.builtFrom && i.commit && i.builtFrom !== i.commit ? c.dim(` (tree ${short(i.tree ?? undefined)}, bundle built as ${short(i.builtFrom)})`) : ''}`;
        const answers = asked ? [answersText(c, i)] : [];
        const restarted = i.restarted ? `restarted ${age(i.restarted.at, now)} ago after ${i.restarted.reason}${i.restarted.count > 1 ? ` (${i.restarted.count} restarts)` : ''}${i.restarted.ok ? '' : ', not back'}` : '';
        const detail = [restarted, i.detail ?? ''].filter(Boolean).join('; ');
        table.push([i.id, health, revision, ...answers, age(i.since, now), `${age(i.launchedAt, now)} ago`, detail]);
      }
      lines.push(table.toString().replace(/^/gm, '  '));
    }
    if (e.recent.length) {
      lines.push('  recent:');
      // Issue 13: a model release names its model where a code deployment names its commit.
      for (const d of e.recent) lines.push(`    ${d.deploymentId}  ${paintStatus(c, d.status)}  ${d.model ? `model ${d.model.action} ${d.model.version}` : `${short(d.commit)}`}  ${d.initiator}  ${d.startedAt}`);
    }
    blocks.push(lines.join('\n'));
  }
  return blocks.join('\n\n');
}

/** A canary in flight: who is compared with whom, the counts so far, the verdict and a pause's way out. */
function canaryInFlight(c: InstanceType<typeof Chalk>, environment: string, canary: CanaryRecord | undefined, color: boolean): string[] {
  if (!canary) return [];
  const lines: string[] = [];
  const who = canary.canaryInstances.length ? ` (canary ${canary.canaryInstances.join(', ')} vs baseline ${canary.baselineInstances.join(', ')})` : '';
  lines.push(`  canary    ${canary.verdict ? canaryLine(canary, color) : canary.status === 'Running' ? c.cyan('running') : canary.status.toLowerCase()}${who}`);
  const live = liveText(canary);
  if (live && !canary.verdict) lines.push(`            so far: ${live}`);
  if (canary.status === 'Paused') lines.push(`            ${c.yellow(`paused: mod approve --env ${environment} continues, --reject rolls it back`)}`);
  return lines;
}

/** Blue/green: the original fleet kept for a fast rollback, and until when. */
function keptFleetText(c: InstanceType<typeof Chalk>, environment: string, kept: NonNullable<EnvironmentStatus['keptFleet']>, now: number): string {
  const fleet = `${kept.instances.join(', ')} (the previous fleet, kept by ${kept.deploymentId})`;
  if (!kept.until) return `${fleet}: mod rollback --env ${environment} --fast switches back to it`;
  if (Date.parse(kept.until) <= now) return `${fleet}: ${c.yellow(`its window ended ${age(kept.until, now)} ago; it is being stopped`)}`;
  return `${fleet} until ${kept.until} (${age(new Date(now).toISOString(), Date.parse(kept.until))} left): mod rollback --env ${environment} --fast switches back to it`;
}

function answersText(c: InstanceType<typeof Chalk>, i: EnvironmentStatus['instances'][number]): string {
  if (i.running === undefined) return '-';
  if (i.running === null) return c.dim('nothing');
  const agrees = runsRecordedRevision(i);
  const text = i.running.commit ? short(i.running.commit) : 'ok (no revision)';
  const revision = agrees === false ? c.red(`${text} (not the record)`) : agrees ? c.green(text) : text;
  return `${revision}${modelAnswer(c, i.running.model)}`;
}

/** Issue 13: the model an instance's process decides with, next to its revision. */
function modelAnswer(c: InstanceType<typeof Chalk>, model: NonNullable<EnvironmentStatus['instances'][number]['running']>['model']): string {
  if (!model) return '';
  const extra = [model.shadow ? `shadow ${model.shadow}` : '', model.canary ? `canary ${model.canary.version} ${model.canary.weight}%` : ''].filter(Boolean).join(', ');
  const error = model.error ? c.red(` (could not load ${model.error.releaseId}: ${model.error.message})`) : '';
  return ` · model ${model.version}${model.source === 'bundled' ? ' (bundled)' : ''}${extra ? ` (${extra})` : ''}${error}`;
}

/** Issue 13: the env's released model, and which wins: the pointer over the bundle's model. */
function modelLines(c: InstanceType<typeof Chalk>, e: EnvironmentStatus, now: number): string[] {
  if (e.model === undefined) return [];
  const flight = e.modelInFlight;
  const inFlight = flight
    ? [
        `  releasing ${flight.action === 'rollback' ? 'model rollback to' : `model ${flight.action}`} ${flight.version} (${flight.deploymentId}, by ${flight.initiator}, ${age(flight.startedAt, now)}) ${flight.abandoned ? c.red('abandoned (its process is gone)') : c.cyan('in progress')}${flight.canary ? `; ${canaryLine(flight.canary, false) ?? ''}` : ''}`,
      ]
    : [];
  return [...pointerLines(c, e, now), ...inFlight];
}

function pointerLines(c: InstanceType<typeof Chalk>, e: EnvironmentStatus, now: number): string[] {
  const bundled = e.instances.map((i) => i.running?.model?.bundled).find((v): v is string => !!v);
  if (!e.model) return [`  model     ${c.dim(`no model released: ${bundled ? `the bundle's ${bundled} decides` : "each instance's bundled model decides"}`)}`];
  const m = e.model;
  const by = [m.live.releaseId, m.live.by ? `by ${m.live.by}` : '', m.live.releasedAt ? `${age(m.live.releasedAt, now)} ago` : ''].filter(Boolean).join(', ');
  const wins = bundled && bundled !== m.live.version ? `, wins over the bundle's ${bundled}` : bundled ? ", the bundle's too" : '';
  const lines = [`  model     ${m.live.version} (released ${by}${wins})`];
  if (m.canary) lines.push(`            canary ${m.canary.version} decides ${m.canary.weight}% of new posts`);
  if (m.shadow) lines.push(`            shadow ${m.shadow.version} scores every post, never decides`);
  return lines;
}

function paintStatus(c: InstanceType<typeof Chalk>, status: string): string {
  if (status === 'Succeeded') return c.green(status.padEnd(10));
  if (status === 'InProgress') return c.cyan(status.padEnd(10));
  if (status === 'RolledBack' || status === 'Stopped') return c.yellow(status.padEnd(10));
  return c.red(status.padEnd(10));
}

export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 90) return `${seconds}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}
