/**
 * Journal snapshots of the NATS store: one cluster's state as of a journal position, so a start
 * replays the snapshot and the journal after it, and the journal before it can be purged.
 *
 *   stream KADENDE_SNAPSHOTS, subject kadende.snapshot.<cluster token>: one manifest kept per
 *   cluster, naming its chunks (SnapshotStore, below), which hold
 *   { clusterId, covers, last, cluster?, resources, events }: the cluster's state after
 *   every message of its subject up to `last` and every several-cluster message up to `covers`
 *   (journal stream sequences). The purge keeps message `last` (so the subject is never empty
 *   and `expect lastSubjectSequence` still fences writers) and everything after it.
 *
 * Every journal message of a cluster carries the sequence it expected (header Kadende-Prev): a
 * reader that finds it differs from the last one it applied has missed purged messages (it was
 * slow, or read an older snapshot) and reloads the cluster from the newest snapshot instead.
 */
import { DeliverPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { ClusterRecord, KadendeEvent, ResourceRecord } from '../../model/index.js';
import type { MemoryState } from './memory-store.js';
import { isConflict } from './nats-errors.js';

export const SNAPSHOT_STREAM = 'KADENDE_SNAPSHOTS';
export const SNAPSHOT_PREFIX = 'kadende.snapshot';
/** A cluster id as one subject token. */
export const subjectToken = (clusterId: string) => (/^[A-Za-z0-9_-]+$/.test(clusterId) ? clusterId : `~${Buffer.from(clusterId).toString('base64url')}`);
const snapshotBase = (clusterId: string) => `${SNAPSHOT_PREFIX}.${subjectToken(clusterId)}`;
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

/**
 * Where snapshots live: a snapshot of any size is cut into chunks of at most `chunkBytes`
 * (`<base>.chunk.<last>.<i>`, unique per snapshot), then its manifest `<base>` is stored with
 * `expect lastSubjectSequence` (one manifest kept per cluster: refused if another writer stored
 * one since). Only then are older chunks purged; a reader that finds a chunk gone (a newer
 * snapshot replaced it meanwhile) reads the newest manifest again.
 */
interface SnapshotManifest {
  clusterId: string;
  covers: number;
  last: number;
  chunks: number;
}

export class SnapshotStore {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly chunkBytes: number,
  ) {}

  static async open(js: JetStreamClient, jsm: JetStreamManager, chunkBytes: number): Promise<SnapshotStore> {
    await jsm.streams.info(SNAPSHOT_STREAM).catch(() =>
      jsm.streams
        .add({ name: SNAPSHOT_STREAM, subjects: [`${SNAPSHOT_PREFIX}.>`], storage: StorageType.File, max_msgs_per_subject: 1 })
        // Another host made it first.
        .catch(async (error) => jsm.streams.info(SNAPSHOT_STREAM).catch(() => Promise.reject(error))),
    );
    return new SnapshotStore(js, jsm, chunkBytes);
  }

  /** The cluster's newest snapshot, if it has one. */
  async read(clusterId: string): Promise<ClusterSnapshot | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const manifest = await this.manifest(clusterId);
      if (!manifest) return undefined;
      const snapshot = await this.assemble(manifest);
      if (snapshot) return snapshot;
    }
    return undefined;
  }

  /** Every cluster's newest snapshot. */
  async readAll(): Promise<ClusterSnapshot[]> {
    const consumer = await this.js.consumers.get(SNAPSHOT_STREAM, { filter_subjects: `${SNAPSHOT_PREFIX}.*`, deliver_policy: DeliverPolicy.All });
    const pending = (await consumer.info()).num_pending;
    const manifests: SnapshotManifest[] = [];
    while (manifests.length < pending) {
      let got = 0;
      for await (const message of await consumer.fetch({ max_messages: pending - manifests.length, expires: 2000 })) {
        got += 1;
        manifests.push(message.json<SnapshotManifest>());
      }
      if (got === 0) break;
    }
    const out: ClusterSnapshot[] = [];
    for (const manifest of manifests) {
      const snapshot = (await this.assemble(manifest)) ?? (await this.read(manifest.clusterId));
      // Its journal before it is purged: without it the cluster cannot be rebuilt.
      if (!snapshot) throw new Error(`the snapshot of cluster ${manifest.clusterId} (journal sequence ${manifest.last}) cannot be read`);
      out.push(snapshot);
    }
    return out;
  }

  /** Stores the snapshot unless one as new is stored already; true when it is the cluster's newest now. */
  async write(snapshot: ClusterSnapshot): Promise<boolean> {
    const base = snapshotBase(snapshot.clusterId);
    const current = await this.jsm.streams.getMessage(SNAPSHOT_STREAM, { last_by_subj: base }).catch(() => null);
    if (current && current.json<SnapshotManifest>().last >= snapshot.last) return false;
    const bytes = Buffer.from(JSON.stringify(snapshot));
    const chunks = Math.max(1, Math.ceil(bytes.length / this.chunkBytes));
    for (let i = 0; i < chunks; i++) await this.js.publish(`${base}.chunk.${snapshot.last}.${i}`, bytes.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes));
    const manifest: SnapshotManifest = { clusterId: snapshot.clusterId, covers: snapshot.covers, last: snapshot.last, chunks };
    try {
      await this.js.publish(base, JSON.stringify(manifest), { expect: { lastSubjectSequence: current?.seq ?? 0 } });
    } catch (error) {
      await this.jsm.streams.purge(SNAPSHOT_STREAM, { filter: `${base}.chunk.${snapshot.last}.>` }).catch(() => {});
      if (isConflict(error)) return false;
      throw error;
    }
    // The replaced snapshot's chunks, subject by subject (2.9 purged every match of a wildcard filter given with a sequence).
    if (current) {
      const replaced = current.json<SnapshotManifest>();
      for (let i = 0; i < replaced.chunks; i++) await this.jsm.streams.purge(SNAPSHOT_STREAM, { filter: `${base}.chunk.${replaced.last}.${i}` }).catch(() => {});
    }
    return true;
  }

  private async manifest(clusterId: string): Promise<SnapshotManifest | undefined> {
    const stored = await this.jsm.streams.getMessage(SNAPSHOT_STREAM, { last_by_subj: snapshotBase(clusterId) }).catch(() => null);
    return stored ? stored.json<SnapshotManifest>() : undefined;
  }

  private async assemble(manifest: SnapshotManifest): Promise<ClusterSnapshot | undefined> {
    const base = snapshotBase(manifest.clusterId);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < manifest.chunks; i++) {
      const chunk = await this.jsm.streams.getMessage(SNAPSHOT_STREAM, { last_by_subj: `${base}.chunk.${manifest.last}.${i}` }).catch(() => null);
      if (!chunk) return undefined; // replaced meanwhile
      parts.push(chunk.data);
    }
    return JSON.parse(Buffer.concat(parts).toString()) as ClusterSnapshot;
  }
}
