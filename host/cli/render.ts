/** Human renderings of what the service returns. */
import type { ReconcileReport } from '../controller/index.js';
import type { ClusterRecord, ResourceRecord, KadendeEvent } from '../../model/index.js';
import type { Holder } from '../store/index.js';
import { ago, table } from './format.js';

export function renderReport(report: ReconcileReport, heading: string): string {
  const rows = report.groups.map((g) => ({
    group: g.retired ? `${g.path} (removed)` : g.path,
    plugin: g.plugin,
    desired: g.status?.desired,
    actual: g.status?.actual,
    healthy: g.status?.healthy,
    unhealthy: g.status?.unhealthy,
    failed: g.status?.failed,
    outdated: g.status?.outdated,
    // `yes`, or why not: the status reason.
    converged: g.status?.reason === 'converged' ? 'yes' : g.status?.reason,
  }));
  const lines = [
    `${heading} ${report.clusterName} (${report.clusterId}) in ${report.durationMs} ms: ${report.converged ? 'converged' : 'not converged'}`,
    table(rows, ['group', 'plugin', 'desired', 'actual', 'healthy', 'unhealthy', 'failed', 'outdated', 'converged']),
  ];
  for (const group of report.groups) {
    const status = group.status;
    if (status && status.reason !== 'converged') lines.push(`  ${group.path}: ${group.error ? `${group.error.code}: ` : ''}${status.message}`);
    const counts = new Map<string, { n: number; cause: string }>();
    for (const action of group.actions) {
      const key = `${action.kind}: ${action.cause}`;
      counts.set(key, { n: (counts.get(key)?.n ?? 0) + 1, cause: key });
    }
    for (const { n, cause } of counts.values()) lines.push(`  ${group.path}: ${n > 1 ? `${n} x ` : ''}${cause}`);
  }
  return lines.join('\n');
}

/**
 * RECORD-STATE is Kadende's record (creating, active, deleting, failed); PROVIDER-STATUS is what
 * the plugin's describe last reported (pending, active, unhealthy, terminating, terminated).
 */
export function renderResources(records: ResourceRecord[]): string {
  return table(
    records.map((r) => ({
      group: r.groupPath,
      resource: r.id,
      'provider-id': r.providerId,
      // Two different things: what Kadende is doing with its record, and what the provider last said.
      'record-state': r.state,
      'provider-status': r.status,
      address: r.address,
      age: ago(r.createdAt),
      error: r.lastError,
    })),
    ['group', 'resource', 'provider-id', 'record-state', 'provider-status', 'address', 'age', 'error'],
  );
}

export function renderCluster(cluster: ClusterRecord, report: ReconcileReport, holder?: Holder): string {
  const conflicts = report.groups.flatMap((g) => {
    const others = g.status?.reason === 'describe-failed' ? undefined : g.status?.foreignInstallations;
    return others?.length ? [`  ${g.path}: also managed by installation ${others.join(', ')}: nothing is created or deleted until one of them stops`] : [];
  });
  const lines = [
    `Name:        ${cluster.name}`,
    `Id:          ${cluster.id}`,
    `Version:     ${cluster.spec.version}`,
    `Generation:  ${cluster.generation}`,
    `Source:      ${cluster.source.file}`,
    `Updated:     ${cluster.updatedAt}`,
    ...(cluster.deleting ? ['Deleting:    yes'] : []),
    // On a NATS store: the host whose lease lets it work on the cluster.
    ...(holder ? [`Holder:      ${holder.hostId}${holder.address ? ` at ${holder.address}` : ''}, since ${holder.since}`] : []),
    ...(conflicts.length ? ['', 'Conflicts (two installations claim this cluster id):', ...conflicts] : []),
    '',
    'Plugins:',
    table(
      Object.entries(cluster.pins).map(([group, pin]) => ({
        group,
        requested: `${pin.requested.name}@${pin.requested.version}${pin.requested.url ? ` (${pin.requested.url})` : ''}`,
        pinned: `${pin.name}@${pin.version}`,
        source: pin.source,
        integrity: pin.integrity ? `${pin.integrity.slice(0, 20)}...` : undefined,
      })),
      ['group', 'requested', 'pinned', 'source', 'integrity'],
    ),
    '',
    renderReport(report, 'Status of'),
  ];
  return lines.join('\n');
}

export function renderEvents(events: KadendeEvent[]): string {
  return table(
    events.map((e) => ({ time: e.time, type: e.type.replace(/^io\.kadende\./, ''), subject: e.subject.split('/').slice(1).join('/'), cause: e.data.cause })),
    ['time', 'type', 'subject', 'cause'],
  );
}
