// Group commit for moderation decisions: requests that arrive while earlier
// writes are in flight are written together in one INSERT (one round trip,
// one commit, one WAL flush) instead of one transaction each. A request's
// promise settles only after the statement holding its posts committed, so
// a 200 still means "stored"; if that statement fails, every request in it
// fails (none of them was stored).
import type { NewPost, RecordedDecision } from '../moderation/post-records.js';
import { isUnavailable } from '../store/errors.js';
import { samePost } from '../store/postgres-store.js';

/** A stored decision; `conflict`: the id was stored earlier for another text, kind or user id (this is that post's decision). */
export type WrittenDecision = RecordedDecision & { conflict?: true };

export interface PostRecorder {
  recordPosts(posts: NewPost[], at: Date): Promise<WrittenDecision[]>;
}

interface Pending {
  posts: NewPost[];
  resolve: (decisions: WrittenDecision[]) => void;
  reject: (error: unknown) => void;
}

export interface PostWriterOptions {
  /** Most posts in one statement (a single request may exceed it alone). */
  maxBatch?: number;
  /** Statements in flight at once (at most the pool size). */
  maxConcurrent?: number;
}

export class PostWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxConcurrent: number;

  constructor(
    private readonly store: PostRecorder,
    private readonly clock: () => Date,
    options: PostWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 200;
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 2);
  }

  /** Stores the posts (ids unique within the call); resolves with each id's stored decision. */
  write(posts: NewPost[]): Promise<WrittenDecision[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ posts, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxConcurrent || this.queue.length === 0) return;
    this.scheduled = true;
    // One event-loop turn lets requests parsed in the same turn join the statement.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight >= this.maxConcurrent || this.queue.length === 0) return;
    const batch: Pending[] = [];
    const deferred: Pending[] = [];
    // The same id in two requests of one statement: insert it once, and give
    // both requests the decision that was stored. A request whose post has
    // an id already in the statement with another text waits for the next
    // statement, where the store compares it with the stored one.
    const unique = new Map<string, NewPost>();
    let size = 0;
    while (this.queue.length > 0 && (batch.length === 0 || size + this.queue[0]!.posts.length <= this.maxBatch)) {
      const next = this.queue.shift()!;
      if (next.posts.some((post) => unique.has(post.id) && !samePost(unique.get(post.id)!, post))) {
        deferred.push(next);
        continue;
      }
      batch.push(next);
      size += next.posts.length;
      for (const post of next.posts) if (!unique.has(post.id)) unique.set(post.id, post);
    }
    this.queue.unshift(...deferred);
    this.inFlight++;
    this.store
      .recordPosts([...unique.values()], this.clock())
      .then(
        (recorded) => {
          const byId = new Map(recorded.map((r) => [r.id, r]));
          for (const pending of batch) {
            pending.resolve(
              pending.posts.map((post) => {
                const r = byId.get(post.id)!;
                // Only the request whose post was inserted reports it as new.
                return r.created && unique.get(post.id) !== post ? { ...r, created: false } : r;
              }),
            );
          }
        },
        (error: unknown) => {
          // A statement that failed for its data (not because the database is
          // unavailable) must not fail the requests that merely shared it:
          // each request is written again on its own, and only the one at
          // fault gets the error.
          if (batch.length > 1 && !isUnavailable(error)) for (const pending of batch) this.writeAlone(pending);
          else for (const pending of batch) pending.reject(error);
        },
      )
      .finally(() => {
        this.inFlight--;
        this.schedule();
      });
    this.schedule();
  }

  private writeAlone(pending: Pending): void {
    this.store.recordPosts(pending.posts, this.clock()).then(pending.resolve, pending.reject);
  }
}
