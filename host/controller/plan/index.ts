/**
 * The planner: a pure function from what is desired, what is recorded and what
 * the plugin observed, to the actions that move one group towards its desired
 * state. No I/O, no clock, no randomness: `now` is an input. Property-tested in
 * plan.test.ts.
 *
 * Rules (ARCHITECTURE.md, "Reconcile, per group"), one phase each:
 * - policy: a size or policy value that cannot be read halts the group
 *   (policy.ts), never defaulting to the least safe behaviour;
 * - match: observed but unrecorded is an orphan, deleted once older than
 *   orphanMinAge, and never unless it carries this cluster's and group's tags;
 * - classify: recorded but no longer observed is lost, the record is dropped
 *   (and the slot refilled); a record never yet observed gets a grace period first;
 * - remediate: unhealthy (or still pending past the startup timeout) is deleted
 *   and replaced, unless more than maxUnhealthy are unhealthy at once: then halt;
 * - scale: too few: create; too many: drop failed records, then remove in
 *   scale-in order (order.ts); an outdated spec: rolling replacement within
 *   maxSurge / maxUnavailable;
 * - status: why the group is or is not converged (status.ts).
 */
import { classify } from './classify.js';
import { foreignHalt, foreignInstallations, match, orphanActions } from './match.js';
import { unreadablePolicy } from './policy.js';
import { remediate } from './remediate.js';
import { scale } from './scale.js';
import { groupStatus } from './status.js';
import type { Action, Plan, PlanInput } from './types.js';

const isFiniteCount = (n: number) => Number.isSafeInteger(n) && n >= 0;

export { resolveAmount } from './amounts.js';
export { CREATE_IN_FLIGHT_MS } from './scale.js';
export { describeFailed } from './status.js';
export type { Action, DeleteReason, GroupStatus, GroupTarget, Plan, PlanInput, PlanReason, StatusReason, UnobservedStatus } from './types.js';

export const DEFAULT_LOST_GRACE_MS = 120_000;

export function planGroup(input: PlanInput): Plan {
  const { group, now } = input;
  const unreadable = unreadablePolicy(group);
  if (unreadable !== undefined) {
    const actions: Action[] = [{ kind: 'halt', unhealthy: 0, allowed: 0, cause: unreadable }];
    const status = groupStatus({ group, actions, live: [], pool: [], unhealthy: 0, failed: [], outdated: 0 });
    return { actions, status: { ...status, desired: isFiniteCount(group.size) ? group.size : 0, actual: input.records.length } };
  }
  const { matched, orphans, foreign } = match(group, input.records, input.observed, input.installation);
  if (foreign.length > 0) {
    // Never fight another installation: halt the whole group (no orphan delete, no create, no scale-in).
    const live = input.records.filter((r) => matched.has(r.id)).length;
    const actions = [foreignHalt(foreign, input.installation!)];
    const status = groupStatus({ group, actions, live: [], pool: [], unhealthy: 0, failed: [], outdated: 0 });
    return { actions, status: { ...status, actual: live, foreignInstallations: foreignInstallations(foreign) } };
  }
  const classified = classify(group, input.records, matched, now, input.lostGraceMs ?? DEFAULT_LOST_GRACE_MS);
  const remedy = remediate(classified.live, group);
  const occupying = {
    draining: classified.draining,
    deletingUnhealthy: remedy.halted ? 0 : remedy.unhealthy.filter((l) => l.resource !== undefined).length,
    orphans: orphans.length,
  };
  const scaling = scale(remedy.pool, classified.failed, group, remedy.halted, occupying, now);
  const actions = [...orphanActions(orphans, group, now), ...classified.actions, ...remedy.actions, ...scaling.actions];
  const status = groupStatus({
    group,
    actions,
    live: classified.live,
    pool: remedy.pool,
    unhealthy: remedy.unhealthy.length,
    failed: classified.failed,
    outdated: scaling.outdated,
  });
  return { actions, status };
}
