/**
 * The planner: a pure function from what is desired, what is recorded and what
 * the plugin observed, to the actions that move one group towards its desired
 * state. No I/O, no clock, no randomness: `now` is an input. Property-tested in
 * plan.test.ts.
 *
 * Rules (ARCHITECTURE.md, "Reconcile, per group"):
 * - observed but unrecorded: an orphan, deleted once older than orphanMinAge,
 *   and never unless it carries this cluster's and group's tags;
 * - recorded but no longer observed: lost, the record is dropped (and the slot
 *   refilled); a record never yet observed gets a grace period first;
 * - unhealthy (or still pending past the startup timeout): deleted and replaced,
 *   unless more than maxUnhealthy are unhealthy at once: then halt and say why;
 * - too few: create; too many: drop failed records, then delete unhealthy,
 *   then outdated, then not yet ready, then newest;
 * - an outdated spec: rolling replacement within maxSurge / maxUnavailable.
 */
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, type Resource } from '@kadende/plugin-sdk';
import type { GroupPolicy } from '../config/types.js';
import type { ResourceRecord } from '../store/types.js';

export interface GroupTarget {
  clusterId: string;
  path: string;
  size: number;
  specHash: string;
  policy: GroupPolicy;
}

export interface PlanInput {
  group: GroupTarget;
  records: ResourceRecord[];
  observed: Resource[];
  /** Epoch milliseconds. */
  now: number;
  /** How long a record whose resource was never observed may stay unobserved (describe may lag behind create). */
  lostGraceMs?: number;
}

export type DeleteReason = 'unhealthy' | 'scale-in' | 'outdated' | 'retry';

export type Action =
  /** Make a new resource (a new record id, written before the plugin is called). */
  | { kind: 'create'; cause: string }
  /** A record left in `creating` (a crash, a failed attempt): create again with the same token. */
  | { kind: 'resume-create'; record: ResourceRecord; cause: string }
  /** Record what describe saw: a create confirmed, or a status change. */
  | { kind: 'observe'; record: ResourceRecord; resource: Resource; cause: string }
  | { kind: 'delete'; record: ResourceRecord; providerId?: string; reason: DeleteReason; cause: string }
  /** Drop a record: its resource is gone (lost, deleted) or it never came to be. */
  | { kind: 'forget'; record: ResourceRecord; reason: 'lost' | 'deleted' | 'surplus' | 'superseded'; cause: string }
  | { kind: 'delete-orphan'; resource: Resource; cause: string }
  | { kind: 'halt'; unhealthy: number; allowed: number; cause: string }
  /** Nothing to do yet, but not converged either (a young orphan, a lagging describe). */
  | { kind: 'wait'; cause: string };

export interface GroupStatus {
  desired: number;
  /** Resources that exist or are being created. */
  actual: number;
  /** Observed `active` and not unhealthy. */
  healthy: number;
  unhealthy: number;
  failed: number;
  outdated: number;
  halted: boolean;
  converged: boolean;
}

export interface Plan {
  actions: Action[];
  status: GroupStatus;
}

export const DEFAULT_LOST_GRACE_MS = 120_000;
/**
 * How long a sent create may still land: a crashed controller's request reaches the provider
 * although nobody waits for its answer. A resource whose create was sent this recently is not
 * removed (scale-in, rolling), or a late create would make it again (the simulator's find, seed 5584).
 */
export const CREATE_IN_FLIGHT_MS = 60_000;
const GONE = new Set(['terminating', 'terminated']);

