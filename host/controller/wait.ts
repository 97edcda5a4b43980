/**
 * Reconciling on request: one pass, or (wait) passes until the cluster has
 * converged, failing at once when a group cannot converge without an
 * operator, and at the deadline otherwise. Retired groups that reached zero
 * are dropped from the cluster between passes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { ClusterRecord } from '../../model/index.js';
import { makeEvent } from '../events/index.js';
import type { Store } from '../store/index.js';
import type { PluginSource, Reconciler, ReconcileReport } from './reconcile.js';
import { kadendeError } from '../../errors/index.js';

/** How long a reconcile with wait, and a cluster delete, keep trying by default. */
export const DEFAULT_WAIT_MS = 300_000;

export interface WaitOptions {
  wait?: boolean;
  /** With wait: give up after this long. */
  timeoutMs?: number;
  /** With wait: pause between passes. */
  intervalMs?: number;
  /** Drop records of failed creates first, so they are tried again. */
  retryFailed?: boolean;
}

/** Groups that no further pass will fix: nothing to do but not converged, because creates failed for good or remediation halted, or a plugin that does not load. */
export function stuckGroups(report: ReconcileReport): string[] {
  return report.groups.flatMap((g) => {
    // A plugin that cannot load will not load on the next pass either.
    if (g.error?.code === 'KADENDE_ERR_PLUGIN_LOAD') return [`${g.path}: ${g.error.message}`];
    if (!g.status || g.actions.some((a) => a.kind !== 'halt')) return [];
    if (g.status.reason === 'halted') return [`${g.path}: ${g.status.message}`];
    if (g.status.reason === 'creates-failed') return [`${g.path}: ${g.status.message} (see \`kadende events\`; retry with --retry-failed)`];
    return [];
  });
}

export interface WaitContext {
  store: Store;
  reconciler: Reconciler;
  /** The plugins, for the final sweep of a deleted cluster. */
  plugins: PluginSource;
  now: () => Date;
  /** The cluster as stored now (it may change between passes). */
  lookup: (id: string) => Promise<ClusterRecord>;
  /** Every finished pass, for the status a daemon serves. */
  onPass?: (report: ReconcileReport) => void;
}

export async function reconcileCluster(context: WaitContext, start: ClusterRecord, options: WaitOptions = {}): Promise<ReconcileReport> {
  let cluster = start;
  if (options.retryFailed) await dropFailed(context.store, cluster);
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const report = await context.reconciler.reconcile(cluster);
    context.onPass?.(report);
    cluster = await settleRetired(context, cluster, report);
    if (!options.wait || report.converged) return report;
    const stuck = stuckGroups(report);
    if (stuck.length > 0) throw kadendeError('KADENDE_ERR_RECONCILE_STUCK', cluster.name, stuck.join('; ')).with({ details: report });
    if (Date.now() >= deadline) throw kadendeError('KADENDE_ERR_RECONCILE_TIMEOUT', cluster.name, Math.round(timeoutMs / 1000)).with({ details: report });
    await sleep(options.intervalMs ?? 1000);
    cluster = await context.lookup(cluster.id);
  }
}

/** Retired groups that reached zero, and earlier placements left empty, are dropped from the cluster. */
async function settleRetired(context: WaitContext, cluster: ClusterRecord, report: ReconcileReport): Promise<ClusterRecord> {
  const empty = report.groups.filter((g) => g.retired && g.status?.actual === 0 && g.actions.length === 0).map((g) => g.path);
  const settled = empty.filter((path) => path in cluster.retired);
  const emptied = report.groups.filter((g) => (g.emptyPlacements?.length ?? 0) > 0);
  if (settled.length === 0 && emptied.length === 0) return cluster;
  const fresh = await context.lookup(cluster.id);
  const retired = { ...fresh.retired };
  for (const path of settled) delete retired[path];
  const retiredPlacements = { ...fresh.retiredPlacements };
  for (const g of emptied) {
    const left = (retiredPlacements[g.path] ?? []).filter((p) => !g.emptyPlacements!.some((e) => isDeepStrictEqual(e, p)));
    if (left.length > 0) retiredPlacements[g.path] = left;
    else delete retiredPlacements[g.path];
  }
  const updated = { ...fresh, retired, retiredPlacements };
  await context.store.commit({ putClusters: [updated] });
  return updated;
}

async function dropFailed(store: Store, cluster: ClusterRecord): Promise<void> {
  const failed = (await store.listResources(cluster.id)).filter((r) => r.state === 'failed');
  if (failed.length === 0) return;
  await store.commit({
    deleteResources: failed,
    events: failed.map((r) =>
      makeEvent('io.kadende.resource.deleted', { clusterId: r.clusterId, groupPath: r.groupPath, resourceId: r.id, cause: 'dropped a failed create so that it is tried again (--retry-failed)' }),
    ),
  });
}
