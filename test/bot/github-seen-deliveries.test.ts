// The handled GitHub delivery ids (src/bot/seen-deliveries.ts) in a real
// state file: a second claim of an id is refused, concurrent claims of one id
// give it to exactly one, a forgotten id can be claimed again, the file keeps
// the newest `limit` ids only, and a damaged file starts afresh.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileSeenDeliveries } from '../../src/bot/seen-deliveries.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mod-seen-'));
  file = path.join(dir, 'bot', 'github-deliveries.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const ids = async () => (JSON.parse(await readFile(file, 'utf8')) as { deliveries: { id: string }[] }).deliveries.map((d) => d.id);

describe('seen GitHub deliveries', () => {
  it('claims an id once, also for another instance reading the same file, and again after forgetting it', async () => {
    const seen = fileSeenDeliveries(file);
    expect(await seen.claim('a')).toBe(true);
    expect(await seen.claim('a')).toBe(false);
    expect(await fileSeenDeliveries(file).claim('a')).toBe(false);
    await seen.forget('a');
    expect(await seen.claim('a')).toBe(true);
  });

  it('gives one of many concurrent claims of an id to exactly one, and records every other id', async () => {
    const seen = fileSeenDeliveries(file);
    const results = await Promise.all([...Array.from({ length: 5 }, () => seen.claim('same')), seen.claim('b'), seen.claim('c')]);
    expect(results.slice(0, 5).filter(Boolean)).toHaveLength(1);
    expect(results.slice(5)).toEqual([true, true]);
    expect((await ids()).sort()).toEqual(['b', 'c', 'same']);
  });

  it('keeps the newest ids only', async () => {
    const seen = fileSeenDeliveries(file, { limit: 3 });
    for (const id of ['1', '2', '3', '4', '5']) await seen.claim(id);
    expect(await ids()).toEqual(['3', '4', '5']);
    expect(await seen.claim('1')).toBe(true);
  });

  it('starts afresh from a damaged file instead of refusing every delivery', async () => {
    const seen = fileSeenDeliveries(file);
    await seen.claim('x');
    await writeFile(file, '{ not json');
    expect(await seen.claim('y')).toBe(true);
    expect(await ids()).toEqual(['y']);
  });
});
