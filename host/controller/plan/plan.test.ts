import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, type Resource } from '@kadende/plugin-sdk';
import { DEFAULT_POLICY } from '../../config/index.js';
import type { ResourceRecord } from '../../../model/index.js';
import { planFixtures } from '../../../test/support/plan-fixtures.js';
import { CREATE_IN_FLIGHT_MS, planGroup, resolveAmount, type Action, type GroupTarget, type PlanInput } from './index.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const target = (over: Partial<GroupTarget> = {}): GroupTarget => ({
  clusterId: 'c1',
  path: 'g/a',
  size: 3,
  specHash: 'spec-new',
  policy: { ...DEFAULT_POLICY },
  ...over,
});
const { tags, record, resource } = planFixtures({ now: NOW, groupPath: 'g/a', specHash: 'spec-new' });
const kinds = (actions: Action[]) => actions.map((a) => a.kind).sort();

describe('planGroup: examples', () => {
  it('creates from zero', () => {
    const plan = planGroup({ group: target(), records: [], observed: [], now: NOW });
    expect(kinds(plan.actions)).toEqual(['create', 'create', 'create']);
    expect(plan.status).toMatchObject({ desired: 3, actual: 0, converged: false });
  });

  it('is converged when every resource is active, current and observed', () => {
    const ids = ['a', 'b', 'c'];
    const plan = planGroup({ group: target(), records: ids.map((i) => record(i)), observed: ids.map((i) => resource(i)), now: NOW });
    expect(plan.actions).toEqual([]);
    expect(plan.status).toMatchObject({ desired: 3, actual: 3, healthy: 3, converged: true });
  });

  it('scales in: unhealthy first, then outdated, then newest', () => {
    const records = [
      record('old', { createdAt: iso(9_000_000) }),
      record('newest', { createdAt: iso(1_000) }),
      record('outdated', { specHash: 'spec-old', createdAt: iso(8_000_000) }),
      record('mid', { createdAt: iso(5_000_000) }),
      record('sick', { status: 'unhealthy' }),
    ];
    const observed = [resource('old'), resource('newest'), resource('outdated', { tags: tags('outdated', 'spec-old') }), resource('mid'), resource('sick', { status: 'unhealthy' })];
    const size1 = planGroup({ group: target({ size: 1 }), records, observed, now: NOW });
    const deleted = size1.actions.filter((a) => a.kind === 'delete').map((a) => (a as { record: ResourceRecord }).record.id);
    // The unhealthy one is replaced (remediation); then the surplus of 4 over 1 goes: outdated, newest, mid.
    expect(deleted).toEqual(['sick', 'outdated', 'newest', 'mid']);
    expect(size1.actions.some((a) => a.kind === 'create')).toBe(false);
  });

  it('replaces unhealthy and pending-too-long resources', () => {
    const records = [record('a'), record('b', { status: 'unhealthy' }), record('c', { status: 'pending' })];
    const observed = [resource('a'), resource('b', { status: 'unhealthy' }), resource('c', { status: 'pending', createdAt: iso(601_000) })];
    const plan = planGroup({ group: target(), records, observed, now: NOW });
    expect(plan.actions.filter((a) => a.kind === 'delete').map((a) => (a as { reason: string }).reason)).toEqual(['unhealthy', 'unhealthy']);
    // Both still exist until their deletes are done: replacements only within maxSurge (1) meanwhile (issue 9).
    expect(plan.actions.filter((a) => a.kind === 'create')).toHaveLength(1);
    const wider = planGroup({ group: target({ policy: { ...DEFAULT_POLICY, maxSurge: 2 } }), records, observed, now: NOW });
    expect(wider.actions.filter((a) => a.kind === 'create')).toHaveLength(2);
  });

  it('halts remediation when more than maxUnhealthy are unhealthy at once', () => {
    const records = ['a', 'b', 'c'].map((i) => record(i, { status: 'unhealthy' }));
    const observed = ['a', 'b', 'c'].map((i) => resource(i, { status: 'unhealthy' }));
    const plan = planGroup({ group: target({ policy: { ...DEFAULT_POLICY, maxUnhealthy: '50%' } }), records, observed, now: NOW });
    expect(kinds(plan.actions)).toEqual(['halt']);
    expect(plan.actions[0]!.cause).toContain('3 resources are unhealthy, more than maxUnhealthy (50% = 1)');
    expect(plan.status).toMatchObject({ halted: true, converged: false });
  });

  it('deletes old orphans, waits for young ones, never touches what lacks our tags', () => {
    const observed = [
      resource('orphan-old', { createdAt: iso(31_000) }),
      resource('orphan-young', { createdAt: iso(5_000) }),
      resource('foreign-cluster', { tags: tags('x', 'spec-new', 'c2') }),
      resource('foreign-group', { tags: tags('y', 'spec-new', 'c1', 'g/b') }),
      { id: 'untagged', status: 'active', tags: {} } as Resource,
    ];
    const plan = planGroup({ group: target({ size: 0 }), records: [], observed, now: NOW });
    expect(plan.actions.filter((a) => a.kind === 'delete-orphan').map((a) => (a as { resource: Resource }).resource.id)).toEqual(['p-orphan-old']);
    expect(plan.actions.find((a) => a.kind === 'wait')!.cause).toContain('orphan p-orphan-young is 5 s old');
  });

  it('drops a record whose resource vanished, and replaces it', () => {
    const plan = planGroup({ group: target({ size: 1 }), records: [record('gone')], observed: [], now: NOW });
    expect(kinds(plan.actions)).toEqual(['create', 'forget']);
  });

  it('gives a never-observed record a grace period before it counts as lost', () => {
    const fresh = record('fresh', { observedAt: undefined, updatedAt: iso(10_000) });
    expect(kinds(planGroup({ group: target({ size: 1 }), records: [fresh], observed: [], now: NOW }).actions)).toEqual(['wait']);
    const stale = record('stale', { observedAt: undefined, updatedAt: iso(200_000) });
    expect(kinds(planGroup({ group: target({ size: 1 }), records: [stale], observed: [], now: NOW }).actions)).toEqual(['create', 'forget']);
  });

  it('keeps a deleted record whose create was retried in its slot until the listing grace has passed', () => {
    // Attempt 1's answer was lost; a provider that ignored the token may hold its resource, not listed yet.
    const retried = (createdAgo: number) => record('r', { state: 'deleting', deleteReason: 'unhealthy', attempts: 2, createdAt: iso(createdAgo) });
    const young = planGroup({ group: target({ size: 1 }), records: [retried(30_000)], observed: [], now: NOW, lostGraceMs: 120_000 });
    expect(kinds(young.actions)).toEqual(['create', 'wait']);
    const surge = planGroup({ group: target({ size: 1, policy: { ...DEFAULT_POLICY, maxSurge: 0, maxUnavailable: 1 } }), records: [retried(30_000)], observed: [], now: NOW, lostGraceMs: 120_000 });
    expect(kinds(surge.actions)).toEqual(['wait']);
    const old = planGroup({ group: target({ size: 1 }), records: [retried(200_000)], observed: [], now: NOW, lostGraceMs: 120_000 });
    expect(kinds(old.actions)).toEqual(['create', 'forget']);
    const once = planGroup({ group: target({ size: 1 }), records: [{ ...retried(30_000), attempts: 1 }], observed: [], now: NOW, lostGraceMs: 120_000 });
    expect(kinds(once.actions)).toEqual(['create', 'forget']);
    // Lost rather than deleted: replaced at once, but it still occupies its slot, so no surge beside it.
    const lost = record('l', { attempts: 2, createdAt: iso(30_000) });
    const outdated = ['o1', 'o2'].map((id) => record(id, { specHash: 'spec-old' }));
    const observed = ['o1', 'o2'].map((id) => resource(id, { tags: tags(id, 'spec-old') }));
    const rolling = planGroup({ group: target({ size: 3, policy: { ...DEFAULT_POLICY, maxSurge: 1, maxUnavailable: 0 } }), records: [lost, ...outdated], observed, now: NOW, lostGraceMs: 120_000 });
    expect(kinds(rolling.actions)).toEqual(['create', 'wait']);
  });

  it('keeps a deleted record in its slot while a create attempt of it sent less than CREATE_IN_FLIGHT_MS ago may still land (seed 71522)', () => {
    // Attempt 1's answer was lost, the retry was sent and the host crashed; the next host found the
    // first resource, replaced it as unhealthy, and the retry has not landed yet.
    const deleted = (sentAgo: number) => record('r', { state: 'deleting', deleteReason: 'unhealthy', attempts: 1, createSentAt: iso(sentAgo) });
    const rolling = { ...DEFAULT_POLICY, maxSurge: 0, maxUnavailable: 1 };
    const inFlight = planGroup({ group: target({ size: 1, policy: rolling }), records: [deleted(10_000)], observed: [], now: NOW, lostGraceMs: 0 });
    expect(kinds(inFlight.actions)).toEqual(['wait']);
    const landed = planGroup({ group: target({ size: 1, policy: rolling }), records: [deleted(CREATE_IN_FLIGHT_MS + 1)], observed: [], now: NOW, lostGraceMs: 0 });
    expect(kinds(landed.actions)).toEqual(['create', 'forget']);
    // Once the late resource is listed, it is the record's: deleted, not kept beside a replacement.
    const late = planGroup({ group: target({ size: 1, policy: rolling }), records: [deleted(20_000)], observed: [resource('r')], now: NOW, lostGraceMs: 0 });
    expect(kinds(late.actions)).toEqual(['delete']);
  });

  it('resumes an unconfirmed create with the same record, and confirms one describe sees', () => {
    const creating = record('c', { state: 'creating', providerId: undefined, observedAt: undefined });
    expect(kinds(planGroup({ group: target({ size: 1 }), records: [creating], observed: [], now: NOW }).actions)).toEqual(['resume-create']);
    const seen = planGroup({ group: target({ size: 1 }), records: [creating], observed: [resource('c')], now: NOW });
    expect(kinds(seen.actions)).toEqual(['observe']);
  });

  it('keeps failed creates in their slot (no endless retry) until the spec changes', () => {
    const failed = record('f', { state: 'failed', providerId: undefined, observedAt: undefined, lastError: 'quota' });
    const plan = planGroup({ group: target({ size: 1 }), records: [failed], observed: [], now: NOW });
    expect(plan.actions).toEqual([]);
    expect(plan.status).toMatchObject({ failed: 1, converged: false });
    const changed = planGroup({ group: target({ size: 1, specHash: 'spec-newer' }), records: [failed], observed: [], now: NOW });
    expect(kinds(changed.actions)).toEqual(['create', 'forget']);
  });

  it('rolls outdated resources within maxSurge and maxUnavailable', () => {
    const ids = ['a', 'b', 'c'];
    const records = ids.map((i) => record(i, { specHash: 'spec-old' }));
    const observed = ids.map((i) => resource(i, { tags: tags(i, 'spec-old') }));
    // surge 1, unavailable 0: one new first, nothing deleted yet.
    expect(kinds(planGroup({ group: target(), records, observed, now: NOW }).actions)).toEqual(['create']);
    // surge 0, unavailable 1: one deleted; its replacement waits until the delete is done (issue 9:
    // creating it in the same pass held size + 1 while the delete ran).
    const policy = { ...DEFAULT_POLICY, maxSurge: 0, maxUnavailable: 1 };
    expect(kinds(planGroup({ group: target({ policy }), records, observed, now: NOW }).actions)).toEqual(['delete']);
    const deleting = records.map((r, i) => (i === 0 ? { ...r, state: 'deleting' as const, deleteReason: 'outdated' } : r));
    expect(kinds(planGroup({ group: target({ policy }), records: deleting, observed, now: NOW }).actions)).toEqual(['delete']);
    const deleted = planGroup({ group: target({ policy }), records: records.slice(1), observed: observed.slice(1), now: NOW });
    expect(kinds(deleted.actions)).toEqual(['create']);
    // surge 1: a `deleting` resource still holds its slot, so no create beside it.
    const surged = planGroup({ group: target(), records: [...deleting, record('n')], observed: [...observed, resource('n')], now: NOW });
    expect(kinds(surged.actions)).toEqual(['delete']);
  });

  it('resolves amounts and percentages', () => {
    expect(resolveAmount(2, 10)).toBe(2);
    expect(resolveAmount('25%', 10)).toBe(2);
    expect(resolveAmount('25%', 10, true)).toBe(3);
    expect(resolveAmount('100%', 7)).toBe(7);
  });
});

