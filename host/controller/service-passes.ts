/**
 * The daemon's ClusterReconciler: a scheduled pass is a KadendeService
 * reconcile, and the domain rules of what a pass means live here, not in the
 * queue: a group that could not be observed or halted remediation fails the
 * pass (backing off helps, retrying soon does not); a pass that acted but has
 * not converged asks to run again soon; a deleting cluster whose resources are
 * all gone is removed, finishing an interrupted delete.
 */
import { hasCode } from '../../errors/index.js';
import { clusterIdsOf } from '../store/index.js';
import { TerminalPassError, type ClusterReconciler, type PassRequest, type PassResult } from './pass.js';
import type { KadendeService } from './service.js';

export interface ServicePassesOptions {
  /** After a pass that acted but has not converged yet (a create to confirm). */
  followUpMs?: number;
  onDeleted?: (clusterId: string, name: string) => void;
}

export class ServicePasses implements ClusterReconciler {
  constructor(
    private readonly service: KadendeService,
    private readonly options: ServicePassesOptions = {},
  ) {}

  async clusterIds(): Promise<string[]> {
    // Keys only: the scheduler asks on every tick (issue 15).
    return clusterIdsOf(this.service.store);
  }

  async reconcile({ clusterId }: PassRequest): Promise<PassResult> {
    let report;
    try {
      report = await this.service.reconcile(clusterId);
    } catch (error) {
      if (hasCode(error, 'KADENDE_ERR_CLUSTER_NOT_FOUND')) throw new TerminalPassError(`cluster ${clusterId} is gone`, { cause: error });
      throw error;
    }
    // The service's pass forgets a deleting cluster whose resources are all gone.
    if (report.deleted) this.options.onDeleted?.(clusterId, report.clusterName);
    const failing = report.groups.filter((g) => g.status?.reason === 'describe-failed' || g.status?.reason === 'halted');
    const base = { clusterName: report.clusterName, report };
    if (failing.length > 0) return { ...base, outcome: 'failed', errors: failing.map((g) => `${g.path}: ${g.status!.message}`) };
    if (report.converged) return { ...base, outcome: 'converged' };
    return { ...base, outcome: 'progressing', requeueAfterMs: this.options.followUpMs ?? 1000 };
  }
}
