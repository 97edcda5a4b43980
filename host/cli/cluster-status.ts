/**
 * The STATUS and READY of `get clusters`, as kubectl's READY column: from what the store holds
 * (the records as the last pass left them: no plugin is called), or, from a daemon, from the
 * status its last pass found, which also knows a halted or unobservable group.
 */
import { specHash, type ReconcileReport } from '../controller/index.js';
import type { ClusterRecord, ResourceRecord } from '../../model/index.js';

export type ClusterState = 'converged' | 'converging' | 'deleting' | 'halted' | 'error';

export interface ClusterHealth {
  status: ClusterState;
  /** Ready resources / desired, over every group: `6/6`. */
  ready: string;
}

export function healthFromRecords(cluster: ClusterRecord, records: ResourceRecord[]): ClusterHealth {
  const desired = cluster.deleting ? 0 : cluster.spec.groups.reduce((n, g) => n + g.size, 0);
  const isReady = (r: ResourceRecord) => r.state === 'active' && r.status === 'active';
  const ready = `${records.filter(isReady).length}/${desired}`;
  if (cluster.deleting) return { status: 'deleting', ready };
  if (records.some((r) => r.state === 'failed')) return { status: 'error', ready };
  const settled = cluster.spec.groups.every((group) => {
    const mine = records.filter((r) => r.groupPath === group.path);
    const current = specHash(cluster.pins[group.path]!, group.properties);
    return mine.length === group.size && mine.every((r) => isReady(r) && r.specHash === current);
  });
  const retiredLeft = records.some((r) => !cluster.spec.groups.some((g) => g.path === r.groupPath));
  return { status: settled && !retiredLeft ? 'converged' : 'converging', ready };
}

export function healthFromReport(cluster: ClusterRecord, report: ReconcileReport): ClusterHealth {
  const active = report.groups.filter((g) => !g.retired);
  const sum = (pick: (g: (typeof active)[number]) => number | undefined) => active.reduce((n, g) => n + (pick(g) ?? 0), 0);
  const ready = `${sum((g) => g.status?.healthy)}/${sum((g) => g.status?.desired)}`;
  const reasons = new Set(report.groups.map((g) => g.status?.reason));
  if (cluster.deleting) return { status: 'deleting', ready };
  if (reasons.has('halted')) return { status: 'halted', ready };
  if (reasons.has('describe-failed') || reasons.has('creates-failed') || report.groups.some((g) => g.error)) return { status: 'error', ready };
  return { status: report.converged ? 'converged' : 'converging', ready };
}
