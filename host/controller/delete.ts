/**
 * Deleting a cluster: mark it deleting (every group is then reconciled to
 * zero), wait until no resource is left, then remove the cluster. A delete
 * that is interrupted stays marked, and the daemon finishes it
 * (service-passes.ts).
 */
import type { ClusterRecord } from '../../model/index.js';
import { makeEvent } from '../events/index.js';
import { kadendeError } from '../../errors/index.js';
import type { ReconcileReport } from './reconcile.js';
import { reconcileCluster, type WaitContext } from './wait.js';

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
  const report = await reconcileCluster(context, cluster, { wait: true, timeoutMs: options.timeoutMs, intervalMs: options.intervalMs });
  const left = await context.store.listResources(cluster.id);
  if (left.length > 0) throw kadendeError('KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE', cluster.name, left.length).with({ details: report });
  await context.store.commit({
    deleteClusters: [cluster],
    events: [makeEvent('io.kadende.cluster.deleted', { clusterId: cluster.id, cause: `cluster ${cluster.name} and all its resources deleted` })],
  });
  return report;
}
