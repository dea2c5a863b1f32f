// What every bot handler works with: how to open the repository's Workspace
// (once per request, so an edited mod.config.yml counts at once), the stop
// signal of the bot, the approval requests already answered, and a logger.
import type { Workspace } from '../delivery/workspace.js';

export interface BotLog {
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

export interface BotContext {
  openWorkspace(): Promise<Workspace>;
  /** Aborted when the bot stops: deploys and rollbacks in flight are stopped as Ctrl-C stops them. */
  signal: AbortSignal;
  /** Approval request ids already approved or rejected (a second click is told so). */
  answered: Map<string, string>;
  log: BotLog;
}
