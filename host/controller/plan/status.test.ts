import { describe, expect, it } from 'vitest';
import type { Resource } from '@kadende/plugin-sdk';
import { DEFAULT_POLICY } from '../../config/index.js';
import type { ResourceRecord } from '../../../model/index.js';
import { planFixtures } from '../../../test/support/plan-fixtures.js';
import { describeFailed, planGroup, type GroupTarget } from './index.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const group = (over: Partial<GroupTarget> = {}): GroupTarget => ({ clusterId: 'c1', path: 'g', size: 3, specHash: 'spec', policy: { ...DEFAULT_POLICY }, ...over });
const { record, resource } = planFixtures({ now: NOW, groupPath: 'g', specHash: 'spec' });
const status = (g: GroupTarget, records: ResourceRecord[], observed: Resource[]) => planGroup({ group: g, records, observed, now: NOW }).status;
const abc = ['a', 'b', 'c'];

describe('group status: reason and message', () => {
  it('converged: size resources, all ready and current, nothing to do', () => {
    expect(status(group(), abc.map((i) => record(i)), abc.map((i) => resource(i)))).toMatchObject({
      reason: 'converged',
      message: '3 of 3 ready',
      converged: true,
      halted: false,
    });
  });

  it('progressing: says what this pass does', () => {
    expect(status(group(), [], [])).toMatchObject({ reason: 'progressing', message: '0 of 3 ready; creating 3', converged: false });
    const four = [...abc, 'd'].map((i, n) => record(i, { createdAt: iso(1_000_000 - n) }));
    expect(status(group(), four, [...abc, 'd'].map((i) => resource(i)))).toMatchObject({ reason: 'progressing', message: '4 of 3 ready; deleting 1' });
    const lost = status(group({ size: 1 }), [record('gone')], []);
    expect(lost).toMatchObject({ reason: 'progressing', message: '0 of 1 ready; creating 1, dropping 1 record' });
  });

  it('halted: says why, even while the pass still records observations', () => {
    const sick = abc.map((i) => record(i));
    const s = status(group({ policy: { ...DEFAULT_POLICY, maxUnhealthy: '50%' } }), sick, abc.map((i) => resource(i, { status: 'unhealthy' })));
    expect(s).toMatchObject({ reason: 'halted', halted: true, converged: false, unhealthy: 3 });
    expect(s.message).toMatch(/^remediation halted \(3 resources are unhealthy, more than maxUnhealthy \(50% = 1\)/);
  });

  it('creates-failed: failed creates hold their slot and nothing else is to be done; the message has the last error', () => {
    const failed = [
      record('f1', { state: 'failed', providerId: undefined, observedAt: undefined, lastError: 'quota', updatedAt: iso(9_000) }),
      record('f2', { state: 'failed', providerId: undefined, observedAt: undefined, lastError: 'no capacity', updatedAt: iso(1_000) }),
    ];
    expect(status(group({ size: 2 }), failed, [])).toMatchObject({ reason: 'creates-failed', message: '2 create(s) failed for good: no capacity', failed: 2 });
  });

  it('waiting: a young orphan, or a record describe does not list yet', () => {
    const orphan = status(group({ size: 0 }), [], [resource('x', { createdAt: iso(5_000) })]);
    expect(orphan).toMatchObject({ reason: 'waiting', message: '0 of 0 ready; orphan p-x is 5 s old; it is deleted once 30 s old' });
    const lagging = status(group({ size: 1 }), [record('new', { observedAt: undefined, updatedAt: iso(10_000) })], []);
    expect(lagging).toMatchObject({ reason: 'waiting', message: '0 of 1 ready; p-new was created but the provider does not list it yet' });
  });

  it('waiting, not creates-failed, while something else may still change', () => {
    const failed = record('f', { state: 'failed', providerId: undefined, observedAt: undefined, lastError: 'quota' });
    const s = status(group({ size: 2 }), [failed, record('new', { observedAt: undefined, updatedAt: iso(10_000) })], []);
    expect(s.reason).toBe('waiting');
  });

  it('waiting: a resource still starting, within its startup timeout', () => {
    const records = [record('a'), record('b'), record('c', { status: 'pending' })];
    const observed = [resource('a'), resource('b'), resource('c', { status: 'pending', createdAt: iso(10_000) })];
    expect(status(group(), records, observed)).toMatchObject({ reason: 'waiting', message: '2 of 3 ready; waiting for 1 to become ready' });
  });

  it('describe-failed: set by the reconciler, with the error, and no counts', () => {
    expect(describeFailed(3, 'plugin aws@1.0.0: describe failed: throttled')).toEqual({
      reason: 'describe-failed',
      message: 'plugin aws@1.0.0: describe failed: throttled',
      desired: 3,
      halted: false,
      converged: false,
    });
  });
});