/** `3` or `"25%"` of size; percentages round down (`roundUp` for surge, as Kubernetes does). */
export function resolveAmount(value: number | string, size: number, roundUp = false): number {
  if (typeof value === 'number') return value;
  const percent = Number(value.replace(/%$/, ''));
  const exact = (size * percent) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

const ageMs = (iso: string | undefined, now: number) => (iso === undefined ? Infinity : now - Date.parse(iso));
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

interface Live {
  record: ResourceRecord;
  resource?: Resource;
  ready: boolean;
  unhealthy?: string;
  outdated: boolean;
}

export function planGroup(input: PlanInput): Plan {
  const { group, now } = input;
  const lostGraceMs = input.lostGraceMs ?? DEFAULT_LOST_GRACE_MS;
  const actions: Action[] = [];

  // Only what carries this cluster's and this group's tags is ours to touch.
  const ours = input.observed.filter(
    (r) => r.tags[TAG_CLUSTER] === group.clusterId && r.tags[TAG_GROUP] === group.path && !GONE.has(r.status),
  );
  const recordsById = new Map(input.records.map((r) => [r.id, r]));
  const matched = new Map<string, Resource>();
  const orphans: Resource[] = [];
  for (const resource of ours) {
    const record = recordsById.get(resource.tags[TAG_RESOURCE] ?? '');
    const taken = record && matched.get(record.id);
    // A second resource for one record (a plugin that was not idempotent) is an orphan too.
    if (record && !taken && (record.providerId === undefined || record.providerId === resource.id)) {
      matched.set(record.id, resource);
    } else {
      orphans.push(resource);
    }
  }

  for (const orphan of orphans) {
    const age = ageMs(orphan.createdAt, now);
    const minAge = group.policy.orphanMinAgeSeconds * 1000;
    if (age >= minAge) {
      actions.push({
        kind: 'delete-orphan',
        resource: orphan,
        cause: `${orphan.id} carries this cluster's tags but Kadende has no record of it (orphan${orphan.createdAt ? `, ${seconds(age)} old` : ''})`,
      });
    } else {
      actions.push({
        kind: 'wait',
        cause: `orphan ${orphan.id} is ${seconds(age)} old; it is deleted once ${group.policy.orphanMinAgeSeconds} s old`,
      });
    }
  }

  const live: Live[] = [];
  const failed: ResourceRecord[] = [];
  /** Records whose resource is being deleted but still exists. */
  const draining: ResourceRecord[] = [];
  for (const record of input.records) {
    const resource = matched.get(record.id);
    switch (record.state) {
      case 'deleting':
        if (resource) {
          actions.push({ kind: 'delete', record, providerId: resource.id, reason: 'retry', cause: `retrying the delete of ${resource.id} (${record.deleteReason ?? 'requested'})` });
          // Issue 9: it still exists until the delete is done, so it still occupies a slot (see `draining`).
          draining.push(record);
        } else {
          actions.push({ kind: 'forget', record, reason: 'deleted', cause: `${record.providerId ?? record.id} is gone` });
        }
        continue;
      case 'failed':
        if (resource) {
          // A create that landed although its answer was lost and the retries failed (a simulator find): adopt it.
          actions.push({ kind: 'observe', record, resource, cause: `${resource.id} exists: the create that was given up on did succeed` });
          live.push(assess(record, resource, group, now));
        } else if (record.specHash !== group.specHash && ageMs(record.updatedAt, now) >= lostGraceMs) {
          // Only once describe had the grace period to list a create that landed unanswered (a simulator find).
          actions.push({ kind: 'forget', record, reason: 'superseded', cause: 'the group spec changed since this create failed: trying again with the new spec' });
        } else {
          failed.push(record);
        }
        continue;
      case 'creating':
        if (resource) {
          actions.push({ kind: 'observe', record, resource, cause: `${resource.id} exists: the create is confirmed` });
          live.push(assess(record, resource, group, now));
        } else {
          actions.push({ kind: 'resume-create', record, cause: 'a create was started but never confirmed: asking again with the same token' });
          live.push({ record, ready: false, outdated: record.specHash !== group.specHash });
        }
        continue;
      case 'active':
        if (resource) {
          if (resource.status !== record.status || record.observedAt === undefined || resource.address !== record.address) {
            actions.push({ kind: 'observe', record, resource, cause: `${resource.id} is ${resource.status}` });
          }
          live.push(assess(record, resource, group, now));
        } else if (record.observedAt !== undefined || ageMs(record.updatedAt, now) >= lostGraceMs) {
          actions.push({ kind: 'forget', record, reason: 'lost', cause: `${record.providerId ?? record.id} no longer exists at the provider: it will be replaced` });
        } else {
          live.push({ record, ready: false, outdated: record.specHash !== group.specHash });
          actions.push({ kind: 'wait', cause: `${record.providerId ?? record.id} was created but the provider does not list it yet` });
        }
        continue;
    }
  }

  // Unhealthy: replace, unless too many are unhealthy at once.
  const unhealthy = live.filter((l) => l.unhealthy !== undefined);
  const allowed = resolveAmount(group.policy.maxUnhealthy, group.size);
  const halted = unhealthy.length > 0 && unhealthy.length > allowed;
  let pool = live;
  if (halted) {
    actions.push({
      kind: 'halt',
      unhealthy: unhealthy.length,
      allowed,
      cause: `${unhealthy.length} resources are unhealthy, more than maxUnhealthy (${group.policy.maxUnhealthy} = ${allowed}): replacement stopped until an operator looks`,
    });
  } else {
    for (const l of unhealthy) {
      actions.push({ kind: 'delete', record: l.record, providerId: l.resource?.id, reason: 'unhealthy', cause: l.unhealthy! });
    }
    pool = live.filter((l) => l.unhealthy === undefined);
  }

  const outdated = pool.filter((l) => l.outdated);
  const surge = resolveAmount(group.policy.maxSurge, group.size, true);
  const unavailable = resolveAmount(group.policy.maxUnavailable, group.size);
  // Both zero would never make progress: allow one surge, as Kubernetes insists.
  const effectiveSurge = surge === 0 && unavailable === 0 ? 1 : surge;
  // Issue 9 (the simulator's first find): a resource being deleted, one of an unhealthy delete in
  // this pass or a `deleting` record's, still exists until its delete is done, so it occupies a slot
  // and a create never counts on the room it will free: the act phase runs deletes and creates at
  // once. Replacing an unhealthy or outdated resource may surge; a plain resize may not.
  const deletingUnhealthy = halted ? 0 : unhealthy.filter((l) => l.resource !== undefined).length;
  // Orphans with our tags exist too (a non-idempotent create's second resource, a dropped record's): they occupy a slot until deleted.
  const occupying = draining.length + deletingUnhealthy + orphans.length;
  const replacing = outdated.length > 0 || deletingUnhealthy > 0 || draining.some((r) => r.deleteReason === 'outdated' || r.deleteReason === 'unhealthy');
  const maxTotal = group.size + (replacing && !halted ? effectiveSurge : 0);
  const slots = pool.length + failed.length;
  const room = Math.max(0, maxTotal - slots - occupying);
  let creates = 0;

  if (slots > maxTotal) {
    // Remove one at a time: once no outdated resource is left, the surge allowance goes too.
    let remaining = slots;
    let outdatedLeft = outdated.length;
    const cap = () => group.size + (outdatedLeft > 0 && !halted ? effectiveSurge : 0);
    const cause = `scale-in: ${slots} > ${group.size}`;
    for (const record of failed) {
      if (remaining <= cap()) break;
      actions.push({ kind: 'forget', record, reason: 'surplus', cause: 'scale-in: dropping a failed create' });
      remaining -= 1;
    }
    const byScaleInOrder = [...pool].sort(
      (a, b) =>
        Number(b.unhealthy !== undefined) - Number(a.unhealthy !== undefined) ||
        Number(b.outdated) - Number(a.outdated) ||
        Number(a.ready) - Number(b.ready) ||
        b.record.createdAt.localeCompare(a.record.createdAt),
    );
    let readyLeft = pool.filter((l) => l.ready).length;
    for (const l of byScaleInOrder) {
      if (remaining <= cap()) break;
      // maxUnavailable holds in a scale-in too (the simulator's find, seed 5595: maxSurge lowered mid-update
      // deleted a ready old resource while its replacements were still pending): take a not-ready one instead.
      if (l.ready && readyLeft - 1 < group.size - unavailable) continue;
      const action = removal(l, 'scale-in', cause, now);
      if (action === undefined) continue;
      actions.push(action);
      remaining -= 1;
      if (l.ready) readyLeft -= 1;
      if (l.outdated) outdatedLeft -= 1;
    }
  } else if (slots < group.size) {
    creates = Math.min(group.size - slots, room);
  } else if (outdated.length > 0 && !halted) {
    // Rolling replacement: delete what availability allows, create what surge allows.
    const ready = pool.filter((l) => l.ready).length;
    let budget = ready - (group.size - unavailable);
    const order = [...outdated].sort((a, b) => Number(a.ready) - Number(b.ready) || a.record.createdAt.localeCompare(b.record.createdAt));
    for (const l of order) {
      const action = removal(l, 'outdated', 'rolling replacement: its spec is outdated', now);
      if (action === undefined) continue;
      if (l.ready) {
        if (budget <= 0) continue;
        budget -= 1;
      }
      actions.push(action);
    }
    const current = pool.length - outdated.length;
    // Issue 9: the deletes above free their slots in a later pass, once done, not in this one.
    creates = Math.min(room, Math.max(0, group.size - current));
  }
  for (let i = 0; i < creates; i += 1) {
    actions.push({ kind: 'create', cause: slots < group.size ? `${slots} of ${group.size} resources exist` : 'rolling replacement of an outdated resource' });
  }

  // A status refresh is bookkeeping; a first observation still has to be recorded before the group counts as converged.
  const changing = actions.some((a) => a.kind !== 'observe' || a.record.state === 'creating' || a.record.observedAt === undefined);
  const healthy = pool.filter((l) => l.ready).length;
  return {
    actions,
    status: {
      desired: group.size,
      actual: live.length,
      healthy,
      unhealthy: unhealthy.length,
      failed: failed.length,
      outdated: outdated.length,
      halted,
      converged: !changing && healthy === group.size && live.length === group.size && failed.length === 0 && outdated.length === 0,
    },
  };
}

function assess(record: ResourceRecord, resource: Resource, group: GroupTarget, now: number): Live {
  const outdated = record.specHash !== group.specHash;
  if (resource.status === 'unhealthy') {
    return { record, resource, ready: false, outdated, unhealthy: `${resource.id} is unhealthy: replacing it` };
  }
  if (resource.status === 'pending') {
    const age = ageMs(resource.createdAt ?? record.createdAt, now);
    if (age > group.policy.startupTimeoutSeconds * 1000) {
      return {
        record,
        resource,
        ready: false,
        outdated,
        unhealthy: `${resource.id} is still pending after ${seconds(age)} (startupTimeoutSeconds ${group.policy.startupTimeoutSeconds}): replacing it`,
      };
    }
    return { record, resource, ready: false, outdated };
  }
  return { record, resource, ready: true, outdated };
}

/**
 * Only a resource observed with this cluster's and group's tags is deleted. A
 * record whose resource is not seen yet (a create in flight or unconfirmed, a
 * lagging describe) is left alone (undefined): dropping it while its create may
 * still land made an orphan beside its replacement (the simulator's second
 * find), and a pass that also resumed its create put it back. It keeps its
 * slot until describe lists it, or it is lost or failed.
 */
function removal(l: Live, reason: DeleteReason, cause: string, now: number): Action | undefined {
  if (l.resource === undefined || ageMs(l.record.createSentAt, now) < CREATE_IN_FLIGHT_MS) return undefined;
  return { kind: 'delete', record: l.record, providerId: l.resource.id, reason, cause };
}
