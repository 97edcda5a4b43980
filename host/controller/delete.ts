/**
 * Deleting a cluster: mark it deleting (every group is then reconciled to
 * zero), wait until no resource is left, then remove the cluster. A delete
 * that is interrupted stays marked, and the daemon finishes it
 * (service-passes.ts).
 */
import type { ClusterRecord } from '../../model/index.js';
import { makeEvent } from '../events/index.js';
import type { ReconcileReport } from './reconcile.js';
import { sweepAfterGrace } from './sweep.js';
import { DEFAULT_WAIT_MS, reconcileCluster, type WaitContext } from './wait.js';
import { kadendeError, hasCode } from '../../errors/index.js';

export interface DeleteOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

export async function deleteCluster(context: WaitContext, start: ClusterRecord, options: DeleteOptions = {}): Promise<ReconcileReport> {
  let cluster = start;
  if (!cluster.deleting) {
    cluster = { ...cluster, deleting: true, updatedAt: new Date().toISOString() };
    await context.store.commit({
      putClusters: [cluster],
      events: [makeEvent('io.kadende.cluster.deleting', { clusterId: cluster.id, cause: 'kadende delete cluster: deleting every resource' })],
    });
  }
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_WAIT_MS);
  const report = await reconcileCluster(context, cluster, { wait: true, timeoutMs: options.timeoutMs, intervalMs: options.intervalMs }).catch((error: unknown) => {
    // Out of time with resources left: say which groups still hold what, as a delete that is not done yet.
    if (!hasCode(error, 'KADENDE_ERR_RECONCILE_TIMEOUT')) throw error;
    const last = error.details as ReconcileReport;
    const holding = last.groups.filter((g) => g.status?.reason !== 'converged').map((g) => `${g.path}: ${g.status?.message ?? 'not observed'}`);
    throw kadendeError('KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE', cluster.name, `not every resource is gone yet (${holding.join('; ')}); run the delete again`).with({ details: last });
  });
  const left = await context.store.listResources(cluster.id);
  if (left.length > 0) throw kadendeError('KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE', cluster.name, `${left.length} resource(s) could not be deleted yet; run the delete again`).with({ details: report });
  // A create it made may still turn up (listing lag): forget the cluster only once nothing can.
  await sweepAfterGrace(context, await context.lookup(cluster.id), { deadline, intervalMs: options.intervalMs ?? 1000 });
  await context.store.commit({
    deleteClusters: [cluster],
    events: [makeEvent('io.kadende.cluster.deleted', { clusterId: cluster.id, cause: `cluster ${cluster.name} and all its resources deleted` })],
  });
  return report;
}
