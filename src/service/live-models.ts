// The models a service process decides with now (issue 13): the live one,
// and optionally a shadow (scores every new post, never the answer) and a
// canary (decides a share of new posts). The watcher replaces the whole set
// at once; a request reads the set once (models()) and keeps it, so a swap
// in the middle of a request never mixes two sets and never fails it.
import type { ModelPointer, ServiceModelState } from '../moderation/model-pointer.js';
import type { ModerationRequest, ModerationResult } from '../moderation/moderator.js';

/** What the service needs of one loaded model (src/moderation's Moderator). */
export interface DecidingModel {
  readonly modelVersion: string;
  moderate(request: ModerationRequest): ModerationResult;
}

/** One consistent set of models, never changed once made (a swap makes a new one). */
export interface ModelSet {
  live: DecidingModel;
  shadow: DecidingModel | null;
  canary: { model: DecidingModel; weight: number } | null;
  /** What /healthz says (its `model` field), error excepted. */
  state: ServiceModelState;
}

/** The models a released pointer names, loaded and checked. */
export interface LoadedPointer {
  pointer: ModelPointer;
  live: DecidingModel;
  shadow: DecidingModel | null;
  canary: DecidingModel | null;
}

export class LiveModels {
  private set: ModelSet;
  private error: ServiceModelState['error'];

  constructor(
    private readonly bundled: DecidingModel,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.set = this.bundledSet();
  }

  /** The live model's version (what /readyz and a set-less caller see). */
  get modelVersion(): string {
    return this.set.live.modelVersion;
  }

  /** The live model decides (callers that do not split traffic). */
  moderate(request: ModerationRequest): ModerationResult {
    return this.set.live.moderate(request);
  }

  /** The set a request decides with: read it once per request. */
  models(): ModelSet {
    return this.set;
  }

  /** /healthz `model`: the set's state and the last pointer that could not be loaded. */
  state(): ServiceModelState {
    return this.error ? { ...this.set.state, error: this.error } : this.set.state;
  }

  /** The pointer the set came from (null: bundled). */
  get releaseId(): string | null {
    return this.set.state.releaseId;
  }

  /** Replaces every model at once with a loaded pointer's; the live model's loadedAt moves only when the live model changes. */
  useReleased(loaded: LoadedPointer): void {
    const { pointer } = loaded;
    const loadedAt = loaded.live === this.set.live ? this.set.state.loadedAt : this.clock().toISOString();
    this.error = undefined;
    this.set = {
      live: loaded.live,
      shadow: loaded.shadow,
      canary: loaded.canary && pointer.canary ? { model: loaded.canary, weight: pointer.canary.weight } : null,
      state: {
        version: loaded.live.modelVersion,
        source: 'released',
        releaseId: pointer.releaseId,
        bundled: this.bundled.modelVersion,
        shadow: loaded.shadow?.modelVersion ?? null,
        canary: loaded.canary && pointer.canary ? { version: loaded.canary.modelVersion, weight: pointer.canary.weight } : null,
        loadedAt,
      },
    };
  }

  /** Back to the bundle's model (no pointer: nothing released, or the release cleared). */
  useBundled(): void {
    this.error = undefined;
    if (this.set.state.source !== 'bundled') this.set = this.bundledSet();
  }

  /** The pointer names the set in use again: the last load error no longer applies. */
  clearError(): void {
    this.error = undefined;
  }

  /** A pointer that could not be loaded: the set stays; /healthz says why. */
  recordError(releaseId: string, message: string): void {
    this.error = { releaseId, message, at: this.clock().toISOString() };
  }

  /** Every loaded model, by role (mod_model_info). */
  loaded(): { version: string; role: 'live' | 'shadow' | 'canary'; source: 'released' | 'bundled' }[] {
    const { state } = this.set;
    return [
      { version: state.version, role: 'live' as const, source: state.source },
      ...(state.shadow ? [{ version: state.shadow, role: 'shadow' as const, source: state.source }] : []),
      ...(state.canary ? [{ version: state.canary.version, role: 'canary' as const, source: state.source }] : []),
    ];
  }

  private bundledSet(): ModelSet {
    const version = this.bundled.modelVersion;
    return { live: this.bundled, shadow: null, canary: null, state: { version, source: 'bundled', releaseId: null, bundled: version, shadow: null, canary: null, loadedAt: this.clock().toISOString() } };
  }
}
