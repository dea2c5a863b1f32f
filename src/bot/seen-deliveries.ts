// The GitHub webhook deliveries the bot has taken on (X-GitHub-Delivery ids),
// kept in the local state (.mod/bot/github-deliveries.json, written
// atomically, the newest `limit` only) so that a redelivery, or GitHub
// retrying a delivery it thinks failed, posts nothing twice, even across a
// restart of the bot. A delivery whose work failed is forgotten again, so a
// redelivery of it retries.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface SeenDeliveries {
  /** Records the id; false when it was already there (a redelivery). */
  claim(id: string): Promise<boolean>;
  /** Forgets the id (its work failed: let a redelivery retry). */
  forget(id: string): Promise<void>;
}

interface SeenFile {
  schemaVersion: 1;
  /** Oldest first. */
  deliveries: { id: string; at: string }[];
}

export function fileSeenDeliveries(file: string, options: { limit?: number; now?: () => Date } = {}): SeenDeliveries {
  const limit = options.limit ?? 1000;
  const now = options.now ?? (() => new Date());
  // One change at a time in this process: concurrent deliveries read and write the file in turn.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  const read = async (): Promise<SeenFile['deliveries']> => {
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<SeenFile>;
      return Array.isArray(parsed.deliveries) ? parsed.deliveries : [];
    } catch (error) {
      // Missing, or damaged by hand: start afresh rather than refuse every delivery.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return [];
      throw error;
    }
  };
  const write = async (deliveries: SeenFile['deliveries']): Promise<void> => {
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify({ schemaVersion: 1, deliveries: deliveries.slice(-limit) } satisfies SeenFile, null, 2)}\n`);
    await rename(temp, file);
  };
  return {
    claim: (id) =>
      serially(async () => {
        const deliveries = await read();
        if (deliveries.some((d) => d.id === id)) return false;
        await write([...deliveries, { id, at: now().toISOString() }]);
        return true;
      }),
    forget: (id) =>
      serially(async () => {
        const deliveries = await read();
        if (deliveries.some((d) => d.id === id)) await write(deliveries.filter((d) => d.id !== id));
      }),
  };
}
