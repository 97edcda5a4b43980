/**
 * Phase 5, status: how far a group is from converged, and why, worked out once
 * so that the service, the scheduler, the CLI and the UI read the same answer.
 *
 * Reasons, the first that applies:
 *   halted          more unhealthy than maxUnhealthy, another installation's
 *                   resources, or a policy that cannot be read: nothing is
 *                   replaced until an operator looks (the scheduler backs off);
 *   progressing     this pass creates, deletes, drops records or confirms creates;
 *   waiting         nothing to do yet: a young orphan, a lagging describe, a
 *                   resource still starting, a rollout out of budget;
 *   creates-failed  creates failed for good and hold their slots: another pass
 *                   will not help (`--retry-failed` will);
 *   converged       size resources, all ready and current, nothing to do;
 *   describe-failed set by the reconciler: the group could not be observed.
 */
import type { ResourceRecord } from '../../../model/index.js';
import type { Action, GroupStatus, GroupTarget, Live, PlanReason, UnobservedStatus } from './types.js';

export function describeFailed(desired: number, message: string): UnobservedStatus {
  return { reason: 'describe-failed', message, desired, halted: false, converged: false };
}

export interface StatusInput {
  group: GroupTarget;
  actions: Action[];
  live: Live[];
  /** Live records after remediation took the unhealthy ones. */
  pool: Live[];
  unhealthy: number;
  failed: ResourceRecord[];
  outdated: number;
}

export function groupStatus(input: StatusInput): GroupStatus {
  const { reason, message } = explain(input);
  const { group, live, pool, unhealthy, failed, outdated } = input;
  return {
    reason,
    message,
    desired: group.size,
    actual: live.length,
    healthy: pool.filter((l) => l.ready).length,
    unhealthy,
    failed: failed.length,
    outdated,
    halted: reason === 'halted',
    converged: reason === 'converged',
  };
}

function explain({ group, actions, live, pool, failed, outdated }: StatusInput): { reason: PlanReason; message: string } {
  const healthy = pool.filter((l) => l.ready).length;
  const ready = `${healthy} of ${group.size} ready`;
  const halt = actions.find((a) => a.kind === 'halt');
  if (halt) return { reason: 'halted', message: halt.unhealthy > 0 ? `remediation halted (${halt.cause})` : `halted: ${halt.cause}` };

  // A status refresh is bookkeeping; a first observation still has to be recorded before the group counts as converged.
  const changing = actions.filter((a) => a.kind !== 'wait' && (a.kind !== 'observe' || a.record.state === 'creating' || a.record.observedAt === undefined));
  if (changing.length > 0) return { reason: 'progressing', message: `${ready}; ${summary(changing)}` };

  const waits = actions.filter((a) => a.kind === 'wait');
  if (waits.length > 0) return { reason: 'waiting', message: `${ready}; ${waits[0]!.cause}${waits.length > 1 ? ` (and ${waits.length - 1} more)` : ''}` };

  if (failed.length > 0) {
    const last = [...failed].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0]!;
    return { reason: 'creates-failed', message: `${failed.length} create(s) failed for good${last.lastError ? `: ${last.lastError}` : ''}` };
  }
  if (healthy === group.size && live.length === group.size && outdated === 0) return { reason: 'converged', message: ready };

  const starting = pool.length - healthy;
  const why = [starting > 0 ? `waiting for ${starting} to become ready` : undefined, outdated > 0 ? `${outdated} outdated` : undefined].filter(Boolean);
  return { reason: 'waiting', message: `${ready}${why.length > 0 ? `; ${why.join(', ')}` : ''}` };
}

/** "creating 2, deleting 1": what this pass does. */
function summary(actions: Action[]): string {
  const count = (...kinds: Action['kind'][]) => actions.filter((a) => kinds.includes(a.kind)).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts: Array<[number, (n: number) => string]> = [
    [count('create', 'resume-create'), (n) => `creating ${n}`],
    [count('delete'), (n) => `deleting ${n}`],
    [count('delete-orphan'), (n) => `deleting ${plural(n, 'orphan')}`],
    [count('forget'), (n) => `dropping ${plural(n, 'record')}`],
    [count('observe'), (n) => `confirming ${n}`],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, say]) => say(n))
    .join(', ');
}
