import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CategoryScore } from '../../src/moderation/classifier.js';
import { PolicyError } from '../../src/moderation/errors.js';
import { decideWithPolicy, uniformPolicy, type RuleVerdict } from '../../src/moderation/policy.js';
import { applyPolicyOverrides, parsePolicyOverrides, readPolicyFile } from '../../src/moderation/policy-config.js';

const policy = uniformPolicy(0.05, 0.9, { minor: 0.6 });
const top = (name: CategoryScore['name'], score: number): CategoryScore[] => [{ name, score }];
const contactReject: RuleVerdict = { category: 'contact', severity: 'reject' };

describe('decision policy', () => {
  it('approves a low score with no rule hit, with no category', () => {
    expect(decideWithPolicy(0.01, top('scam', 0.01), [], policy)).toEqual({ decision: 'approve', category: null });
  });

  it('never approves a post a rule fired on, however low its score', () => {
    expect(decideWithPolicy(0.001, top('scam', 0.001), [{ category: 'solicitation', severity: 'review' }], policy)).toEqual({ decision: 'review', category: 'solicitation' });
    expect(decideWithPolicy(0.001, top('scam', 0.001), [contactReject], policy)).toEqual({ decision: 'reject', category: 'contact' });
  });

  it("rejects above the category's own threshold, reviews between", () => {
    expect(decideWithPolicy(0.7, top('minor', 0.7), [], policy).decision).toBe('reject');
    expect(decideWithPolicy(0.7, top('scam', 0.7), [], policy).decision).toBe('review');
    expect(decideWithPolicy(0.95, top('scam', 0.95), [], policy)).toEqual({ decision: 'reject', category: 'scam' });
  });

  it('a category whose action is review always goes to a person, rules included', () => {
    const reviewMinors = applyPolicyOverrides(policy, { categories: { minor: { action: 'review' } } });
    expect(decideWithPolicy(0.99, top('minor', 0.99), [], reviewMinors)).toEqual({ decision: 'review', category: 'minor' });
    // The model is sure of a minor (named first by moderators) over the contact rule: reviewed.
    expect(decideWithPolicy(0.99, top('minor', 0.99), [contactReject], reviewMinors)).toEqual({ decision: 'review', category: 'minor' });
    expect(decideWithPolicy(0.99, top('minor', 0.99), [contactReject], policy)).toEqual({ decision: 'reject', category: 'minor' });
  });

  it("names the rule's category unless the model is sure of one a moderator acts on first", () => {
    expect(decideWithPolicy(0.5, top('scam', 0.5), [contactReject], policy).category).toBe('contact');
    expect(decideWithPolicy(0.95, top('solicitation', 0.95), [contactReject], policy).category).toBe('solicitation');
    // spam comes after contact: the rule's category stands.
    expect(decideWithPolicy(0.99, top('spam', 0.99), [contactReject], policy).category).toBe('contact');
  });
});

describe('policy file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mod-policy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads YAML and applies only what it sets', async () => {
    const file = path.join(dir, 'policy.yml');
    await writeFile(file, 'approveBelow: 0.02\ncategories:\n  minor: { action: review }\n  contact: { rejectAbove: 0.7 }\n');
    const applied = applyPolicyOverrides(policy, await readPolicyFile(file));
    expect(applied.approveBelow).toBe(0.02);
    expect(applied.categories.minor).toEqual({ action: 'review', rejectAbove: 0.6 });
    expect(applied.categories.contact).toEqual({ action: 'reject', rejectAbove: 0.7 });
    expect(applied.categories.scam).toEqual(policy.categories.scam);
    expect(applied.rejectAbove).toBe(0.9);
  });

  it.each([
    [{ categories: { minors: { action: 'review' } } }, /categories: Unrecognized key/],
    [{ categories: { minor: { action: 'hide' } } }, /categories\.minor\.action/],
    [{ approveBelow: 1.5 }, /approveBelow/],
    [{ thresholds: 1 }, /Unrecognized key/],
  ])('refuses %j naming the key, exit 2', (value, message) => {
    let error: unknown;
    try {
      parsePolicyOverrides(value, 'policy.yml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/^policy\.yml: /);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a category that would reject below the approve threshold, naming both', () => {
    expect(() => applyPolicyOverrides(policy, { approveBelow: 0.95, categories: { contact: { rejectAbove: 0.5 } } }, 'p.yml')).toThrow(/^p\.yml: categories\.contact\.rejectAbove 0\.5, .*below approveBelow 0\.95/);
    expect(() => applyPolicyOverrides(policy, { approveBelow: 0.95, categories: { contact: { rejectAbove: 0.5 } } }, 'p.yml')).toThrow(PolicyError);
    expect(applyPolicyOverrides(policy, { approveBelow: 0.5 }).approveBelow).toBe(0.5);
  });

  it('refuses a missing file and invalid YAML', async () => {
    await expect(readPolicyFile(path.join(dir, 'nope.yml'))).rejects.toThrow(/no such policy file/);
    const bad = path.join(dir, 'bad.yml');
    await writeFile(bad, 'categories: [\n');
    await expect(readPolicyFile(bad)).rejects.toThrow(/not valid YAML/);
  });
});
