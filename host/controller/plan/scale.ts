/**
 * Phase 4, scale: too many slots are removed in scale-in order (failed creates
 * first); too few are created; a full group with outdated resources is rolled,
 * deleting what maxUnavailable allows and creating what maxSurge allows.
 */
import type { ResourceRecord } from '../../../model/index.js';
import { resolveAmount } from './amounts.js';
import { byReplacementOrder, byScaleInOrder } from './order.js';
import type { Action, DeleteReason, GroupTarget, Live } from './types.js';

export interface Scaling {
  actions: Action[];
  outdated: number;
}

export function scale(pool: Live[], failed: ResourceRecord[], group: GroupTarget, halted: boolean): Scaling {
  const actions: Action[] = [];
  const outdated = pool.filter((l) => l.outdated);
  const surge = resolveAmount(group.policy.maxSurge, group.size, true);
  const unavailable = resolveAmount(group.policy.maxUnavailable, group.size);
  // Both zero would never make progress: allow one surge, as Kubernetes insists.
  const effectiveSurge = surge === 0 && unavailable === 0 ? 1 : surge;
  const maxTotal = group.size + (outdated.length > 0 && !halted ? effectiveSurge : 0);
  const slots = pool.length + failed.length;
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
    for (const l of byScaleInOrder(pool)) {
      if (remaining <= cap()) break;
      actions.push(removal(l, 'scale-in', cause));
      remaining -= 1;
      if (l.outdated) outdatedLeft -= 1;
    }
  } else if (slots < group.size) {
    creates = group.size - slots;
  } else if (outdated.length > 0 && !halted) {
    // Rolling replacement: delete what availability allows, create what surge allows.
    const ready = pool.filter((l) => l.ready).length;
    let budget = ready - (group.size - unavailable);
    let deleted = 0;
    for (const l of byReplacementOrder(outdated)) {
      if (l.ready) {
        if (budget <= 0) continue;
        budget -= 1;
      }
      actions.push(removal(l, 'outdated', 'rolling replacement: its spec is outdated'));
      deleted += 1;
    }
    const current = pool.length - outdated.length;
    creates = Math.max(0, Math.min(maxTotal - (slots - deleted), group.size - current));
  }
  for (let i = 0; i < creates; i += 1) {
    actions.push({ kind: 'create', cause: slots < group.size ? `${slots} of ${group.size} resources exist` : 'rolling replacement of an outdated resource' });
  }
  return { actions, outdated: outdated.length };
}

/**
 * Only a resource observed with this cluster's and group's tags is deleted; a
 * record whose resource is not seen (a create never confirmed, a lagging
 * describe) is dropped instead: should the resource turn up, it is an orphan.
 */
function removal(l: Live, reason: DeleteReason, cause: string): Action {
  if (l.resource === undefined) {
    return { kind: 'forget', record: l.record, reason: 'surplus', cause: `${cause} (its resource is not observed)` };
  }
  return { kind: 'delete', record: l.record, providerId: l.resource.id, reason, cause };
}
