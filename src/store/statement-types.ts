// Types shared by the store's statement files (console-session-store.ts,
// console-claims.ts, review-undo.ts) and PostgresStore, which runs them.
import type pg from 'pg';

/** One statement (PostgresStore's query, or one inside its transaction): `name` null is an unnamed statement. */
export type Run = <R extends pg.QueryResultRow>(name: string | null, text: string, values: unknown[]) => Promise<pg.QueryResult<R>>;

/** A moderator token's role (migration 0005): `viewer` tokens (support staff) read aggregates only. */
export type TokenRole = 'moderator' | 'viewer';
