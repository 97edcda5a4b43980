/**
 * Phase 3, remediate: unhealthy resources are deleted (and so replaced), unless
 * more than maxUnhealthy are unhealthy at once. A storm (a bad image, a zone
 * down) is not answered with more churn: the group halts until it is safe.
 */
import { resolveAmount } from './amounts.js';
import type { Action, GroupTarget, Live } from './types.js';

export interface Remediation {
  actions: Action[];
  unhealthy: Live[];
  halted: boolean;
  /** What is left to scale: every live record when halted, else the healthy ones. */
  pool: Live[];
}

export function remediate(live: Live[], group: GroupTarget): Remediation {
  const unhealthy = live.filter((l) => l.unhealthy !== undefined);
  const allowed = resolveAmount(group.policy.maxUnhealthy, group.size);
  const halted = unhealthy.length > 0 && unhealthy.length > allowed;
  if (halted) {
    const cause = `${unhealthy.length} resources are unhealthy, more than maxUnhealthy (${group.policy.maxUnhealthy} = ${allowed}): replacement stopped until an operator looks`;
    return { actions: [{ kind: 'halt', unhealthy: unhealthy.length, allowed, cause }], unhealthy, halted, pool: live };
  }
  const actions = unhealthy.map((l): Action => ({ kind: 'delete', record: l.record, providerId: l.resource?.id, reason: 'unhealthy', cause: l.unhealthy! }));
  return { actions, unhealthy, halted, pool: live.filter((l) => l.unhealthy === undefined) };
}
