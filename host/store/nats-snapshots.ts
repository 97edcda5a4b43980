/**
 * Journal snapshots of the NATS store: one cluster's state as of a journal position, so a start
 * replays the snapshot and the journal after it, and the journal before it can be purged.
 *
 *   stream KADENDE_SNAPSHOTS, subject kadende.snapshot.<cluster token>, one message kept per
 *   subject: { clusterId, covers, last, cluster?, resources, events }: the cluster's state after
 *   every message of its subject up to `last` and every several-cluster message up to `covers`
 *   (journal stream sequences). The purge keeps message `last` (so the subject is never empty
 *   and `expect lastSubjectSequence` still fences writers) and everything after it.
 *
 * Every journal message of a cluster carries the sequence it expected (header Kadende-Prev): a
 * reader that finds it differs from the last one it applied has missed purged messages (it was
 * slow, or read an older snapshot) and reloads the cluster from the newest snapshot instead.
 */
import type { ClusterRecord, KadendeEvent, ResourceRecord } from '../../model/index.js';
import type { MemoryState } from './memory-store.js';

export const SNAPSHOT_STREAM = 'KADENDE_SNAPSHOTS';
export const SNAPSHOT_PREFIX = 'kadende.snapshot';
/** Header of a journal message: the cluster subject's sequence the writer expected. */
export const PREV_HEADER = 'Kadende-Prev';

export interface ClusterSnapshot {
  clusterId: string;
  covers: number;
  last: number;
  cluster?: ClusterRecord;
  resources: ResourceRecord[];
  events: KadendeEvent[];
}

/** A journal message's content (a Change, without `durable`). */
export interface JournalEntry {
  putClusters?: ClusterRecord[];
  deleteClusters?: ClusterRecord[];
  putResources?: ResourceRecord[];
  deleteResources?: Array<{ clusterId: string; groupPath: string; id: string }>;
  events?: KadendeEvent[];
}

/** The cluster's state in `state` now, as a snapshot covering journal position `covers`. */
export function takeSnapshot(state: MemoryState, clusterId: string, covers: number, last: number): ClusterSnapshot {
  const json = state.clusters.get(clusterId);
  const resources: ResourceRecord[] = [];
  for (const records of state.resources.get(clusterId)?.values() ?? []) for (const record of records.values()) resources.push(JSON.parse(record) as ResourceRecord);
  const events = (state.events.get(clusterId) ?? []).map((e) => JSON.parse(e.json) as KadendeEvent);
  return { clusterId, covers, last, ...(json ? { cluster: JSON.parse(json) as ClusterRecord } : {}), resources, events };
}

/** Replaces everything `state` holds of the snapshot's cluster with the snapshot. */
export function restoreSnapshot(state: MemoryState, snapshot: ClusterSnapshot): void {
  const { clusterId } = snapshot;
  const before = state.clusters.get(clusterId);
  if (before) {
    const name = (JSON.parse(before) as ClusterRecord).name.toLowerCase();
    if (state.names.get(name) === clusterId) state.names.delete(name);
  }
  state.clusters.delete(clusterId);
  state.resources.delete(clusterId);
  state.events.delete(clusterId);
  if (snapshot.cluster) {
    state.clusters.set(clusterId, JSON.stringify(snapshot.cluster));
    state.names.set(snapshot.cluster.name.toLowerCase(), clusterId);
  }
  const groups = new Map<string, Map<string, string>>();
  for (const r of snapshot.resources) {
    let records = groups.get(r.groupPath);
    if (!records) groups.set(r.groupPath, (records = new Map()));
    records.set(r.id, JSON.stringify(r));
  }
  if (groups.size > 0) state.resources.set(clusterId, groups);
  if (snapshot.events.length > 0) state.events.set(clusterId, snapshot.events.map((e) => ({ id: e.id, json: JSON.stringify(e) })));
}

/** The part of a several-cluster entry that concerns the clusters `keep` accepts. */
export function restrictEntry(entry: JournalEntry, keep: (clusterId: string) => boolean): JournalEntry {
  return {
    putClusters: entry.putClusters?.filter((c) => keep(c.id)),
    deleteClusters: entry.deleteClusters?.filter((c) => keep(c.id)),
    putResources: entry.putResources?.filter((r) => keep(r.clusterId)),
    deleteResources: entry.deleteResources?.filter((r) => keep(r.clusterId)),
    events: entry.events?.filter((e) => keep(e.data.clusterId)),
  };
}

/** The clusters an entry touches. */
export function clustersOf(entry: JournalEntry): Set<string> {
  const clusters = new Set<string>();
  for (const c of [...(entry.putClusters ?? []), ...(entry.deleteClusters ?? [])]) clusters.add(c.id);
  for (const r of [...(entry.putResources ?? []), ...(entry.deleteResources ?? [])]) clusters.add(r.clusterId);
  for (const e of entry.events ?? []) clusters.add(e.data.clusterId);
  return clusters;
}
