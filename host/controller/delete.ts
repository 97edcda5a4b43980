/**
 * Deleting a cluster: mark it deleting (every group is then reconciled to
 * zero), wait until no resource is left, then remove the cluster. A delete
 * that is interrupted stays marked, and the daemon or the next reconcile
 * finishes it (service-passes.ts, service.ts). Two ways out for an operator:
 * `wait: false` marks it and returns at once; `orphanResources` forgets the
 * records and the cluster and leaves the resources where they are (as
 * kubectl's --cascade=orphan, terraform state rm), saying which.
 */
import type { ClusterRecord } from '../../model/index.js';
import { makeEvent } from '../events/index.js';
import type { ReconcileReport } from './reconcile.js';
import { sweepAfterGrace } from './sweep.js';
import { DEFAULT_WAIT_MS, reconcileCluster, type WaitContext, type WaitOptions } from './wait.js';
import { kadendeError, hasCode } from '../../errors/index.js';

export interface DeleteOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** false: mark the cluster deleting and return; the daemon or the next `reconcile` finishes the delete. Default true. */
  wait?: boolean;
  /** Forget the cluster and its records at once, leaving its resources to exist untracked. */
  orphanResources?: boolean;
  /** Progress of each pass (the CLI's progress lines). */
  onProgress?: WaitOptions['onProgress'];
  /** Checked with the cluster as stored just before the delete's first write, under its write lock: throw to refuse (the API's If-Match). */
  precondition?: (current: ClusterRecord) => void;
}

/** A resource left in place by `orphanResources`: Kadende no longer knows it. */
export interface OrphanedResource {
  groupPath: string;
  recordId: string;
  providerId?: string;
}

export interface DeleteResult {
  clusterId: string;
  clusterName: string;
  /** The cluster is gone from the store; false: marked deleting, to be finished by the daemon or the next reconcile. */
  deleted: boolean;
  /** The last pass, when the delete waited for its resources to go. */
  report?: ReconcileReport;
  /** With orphanResources: what was left in place. */
  orphaned?: OrphanedResource[];
}

export async function deleteCluster(context: WaitContext, start: ClusterRecord, options: DeleteOptions = {}): Promise<DeleteResult> {
  const base = { clusterId: start.id, clusterName: start.name };
  // The precondition and the first write, together: no apply of this process comes between.
  const begin = async () => {
    const current = await context.lookup(start.id);
    options.precondition?.(current);
    return options.orphanResources ? { orphaned: await forget(context, current) } : { cluster: await markDeleting(context, current) };
  };
  const begun = context.writes ? await context.writes.run(start.id, begin) : await begin();
  if (begun.orphaned) return { ...base, deleted: true, orphaned: begun.orphaned };
  const cluster = begun.cluster!;
  if (options.wait === false) return { ...base, deleted: false };
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_WAIT_MS);
  const report = await reconcileCluster(context, cluster, { wait: true, timeoutMs: options.timeoutMs, intervalMs: options.intervalMs, onProgress: options.onProgress }).catch(
    (error: unknown) => {
      // Out of time with resources left: say which groups still hold what, as a delete that is not done yet.
      if (!hasCode(error, 'KADENDE_ERR_RECONCILE_TIMEOUT') && !hasCode(error, 'KADENDE_ERR_RECONCILE_STUCK')) throw error;
      const last = error.details as ReconcileReport | undefined;
      const holding = (last?.groups ?? []).filter((g) => g.status?.reason !== 'converged').map((g) => `${g.path}: ${g.status?.message ?? 'not observed'}`);
      const why = hasCode(error, 'KADENDE_ERR_RECONCILE_STUCK') ? error.message : `not every resource is gone yet (${holding.join('; ') || 'a pass did not finish in time'})`;
      const timedOut = hasCode(error, 'KADENDE_ERR_RECONCILE_TIMEOUT');
      throw kadendeError('KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE', cluster.name, `${why}; it stays deleting: fix its configuration and apply it (the delete goes on with it), run the delete again`)
        .hint(', or forget it with --orphan-resources', ', or forget it with orphanResources=true')
        .with({ details: last, cause: error, ...(timedOut ? { statusCode: error.statusCode } : {}) });
    },
  );
  await finishDelete(context, cluster, { deadline, intervalMs: options.intervalMs ?? 1000 });
  return { ...base, deleted: true, report };
}

async function markDeleting(context: WaitContext, cluster: ClusterRecord): Promise<ClusterRecord> {
  if (cluster.deleting) return cluster;
  const marked = { ...cluster, deleting: true, updatedAt: new Date().toISOString() };
  await context.store.commit({
    putClusters: [marked],
    events: [makeEvent('io.kadende.cluster.deleting', { clusterId: cluster.id, cause: 'kadende delete cluster: deleting every resource' })],
  });
  return marked;
}

/**
 * The end of a delete whose passes converged: no record may be left, and a create it made may
 * still turn up (listing lag), so the cluster is forgotten only once nothing can (sweep.ts).
 */
export async function finishDelete(context: WaitContext, cluster: ClusterRecord, options: { deadline: number; intervalMs: number }): Promise<void> {
  const left = await context.store.listResources(cluster.id);
  if (left.length > 0) throw kadendeError('KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE', cluster.name, `${left.length} resource(s) could not be deleted yet; run the delete again`);
  await sweepAfterGrace(context, await context.lookup(cluster.id), options);
  await context.store.commit({
    deleteClusters: [cluster],
    events: [makeEvent('io.kadende.cluster.deleted', { clusterId: cluster.id, cause: `cluster ${cluster.name} and all its resources deleted` })],
  });
}

/** --orphan-resources: the records and the cluster go in one batch; the resources stay, named in the event. */
async function forget(context: WaitContext, cluster: ClusterRecord): Promise<OrphanedResource[]> {
  const records = await context.store.listResources(cluster.id);
  const orphaned = records.map((r) => ({ groupPath: r.groupPath, recordId: r.id, ...(r.providerId !== undefined ? { providerId: r.providerId } : {}) }));
  const named = orphaned.map((o) => `${o.groupPath}: ${o.providerId ?? `${o.recordId} (never observed)`}`);
  await context.store.commit({
    deleteResources: records,
    deleteClusters: [cluster],
    events: [
      makeEvent('io.kadende.cluster.deleted', {
        clusterId: cluster.id,
        cause: `cluster ${cluster.name} forgotten with --orphan-resources; its resources were left in place: ${named.length > 0 ? named.join(', ') : 'none recorded'}`,
        orphaned,
      }),
    ],
  });
  return orphaned;
}
