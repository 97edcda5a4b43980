/**
 * `kadende store export` and `store import`: a store's clusters (with their plugin pins), resource
 * records and events as JSON lines, so an operator can move between stores (one host on LevelDB
 * to a fleet on NATS, and back). The first line is a header naming the installation: an import
 * into an empty store adopts it, so the resources (tagged with it) stay the store's own.
 *
 * An import checks every line first (each against its kind's schema, export-schema.ts, plus the
 * references between lines) and writes nothing if one is wrong, naming each bad line. It then
 * writes one cluster at a time: its events (in bounded batches, a NATS message is at most 1 MB),
 * then the cluster with all its records in one atomic commit, so a cluster appears whole or not
 * at all.
 */
import { Value } from '@sinclair/typebox/value';
import type { ClusterRecord, KadendeEvent, ResourceRecord } from '../../model/index.js';
import { kadendeError } from '../../errors/index.js';
import { EXPORT_FORMAT, LINE_SCHEMAS, type ExportHeader } from './export-schema.js';
import { clusterIdsOf, type Store } from './types.js';

export interface ExportedCluster {
  cluster: ClusterRecord;
  resources: ResourceRecord[];
  events: KadendeEvent[];
}

export interface ParsedExport {
  header: ExportHeader;
  clusters: ExportedCluster[];
}

export interface ImportSummary {
  clusters: number;
  resources: number;
  events: number;
  /** Records of replaced clusters (--force) the export did not have. */
  removedResources: number;
}

/** Past this many problems an import stops listing them. */
const MAX_PROBLEMS = 20;
/** Events per commit are cut at about this many bytes of JSON: a NATS message is at most 1 MB. */
const EVENT_BATCH_BYTES = 256 * 1024;

/** Every line of the export, in order: the header, then per cluster (id order) the cluster, its records, its events oldest first. */
export async function* exportStore(store: Store, now = new Date()): AsyncGenerator<string> {
  const header: ExportHeader = { kind: 'header', format: EXPORT_FORMAT, version: 1, installation: await store.installationId(), exportedAt: now.toISOString() };
  yield JSON.stringify(header);
  for (const id of [...(await clusterIdsOf(store))].sort()) {
    const cluster = await store.getCluster(id);
    if (!cluster) continue;
    yield JSON.stringify({ kind: 'cluster', cluster });
    for (const resource of await store.listResources(id)) yield JSON.stringify({ kind: 'resource', resource });
    for (const event of await store.listEvents(id)) yield JSON.stringify({ kind: 'event', event });
  }
}

