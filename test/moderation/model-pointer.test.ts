// The model pointer's checks (issue 13): a pointer written by someone else
// (a hand-edited file, anyone who can write the SSM parameter) can never
// name a path outside the model directories, and a post's canary bucket is
// stable for its id.
import { describe, expect, it } from 'vitest';
import { assertModelNames, canaryBucket, parseModelPointer } from '../../src/moderation/model-pointer.js';

const ref = { version: '20261202-6542a508', checksum: 'ab'.repeat(32), location: '/state/models/x' };
const pointer = (live: Record<string, unknown>, releaseId = 'm-20261202T000000-abc123') => ({ schemaVersion: 1, environment: 'stage', releaseId, updatedAt: '2026-12-02T00:00:00.000Z', live });

describe('model pointer', () => {
  it('accepts a released pointer (sha256:-prefixed checksums too)', () => {
    expect(parseModelPointer(pointer(ref)).live.version).toBe(ref.version);
    expect(parseModelPointer(pointer({ ...ref, checksum: `sha256:${ref.checksum}` })).live.checksum).toBe(`sha256:${ref.checksum}`);
  });

  it('refuses versions, checksums and release ids that could name a path outside the model directories', () => {
    for (const version of ['../../etc', '..', '.hidden', 'a/b', 'a\\b', '']) expect(() => parseModelPointer(pointer({ ...ref, version }))).toThrow(/live\.version/);
    for (const checksum of ['../x', 'zz', '']) expect(() => parseModelPointer(pointer({ ...ref, checksum }))).toThrow(/live\.checksum/);
    expect(() => parseModelPointer(pointer(ref, '../m-1'))).toThrow(/releaseId/);
    expect(() => assertModelNames({ version: '../v', checksum: 'ab' })).toThrow(/cannot name a directory/);
    expect(() => assertModelNames({ version: 'v1', checksum: '../ab' })).toThrow(/not a hex checksum/);
    expect(() => assertModelNames(ref)).not.toThrow();
  });

  it('puts a post in the same bucket (0-99) every time', () => {
    const buckets = Array.from({ length: 1000 }, (_, i) => canaryBucket(`post-${i}`));
    expect(buckets.every((b) => b >= 0 && b < 100)).toBe(true);
    expect(canaryBucket('post-7')).toBe(buckets[7]);
    // Spread over the range: each decile holds some of 1,000 ids.
    expect(new Set(buckets.map((b) => Math.floor(b / 10))).size).toBe(10);
  });
});