// ---- properties over random worlds ---------------------------------------------------

const statusArb = fc.constantFrom<Resource['status']>('pending', 'active', 'active', 'active', 'unhealthy', 'terminating');
const worldArb = fc.record({
  size: fc.integer({ min: 0, max: 8 }),
  maxUnhealthy: fc.constantFrom<number | string>('100%', '50%', 0, 1, 2),
  maxSurge: fc.constantFrom<number | string>(0, 1, 2, '25%'),
  maxUnavailable: fc.constantFrom<number | string>(0, 1, '25%'),
  entries: fc.array(
    fc.record({
      state: fc.constantFrom<ResourceRecord['state']>('creating', 'active', 'active', 'deleting', 'failed'),
      recorded: fc.boolean(),
      observed: fc.boolean(),
      status: statusArb,
      outdated: fc.boolean(),
      ageMs: fc.integer({ min: 0, max: 4_000_000 }),
      foreign: fc.constantFrom('none', 'none', 'none', 'cluster', 'group'),
    }),
    { maxLength: 14 },
  ),
});

type World = typeof worldArb extends fc.Arbitrary<infer W> ? W : never;

function inputFor(w: World): PlanInput {
  const records: ResourceRecord[] = [];
  const observed: Resource[] = [];
  w.entries.forEach((e, i) => {
    const id = `r${i}`;
    const spec = e.outdated ? 'spec-old' : 'spec-new';
    if (e.recorded) records.push(record(id, { state: e.state, specHash: spec, createdAt: iso(e.ageMs), updatedAt: iso(e.ageMs), status: e.status }));
    if (e.observed) {
      const t = e.foreign === 'cluster' ? tags(id, spec, 'other') : e.foreign === 'group' ? tags(id, spec, 'c1', 'g/other') : tags(id, spec);
      observed.push(resource(id, { status: e.status, tags: t, createdAt: iso(e.ageMs) }));
    }
  });
  return {
    group: target({ size: w.size, policy: { ...DEFAULT_POLICY, maxUnhealthy: w.maxUnhealthy, maxSurge: w.maxSurge, maxUnavailable: w.maxUnavailable } }),
    records,
    observed,
    now: NOW,
  };
}

