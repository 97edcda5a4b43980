/**
 * Which resource goes first, as policies of their own (compare Cluster API's
 * machineset_deletion_order.go). Both are stable sorts over the live records
 * of one group; neither changes its input.
 *
 * Scale-in order, when there are more slots than size (failed creates are
 * dropped before any of these):
 *   1. unhealthy: it is no use to anyone (only reached when remediation
 *      halted, else unhealthy ones are already being replaced);
 *   2. outdated: it would be replaced anyway;
 *   3. not ready: nothing depends on it yet;
 *   4. newest: the oldest has proven itself (and keeps the group stable).
 *
 * Replacement order, rolling outdated resources:
 *   1. not ready: deleting it costs no availability (and is not counted
 *      against maxUnavailable);
 *   2. oldest: resources are replaced in the order they were made.
 */
import type { Live } from './types.js';

/** Negative when `a` is to be removed before `b` on scale-in. */
export function scaleInOrder(a: Live, b: Live): number {
  return (
    Number(b.unhealthy !== undefined) - Number(a.unhealthy !== undefined) ||
    Number(b.outdated) - Number(a.outdated) ||
    Number(a.ready) - Number(b.ready) ||
    b.record.createdAt.localeCompare(a.record.createdAt)
  );
}

/** Negative when outdated `a` is to be replaced before outdated `b`. */
export function replacementOrder(a: Live, b: Live): number {
  return Number(a.ready) - Number(b.ready) || a.record.createdAt.localeCompare(b.record.createdAt);
}

export const byScaleInOrder = (live: readonly Live[]): Live[] => [...live].sort(scaleInOrder);
export const byReplacementOrder = (live: readonly Live[]): Live[] => [...live].sort(replacementOrder);
