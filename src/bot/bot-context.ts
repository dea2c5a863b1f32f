// What every bot handler works with: how to open the repository's Workspace
// (once per request, so an edited mod.config.yml counts at once), the stop
// signal of the bot, and a logger. (Approval requests and their answers are
// kept in the local state: approval-requests.ts.)
import type { Workspace } from '../delivery/workspace.js';

export interface BotLog {
  info(message: string): void;
  error(message: string, error?: unknown): void;
}

export interface BotContext {
  openWorkspace(): Promise<Workspace>;
  /** Aborted when the bot stops: deploys and rollbacks in flight are stopped as Ctrl-C stops them. */
  signal: AbortSignal;
  log: BotLog;
}