/** A provider that does instantly and faithfully what it is asked. */
function simulate(input: PlanInput, actions: Action[], nextId: () => string): PlanInput {
  let records = [...input.records];
  let observed = [...input.observed];
  const later = new Date(NOW).toISOString();
  for (const a of actions) {
    if (a.kind === 'create') {
      const id = nextId();
      records.push(record(id, { createdAt: later, updatedAt: later, observedAt: undefined, specHash: input.group.specHash }));
      observed.push(resource(id, { createdAt: later, tags: tags(id, input.group.specHash) }));
    } else if (a.kind === 'resume-create') {
      observed.push(resource(a.record.id, { tags: tags(a.record.id, a.record.specHash) }));
      records = records.map((r) => (r.id === a.record.id ? { ...r, state: 'active', providerId: `p-${r.id}` } : r));
    } else if (a.kind === 'observe') {
      records = records.map((r) => (r.id === a.record.id ? { ...r, state: 'active', status: a.resource.status, providerId: a.resource.id, observedAt: later } : r));
    } else if (a.kind === 'delete') {
      records = records.filter((r) => r.id !== a.record.id);
      observed = observed.filter((o) => o.tags[TAG_RESOURCE] !== a.record.id);
    } else if (a.kind === 'forget') {
      records = records.filter((r) => r.id !== a.record.id);
    } else if (a.kind === 'delete-orphan') {
      observed = observed.filter((o) => o.id !== a.resource.id);
    }
  }
  // Every resource left is healthy from now on: the world heals, the plan must converge.
  observed = observed.map((o) => (o.status === 'terminating' ? o : { ...o, status: 'active' }));
  records = records.map((r) => (r.state === 'failed' ? { ...r, specHash: 'spec-stale' } : r));
  return { ...input, records, observed };
}

