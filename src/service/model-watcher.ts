// Keeps a process's models on what the env's pointer names (issue 13): reads
// the pointer every MODEL_POLL_MS; on a new one (another release, or any ref
// changed) materialises each model, loads it (the artifact's own checksum is
// verified by the loader), checks the manifest is the one the pointer names
// (version and checksum) and that a probe text scores, and only then swaps
// the whole set at once. A pointer that cannot be read or loaded changes
// nothing: the process keeps deciding with what it has, /healthz says why, a
// warning is logged and mod_model_load_failures_total counts it. No pointer
// (nothing released, or the release cleared) is the bundled model.
import type { ModelPointer, ModelRef } from '../moderation/model-pointer.js';
import type { Moderator } from '../moderation/moderator.js';
import type { DecidingModel, LiveModels, LoadedPointer } from './live-models.js';
import type { ServiceMetrics } from './metrics.js';
import type { ModelSource } from './model-source.js';

export interface WatcherLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface ModelWatcherOptions {
  source: ModelSource;
  models: LiveModels;
  /** Loads an artifact directory the way the bundled model was loaded (loadModerator: text limit and policy file). */
  load(dir: string): Promise<Moderator>;
  pollMs: number;
  log: WatcherLog;
  metrics?: Pick<ServiceMetrics, 'modelSwaps' | 'modelLoadFailures'>;
  /** Called after each swap (issue 15: the service records a model-swap event); must not throw. */
  onSwap?: () => void;
}

/** A text every model must score (a finite probability) before it may decide. */
const PROBE_TEXT = 'model check: see you at the station at 7';

/** What makes two pointers the same for the service: the release and every ref. */
function pointerKey(pointer: ModelPointer): string {
  const { releaseId, live, shadow, canary } = pointer;
  return JSON.stringify([releaseId, live, shadow ?? null, canary ?? null]);
}

function refKey(ref: ModelRef): string {
  return JSON.stringify([ref.version, ref.checksum, ref.location, ref.objectVersions ?? null]);
}

/** A manifest checksum as a pointer may write it: the hex value, or `sha256:<hex>`. */
function sameChecksum(refChecksum: string, manifest: Moderator['model']['manifest']): boolean {
  const { algorithm, value } = manifest.checksum;
  return refChecksum === value || refChecksum === `${algorithm}:${value}`;
}

export class ModelWatcher {
  /** The pointer the set came from (null: bundled); undefined before the first read. */
  private appliedKey: string | null | undefined;
  /** Loaded models by ref, for the set in use: a model moving from canary to live is not loaded again. */
  private byRef = new Map<string, Moderator>();
  private failed: { key: string; message: string; retryAt: number; attempts: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ModelWatcherOptions) {}

  /** Reads the pointer once and applies it; never throws (a failure is recorded). Concurrent calls share one check. */
  check(): Promise<void> {
    return (this.running ??= this.checkOnce().finally(() => (this.running = undefined)));
  }

