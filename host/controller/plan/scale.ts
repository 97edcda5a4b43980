/**
 * Phase 4, scale: too many slots are removed in scale-in order (failed creates
 * first); too few are created; a full group with outdated resources is rolled,
 * deleting what maxUnavailable allows and creating what maxSurge allows.
 */
import type { ResourceRecord } from '../../../model/index.js';
import { ageMs, resolveAmount } from './amounts.js';
import { byReplacementOrder, byScaleInOrder } from './order.js';
import type { Action, DeleteReason, GroupTarget, Live } from './types.js';

/**
 * How long a sent create may still land: a crashed controller's request reaches the provider
 * although nobody waits for its answer. A resource whose create was sent this recently is not
 * removed (scale-in, rolling), or a late create would make it again (the simulator's find, seed 5584).
 */
export const CREATE_IN_FLIGHT_MS = 60_000;

export interface Scaling {
  actions: Action[];
  outdated: number;
}

/** What exists besides the pool and still occupies room at the provider. */
export interface Occupying {
  /** `deleting` records whose resource still exists. */
  draining: ResourceRecord[];
  /** Unhealthy resources this pass deletes (none when remediation halted). */
  deletingUnhealthy: number;
  /** Tagged resources without a record of ours. */
  orphans: number;
}

export function scale(pool: Live[], failed: ResourceRecord[], group: GroupTarget, halted: boolean, occupying: Occupying, now: number): Scaling {
  const actions: Action[] = [];
  const outdated = pool.filter((l) => l.outdated);
  const surge = resolveAmount(group.policy.maxSurge, group.size, true);
  const unavailable = resolveAmount(group.policy.maxUnavailable, group.size);
  // Both zero would never make progress: allow one surge, as Kubernetes insists.
  const effectiveSurge = surge === 0 && unavailable === 0 ? 1 : surge;
  // Issue 9 (the simulator's first find): a resource being deleted (a `deleting` record's, an unhealthy
  // one deleted in this pass) still exists until its delete is done, and so does an orphan: each occupies
  // a slot, and a create never counts on the room a delete will free, since the act phase runs deletes
  // and creates at once. Replacing an unhealthy or outdated resource may surge; a plain resize may not.
  const { draining } = occupying;
  const replacing =
    outdated.length > 0 || occupying.deletingUnhealthy > 0 || draining.some((r) => r.deleteReason === 'outdated' || r.deleteReason === 'unhealthy');
  const maxTotal = group.size + (replacing && !halted ? effectiveSurge : 0);
  const slots = pool.length + failed.length;
  const room = Math.max(0, maxTotal - slots - draining.length - occupying.deletingUnhealthy - occupying.orphans);
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
    let readyLeft = pool.filter((l) => l.ready).length;
    for (const l of byScaleInOrder(pool)) {
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
    for (const l of byReplacementOrder(outdated)) {
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
  return { actions, outdated: outdated.length };
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