describe('planGroup: properties', () => {
  it('is pure: the same input gives the same plan, and the input is not changed', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const input = inputFor(world);
        const frozen = structuredClone(input);
        expect(planGroup(input)).toEqual(planGroup(structuredClone(input)));
        expect(input).toEqual(frozen);
      }),
    );
  });

  it('never deletes what lacks this cluster and group tag, nor an orphan younger than the minimum age', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const input = inputFor(world);
        const plan = planGroup(input);
        for (const action of plan.actions) {
          if (action.kind === 'delete-orphan') {
            expect(action.resource.tags[TAG_CLUSTER]).toBe('c1');
            expect(action.resource.tags[TAG_GROUP]).toBe('g/a');
            expect(NOW - Date.parse(action.resource.createdAt!)).toBeGreaterThanOrEqual(30_000);
          }
          if (action.kind === 'delete') {
            // A delete always names a resource describe saw with this cluster's and group's tags.
            const target = input.observed.find((o) => o.id === action.providerId);
            expect(target, `delete of ${action.providerId} (record ${action.record.id}) that describe did not see`).toBeDefined();
            expect(target!.tags[TAG_CLUSTER]).toBe('c1');
            expect(target!.tags[TAG_GROUP]).toBe('g/a');
            expect(target!.tags[TAG_RESOURCE]).toBe(action.record.id);
          }
        }
      }),
    );
  });

  it('never replaces unhealthy resources while more than maxUnhealthy are unhealthy', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const input = inputFor(world);
        const plan = planGroup(input);
        const allowed = resolveAmount(input.group.policy.maxUnhealthy, input.group.size);
        // Counted here, not taken from the plan's status: recorded, observed with our tags, unhealthy or pending too long.
        const startupMs = input.group.policy.startupTimeoutSeconds * 1000;
        const unhealthy = input.records.filter((r) => {
          // A failed record whose resource is observed is adopted (its create did land): it counts too.
          if (r.state === 'deleting') return false;
          const seen = input.observed.find(
            (o) => o.tags[TAG_RESOURCE] === r.id && o.tags[TAG_CLUSTER] === 'c1' && o.tags[TAG_GROUP] === 'g/a' && o.status !== 'terminating',
          );
          return seen !== undefined && (seen.status === 'unhealthy' || (seen.status === 'pending' && NOW - Date.parse(seen.createdAt!) > startupMs));
        }).length;
        const replaced = plan.actions.filter((a) => a.kind === 'delete' && a.reason === 'unhealthy').length;
        if (unhealthy > allowed) {
          expect(replaced).toBe(0);
          expect(plan.actions.filter((a) => a.kind === 'halt')).toEqual([expect.objectContaining({ unhealthy, allowed })]);
          expect(plan.status.halted).toBe(true);
        } else {
          expect(replaced).toBe(unhealthy);
          expect(plan.status.halted).toBe(false);
        }
      }),
    );
  });

  it('never plans more resources than size plus surge', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const input = inputFor(world);
        const plan = planGroup(input);
        const creates = plan.actions.filter((a) => a.kind === 'create').length;
        const removed = plan.actions.filter((a) => a.kind === 'delete' || a.kind === 'forget').length;
        const surge = resolveAmount(input.group.policy.maxSurge, input.group.size, true);
        if (creates > 0) expect(plan.status.actual + creates - removed).toBeLessThanOrEqual(input.group.size + Math.max(1, surge));
      }),
    );
  });

  it('converges within a few passes once the provider behaves', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        let input = inputFor(world);
        let counter = 0;
        const nextId = () => `new${(counter += 1)}`;
        for (let pass = 0; pass < 20; pass += 1) {
          const plan = planGroup(input);
          if (plan.status.converged) {
            expect(plan.status.healthy).toBe(input.group.size);
            // Counted in the world, not taken from the plan: exactly size resources of ours, all active.
            const ours = input.observed.filter((o) => o.tags[TAG_CLUSTER] === 'c1' && o.tags[TAG_GROUP] === 'g/a' && o.status !== 'terminating');
            expect(ours.map((o) => o.status)).toEqual(Array.from({ length: input.group.size }, () => 'active'));
            expect(plan.actions.filter((a) => a.kind !== 'observe')).toEqual([]);
            return;
          }
          input = simulate(input, plan.actions, nextId);
          // Time passes: young orphans grow old, lagging records time out.
          input = { ...input, now: input.now + 200_000 };
        }
        throw new Error(`did not converge: ${JSON.stringify(planGroup(input).status)}`);
      }),
      { numRuns: 300 },
    );
  });
});