/** Parses and checks a whole export; throws KADENDE_ERR_IMPORT_INVALID naming every bad line (file:line: field: problem). */
export function parseExport(text: string, file: string): ParsedExport {
  const problems: string[] = [];
  const problem = (line: number, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(`${file}:${line}: ${message}`);
  };
  let header: ExportHeader | undefined;
  const clusters = new Map<string, ExportedCluster & { line: number }>();
  const names = new Map<string, string>();
  const pending: Array<{ line: number; kind: 'resource' | 'event'; value: ResourceRecord | KadendeEvent }> = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      return problem(line, `not JSON: ${(error as Error).message}`);
    }
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !(kind in LINE_SCHEMAS)) return problem(line, `kind: must be one of ${Object.keys(LINE_SCHEMAS).join(', ')}, got ${JSON.stringify(kind)}`);
    const schema = LINE_SCHEMAS[kind as keyof typeof LINE_SCHEMAS];
    const errors = [...Value.Errors(schema, value)].slice(0, 3);
    if (errors.length > 0) return problem(line, errors.map((e) => `${e.path.slice(1).replace(/\//g, '.') || '(line)'}: ${e.message}`).join('; '));
    if (kind === 'header') {
      if (line !== firstLine(lines)) return problem(line, 'the header must be the first line');
      header = value as ExportHeader;
    } else if (kind === 'cluster') {
      const cluster = (value as { cluster: ClusterRecord }).cluster;
      if (clusters.has(cluster.id)) return problem(line, `cluster.id: cluster ${cluster.id} is already on line ${clusters.get(cluster.id)!.line}`);
      const taken = names.get(cluster.name.toLowerCase());
      if (taken) return problem(line, `cluster.name: "${cluster.name}" is already the name of cluster ${taken}`);
      names.set(cluster.name.toLowerCase(), cluster.id);
      clusters.set(cluster.id, { cluster, resources: [], events: [], line });
    } else {
      pending.push({ line, kind: kind as 'resource' | 'event', value: (value as Record<string, ResourceRecord | KadendeEvent>)[kind]! });
    }
  });
  if (!header && problems.length === 0) problem(firstLine(lines), `the first line must be the header ({"kind":"header","format":"${EXPORT_FORMAT}",...})`);
  const keys = new Set<string>();
  for (const { line, kind, value } of pending) {
    const clusterId = kind === 'resource' ? (value as ResourceRecord).clusterId : (value as KadendeEvent).data.clusterId;
    const owner = clusters.get(clusterId);
    if (!owner) {
      problem(line, `${kind === 'resource' ? 'resource.clusterId' : 'event.data.clusterId'}: no cluster ${clusterId} in the file`);
      continue;
    }
    const key = `${kind}\0${clusterId}\0${kind === 'resource' ? `${(value as ResourceRecord).groupPath}\0` : ''}${value.id}`;
    if (keys.has(key)) {
      problem(line, `${kind}.id: ${value.id} appears twice`);
      continue;
    }
    keys.add(key);
    if (kind === 'resource') owner.resources.push(value as ResourceRecord);
    else owner.events.push(value as KadendeEvent);
  }
  if (problems.length > 0) throw kadendeError('KADENDE_ERR_IMPORT_INVALID', file, problems);
  return { header: header!, clusters: [...clusters.values()].map(({ cluster, resources, events }) => ({ cluster, resources, events })) };
}

/**
 * Writes a checked export into `store`. Refused when the store holds clusters, unless `force`
 * (then clusters of the same id are replaced, and the installations must be the same one).
 */
export async function importStore(store: Store, parsed: ParsedExport, { force = false, target }: { force?: boolean; target: string }): Promise<ImportSummary> {
  const existing = await clusterIdsOf(store);
  const installation = await store.installationId();
  if (existing.length > 0 && !force) throw kadendeError('KADENDE_ERR_IMPORT_NOT_EMPTY', target, existing.length);
  if (installation !== parsed.header.installation) {
    if (existing.length > 0) throw kadendeError('KADENDE_ERR_IMPORT_INSTALLATION', target, installation, parsed.header.installation);
    if (!store.adoptInstallationId) throw new Error('this store cannot adopt an installation id');
    await store.adoptInstallationId(parsed.header.installation);
  }
  // A name another cluster of the target holds: refused before anything is written.
  for (const { cluster } of parsed.clusters) {
    const holder = await store.findClusterByName(cluster.name);
    if (holder && holder.id !== cluster.id) throw kadendeError('KADENDE_ERR_CLUSTER_NAME_TAKEN', target, cluster.name, holder.id, cluster.id);
  }
  const summary: ImportSummary = { clusters: 0, resources: 0, events: 0, removedResources: 0 };
  for (const { cluster, resources, events } of parsed.clusters) {
    const known = new Set((await store.listEvents(cluster.id)).map((e) => e.id));
    const fresh = events.filter((e) => !known.has(e.id));
    for (const batch of batches(fresh)) await store.commit({ events: batch });
    const kept = new Set(resources.map((r) => `${r.groupPath}\0${r.id}`));
    const stale = (await store.listResources(cluster.id)).filter((r) => !kept.has(`${r.groupPath}\0${r.id}`));
    await store.commit({ putClusters: [cluster], putResources: resources, deleteResources: stale, durable: true });
    summary.clusters += 1;
    summary.resources += resources.length;
    summary.events += fresh.length;
    summary.removedResources += stale.length;
  }
  return summary;
}

function firstLine(lines: string[]): number {
  const index = lines.findIndex((l) => l.trim() !== '');
  return index < 0 ? 1 : index + 1;
}

function* batches(events: KadendeEvent[]): Generator<KadendeEvent[]> {
  let batch: KadendeEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = JSON.stringify(event).length;
    if (batch.length > 0 && bytes + size > EVENT_BATCH_BYTES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
