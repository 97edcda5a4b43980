import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../config/index.js';
import { planFixtures } from '../../../test/support/plan-fixtures.js';
import { planGroup, type GroupTarget } from './index.js';
import { unreadablePolicy } from './policy.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const { record, resource, tags } = planFixtures({ now: NOW, groupPath: 'g', specHash: 'spec' });
const target = (over: Partial<GroupTarget> = {}, policy: Record<string, unknown> = {}): GroupTarget =>
  ({ clusterId: 'c1', path: 'g', size: 2, specHash: 'spec', ...over, policy: { ...DEFAULT_POLICY, ...policy } }) as GroupTarget;

describe('unreadablePolicy', () => {
  it('reads every value configuration loading accepts', () => {
    const amount = fc.oneof(fc.nat(10_000), fc.integer({ min: 0, max: 100 }).map((n) => `${n}%`));
    fc.assert(
      fc.property(fc.nat(10_000), amount, amount, amount, fc.double({ min: 0, max: 1e6, noNaN: true }), (size, maxSurge, maxUnavailable, maxUnhealthy, seconds) => {
        expect(unreadablePolicy(target({ size }, { maxSurge, maxUnavailable, maxUnhealthy, startupTimeoutSeconds: seconds, orphanMinAgeSeconds: seconds }))).toBeUndefined();
      }),
    );
  });

  it.each([
    ['orphanMinAgeSeconds', null, 'orphanMinAgeSeconds is null'],
    ['orphanMinAgeSeconds', Infinity, 'orphanMinAgeSeconds is Infinity'],
    ['startupTimeoutSeconds', Number.NaN, 'startupTimeoutSeconds is NaN'],
    ['maxSurge', undefined, 'maxSurge is missing'],
    ['maxUnavailable', '150%', 'maxUnavailable is "150%"'],
    ['maxUnhealthy', -1, 'maxUnhealthy is -1'],
    ['maxUnhealthy', 1.5, 'maxUnhealthy is 1.5'],
  ])('names %s = %s', (field, value, said) => {
    expect(unreadablePolicy(target({}, { [field]: value }))).toContain(said);
  });

  it('names an unreadable size', () => {
    expect(unreadablePolicy(target({ size: 1e308 }))).toContain('size is 1e+308');
  });
});

describe('planGroup with a policy it cannot read', () => {
  it('halts the group instead of deleting a young orphan at once (orphanMinAgeSeconds: null)', () => {
    const orphan = resource('o', { createdAt: new Date(NOW).toISOString(), tags: tags('o') });
    const readable = planGroup({ group: target({ size: 0 }), records: [], observed: [orphan], now: NOW });
    expect(readable.actions.map((a) => a.kind)).toEqual(['wait']);
    const plan = planGroup({ group: target({ size: 0 }, { orphanMinAgeSeconds: null }), records: [], observed: [orphan], now: NOW });
    expect(plan.actions.map((a) => a.kind)).toEqual(['halt']);
    expect(plan.status).toMatchObject({ reason: 'halted', halted: true, converged: false });
    expect(plan.status.message).toMatch(/^halted: the stored configuration cannot be read \(orphanMinAgeSeconds is null/);
  });

  it('creates nothing for an unreadable startup timeout, and keeps the records it has', () => {
    const records = [record('a'), record('b', { status: 'pending' })];
    const observed = [resource('a'), resource('b', { status: 'pending' })];
    const plan = planGroup({ group: target({ size: 3 }, { startupTimeoutSeconds: null }), records, observed, now: NOW });
    expect(plan.actions.map((a) => a.kind)).toEqual(['halt']);
    expect(plan.status).toMatchObject({ desired: 3, actual: 2, reason: 'halted' });
  });
});