  /** Polls every pollMs (the timer does not keep the process alive). */
  start(): void {
    this.stopped = false;
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.check().finally(() => {
          if (!this.stopped) tick();
        });
      }, this.options.pollMs);
      this.timer.unref();
    };
    tick();
  }

  /** Stops polling; waits for a check in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async checkOnce(): Promise<void> {
    const { source, models, log, metrics } = this.options;
    let pointer: ModelPointer | null;
    try {
      pointer = await source.read();
    } catch (error) {
      this.fail('unknown', `cannot read the model pointer (${source.description}): ${(error as Error).message}`, `read:${(error as Error).message}`, false);
      return;
    }
    if (pointer === null) {
      this.failed = undefined;
      if (this.appliedKey !== null) {
        const was = models.state();
        models.useBundled();
        this.byRef.clear();
        if (this.appliedKey !== undefined) {
          metrics?.modelSwaps.inc();
          log.info({ model: models.state().version, was: was.version, source: source.description }, 'no model released: deciding with the bundled model');
          this.options.onSwap?.();
        }
        this.appliedKey = null;
      } else models.useBundled();
      return;
    }
    const key = pointerKey(pointer);
    if (key === this.appliedKey) {
      // The pointer is back to what this process decides with (a failed release restored it): its error is over.
      this.failed = undefined;
      models.clearError();
      return;
    }
    // The same bad pointer again: retried after a growing wait, not every poll.
    if (this.failed?.key === key && Date.now() < this.failed.retryAt) return;
    let loaded: LoadedPointer;
    let byRef: Map<string, Moderator>;
    try {
      ({ loaded, byRef } = await this.loadPointer(pointer));
    } catch (error) {
      this.fail(pointer.releaseId, `model release ${pointer.releaseId} cannot be loaded: ${(error as Error).message}`, key, true);
      return;
    }
    if (this.stopped) return;
    const was = models.state();
    models.useReleased(loaded);
    this.byRef = byRef;
    this.appliedKey = key;
    this.failed = undefined;
    metrics?.modelSwaps.inc();
    const now = models.state();
    log.info({ releaseId: pointer.releaseId, model: now.version, shadow: now.shadow, canary: now.canary, was: was.version, source: source.description }, 'model swapped');
    this.options.onSwap?.();
  }

  private async loadPointer(pointer: ModelPointer): Promise<{ loaded: LoadedPointer; byRef: Map<string, Moderator> }> {
    const byRef = new Map<string, Moderator>();
    const one = async (role: string, ref: ModelRef): Promise<Moderator> => {
      const k = refKey(ref);
      const known = byRef.get(k) ?? this.byRef.get(k);
      if (known) {
        byRef.set(k, known);
        return known;
      }
      let moderator: Moderator;
      try {
        const dir = await this.options.source.materialise(ref);
        moderator = await this.options.load(dir);
      } catch (error) {
        throw new Error(`${role} model ${ref.version}: ${(error as Error).message}`);
      }
      const { manifest } = moderator.model;
      if (manifest.version !== ref.version) throw new Error(`${role} model: the artifact at ${ref.location} is version ${manifest.version}, the pointer names ${ref.version}`);
      if (!sameChecksum(ref.checksum, manifest)) throw new Error(`${role} model ${ref.version}: the artifact's checksum ${manifest.checksum.value} is not the pointer's ${ref.checksum}`);
      const probe = moderator.moderate({ text: PROBE_TEXT });
      if (!Number.isFinite(probe.score) || probe.score < 0 || probe.score > 1) throw new Error(`${role} model ${ref.version}: a probe text scored ${probe.score}, not a probability`);
      byRef.set(k, moderator);
      return moderator;
    };
    const live = await one('live', pointer.live);
    const shadow = pointer.shadow ? await one('shadow', pointer.shadow) : null;
    const canary = pointer.canary ? await one('canary', pointer.canary) : null;
    return { loaded: { pointer, live, shadow: shadow as DecidingModel | null, canary }, byRef };
  }

  /** Records a failure; logs and counts it once per distinct failure and attempt (a read error: once until it changes). */
  private fail(releaseId: string, message: string, key: string, backoff: boolean): void {
    const { models, log, metrics, pollMs } = this.options;
    const again = this.failed?.key === key;
    if (!backoff && again && this.failed!.message === message) return;
    const attempts = again ? this.failed!.attempts + 1 : 1;
    // 2, 4, 8... polls, at most 10 minutes, before the same pointer is tried again.
    this.failed = { key, message, attempts, retryAt: Date.now() + Math.min(600_000, pollMs * 2 ** attempts) };
    models.recordError(releaseId, message);
    metrics?.modelLoadFailures.inc();
    log.warn({ releaseId, attempts, model: models.state().version, source: this.options.source.description, error: message }, 'model pointer not applied: keeping the models loaded');
  }
}
