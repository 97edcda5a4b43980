/**
 * A Store on NATS JetStream, for several hosts sharing one fleet
 * (docs/ARCHITECTURE.md, "Beyond one machine"). NATS 2.9 has no multi-key
 * transactions, so a commit is ONE message:
 *
 *   stream KADENDE_JOURNAL, subject kadende.journal.<clusterId>: the cluster's journal.
 *   Every commit is one message on its cluster's subject, published with
 *   `expect: { lastSubjectSequence }` = the last message of that subject this
 *   store has applied: a writer that has not seen the latest write of the
 *   cluster (another host's, or a host that lost its lease) is refused by the
 *   server (optimistic concurrency and fencing in one). The record changes and
 *   their events are the same message: visible together or not at all.
 *
 *   A change touching several clusters (only tests make one) goes on
 *   kadende.journal._fleet with `expect: { lastSequence }`: refused if anything
 *   at all was written that this store has not applied.
 *
 *   KV kadende-names: lower-cased name (base64url) -> cluster id, claimed with
 *   create (fails if another cluster holds it) before the journal message and
 *   released (delete with the revision read) after a delete or rename: the
 *   cross-cluster guard names need, which a per-cluster journal cannot give.
 *
 * State is rebuilt at open from the clusters' snapshots and the journal after them
 * (host/store/nats-snapshots.ts: every snapshotEvery messages of a cluster its writer stores
 * one and purges the journal below it) into a MemoryState, and kept current by tailing the
 * journal with an ordered consumer (a watchdog replaces a tail that stopped). Reads are served
 * from memory: they may lag another host's write by the tail's latency, which the expected
 * sequence makes harmless for writers.
 *
 * The outbox is the fleet's (host/store/nats-outbox.ts): the journal's events after a publish
 * cursor every host shares, listed only on the host that holds the publisher role.
 */
import { randomUUID } from 'node:crypto';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import {
  jetstream,
  jetstreamManager,
  DeliverPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { ClusterRecord, KadendeEvent, ResourceRecord } from '../../model/index.js';
import { kadendeError } from '../../errors/index.js';
import { MemoryState, MemoryStore } from './memory-store.js';
import { createBucket } from './nats-buckets.js';
import { isConflict } from './nats-errors.js';
import { OUTBOX_CURSOR_KEY, SharedOutbox, type OutboxCursor } from './nats-outbox.js';
import {
  clustersOf,
  PREV_HEADER,
  restoreSnapshot,
  restrictEntry,
  SnapshotStore,
  subjectToken,
  takeSnapshot,
  type ClusterSnapshot,
  type JournalEntry,
} from './nats-snapshots.js';
import type { Change, EventQuery, OutboxEntry, Store } from './types.js';

export const JOURNAL_STREAM = 'KADENDE_JOURNAL';
export const JOURNAL_PREFIX = 'kadende.journal';
export const NAMES_BUCKET = 'kadende-names';
/** installation -> this installation's id, made by the first opener. */
export const META_BUCKET = 'kadende-meta';
const FLEET_SUBJECT = `${JOURNAL_PREFIX}._fleet`;
export { isConflict, NATS_CONFLICT } from './nats-errors.js';
/** How often a store checks that its tail of the journal still moves. */
const TAIL_CHECK_MS = 1000;
export interface NatsStoreOptions {
  /** Keep the fleet's shared outbox (host/store/nats-outbox.ts): this host may publish events. */
  outbox?: boolean;
  /** With `outbox`: whether this host is the fleet's publisher now (default: always, a lone host). */
  publishing?: () => boolean;
  /**
   * Called when a commit that is a pass's work (any change beyond cluster records and their
   * events, or any commit while `inPass` says so) is made, and again just before it is sent:
   * throws when this host may no longer write the cluster (its lease).
   */
  fence?: (clusterId: string) => void;
  /** True while the caller runs inside a leased pass: every commit it makes is fenced, cluster records included. */
  inPass?: () => boolean;
  /** A cluster's journal messages between snapshots (host/store/nats-snapshots.ts); default 1000. */
  snapshotEvery?: number;
}

const nameKey = (name: string) => Buffer.from(name.toLowerCase()).toString('base64url') || '_';
const subjectFor = (clusterId: string) => `${JOURNAL_PREFIX}.${subjectToken(clusterId)}`;

export class NatsStore implements Store {
  private readonly state = new MemoryState();
  private readonly memory = new MemoryStore(this.state);
  /** Subject -> stream sequence of its last message applied here. */
  private readonly subjectSeq = new Map<string, number>();
  private lastSeq = 0;
  /** One commit per subject at a time: each expects its predecessor's sequence. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private outbox?: SharedOutbox;
  /** The sequence of the last message the tail delivered: every message up to it is applied here. */
  private tailSeq = 0;
  /** The highest sequence this store wrote. */
  private ownSeq = 0;
  private tail?: ConsumerMessages;
  private tailing?: Promise<void>;
  private watchdog?: NodeJS.Timeout;
  private checkingTail = false;
  private tailAtLastCheck = -1;
  private jsm?: JetStreamManager;
  /** Cluster -> the journal position its loaded snapshot covers (a several-cluster message up to it is in the snapshot). */
  private readonly covered = new Map<string, number>();
  /** Cluster subject -> its cluster, and that cluster's messages applied since its last snapshot. */
  private readonly subjectCluster = new Map<string, string>();
  private readonly sinceSnapshot = new Map<string, number>();
  private fleetSeq = 0;
  private readonly snapshotJobs = new Set<Promise<void>>();
  private readonly snapshotEvery: number;
  private readonly waiters: Array<{ seq: number; resolve: () => void }> = [];
  private closed = false;

  private constructor(
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly names: KV,
    private readonly meta: KV,
    private readonly snapshots: SnapshotStore,
    readonly url: string,
    private readonly options: NatsStoreOptions,
    private readonly ownsConnection: boolean,
    private installation: string,
  ) {
    this.snapshotEvery = Math.max(1, options.snapshotEvery ?? 1000);
  }

  /** Connects (or uses `connection`), creates the stream and bucket if missing, and replays the journal. */
  static async open(url: string, options: NatsStoreOptions & { connection?: NatsConnection } = {}): Promise<NatsStore> {
    let nc: NatsConnection;
    try {
      nc = options.connection ?? (await connect({ servers: url, maxReconnectAttempts: -1, name: 'kadende-store' }));
    } catch (error) {
      throw kadendeError('KADENDE_ERR_STORE_OPEN', url, (error as Error).message).with({ cause: error });
    }
    try {
      const jsm = await jetstreamManager(nc);
      try {
        await jsm.streams.info(JOURNAL_STREAM);
      } catch {
        await jsm.streams.add({ name: JOURNAL_STREAM, subjects: [`${JOURNAL_PREFIX}.>`], storage: StorageType.File }).catch(async (error) => {
          // Another host made it first.
          await jsm.streams.info(JOURNAL_STREAM).catch(() => Promise.reject(error));
        });
      }
      const names = await createBucket(nc, NAMES_BUCKET, { history: 1 });
      const meta = await createBucket(nc, META_BUCKET, { history: 1 });
      let installation = (await meta.get('installation'))?.string();
      if (!installation) {
        try {
          await meta.create('installation', (installation = randomUUID()));
        } catch (error) {
          // Another host made it first: theirs is the fleet's.
          if (!isConflict(error)) throw error;
          installation = (await meta.get('installation'))!.string();
        }
      }
      const js = jetstream(nc);
      // Half the server's max_payload: a chunk is read back through the JetStream API, whose answer carries it in base64.
      const snapshots = await SnapshotStore.open(js, jsm, Math.floor((nc.info?.max_payload ?? 1024 * 1024) / 2));
      const store = new NatsStore(nc, js, names, meta, snapshots, url, options, options.connection === undefined, installation);
      if (options.outbox) store.outbox = await SharedOutbox.open(meta, options.publishing ?? (() => true));
      await store.loadSnapshots();
      await store.startTail();
      return store;
    } catch (error) {
      if (options.connection === undefined) await nc.close().catch(() => {});
      throw kadendeError('KADENDE_ERR_STORE_OPEN', url, (error as Error).message).with({ cause: error });
    }
  }

  /** Replays the journal to its last message at the time of the call, then keeps applying new ones. */
  private async startTail(): Promise<void> {
    const last = (await this.journalInfo()).last_seq;
    await this.openTail();
    this.watchdog = setInterval(() => void this.checkTail(), TAIL_CHECK_MS);
    this.watchdog.unref();
    await this.reached(last);
  }

  /** An ordered consumer of the whole journal from the message after the last one the tail delivered. */
  private async openTail(): Promise<void> {
    const from = this.tailSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.tailSeq + 1 } : { deliver_policy: DeliverPolicy.All };
    const tail = await (await this.js.consumers.get(JOURNAL_STREAM, { filter_subjects: `${JOURNAL_PREFIX}.>`, ...from })).consume();
    this.tail = tail;
    this.tailing = (async () => {
      for await (const message of tail) {
        if (this.tail !== tail) break;
        await this.applyMessage(message);
      }
    })().catch(() => {});
  }

  /**
   * The ordered consumer does not always come back after the server restarts (seen on 2.9: the
   * tails of five stores all stopped for good at the second of three restarts while a writer went
   * on). A tail that has not moved since the last check while the journal is ahead of it is
   * replaced by a new one from where it stopped.
   */
  private async checkTail(): Promise<void> {
    if (this.closed || this.checkingTail) return;
    this.checkingTail = true;
    try {
      const last = (await this.journalInfo()).last_seq;
      if (last > this.tailSeq && this.tailSeq === this.tailAtLastCheck) {
        const stuck = this.tail;
        this.tail = undefined;
        await stuck?.close().catch(() => {});
        if (!this.closed) await this.openTail();
      }
      this.tailAtLastCheck = this.tailSeq;
    } catch {
      // NATS unreachable: the next check tries again.
    } finally {
      this.checkingTail = false;
    }
  }

  private async journalInfo() {
    this.jsm ??= await jetstreamManager(this.connection);
    return (await this.jsm.streams.info(JOURNAL_STREAM)).state;
  }

  private async applyMessage(message: JsMsg): Promise<void> {
    if (message.seq <= this.tailSeq) return; // a replaced tail's redelivery
    const prevHeader = message.headers?.get(PREV_HEADER);
    const prev = prevHeader ? Number(prevHeader) : undefined;
    const entry = message.json<JournalEntry>();
    const gap = this.apply(message.subject, message.seq, entry, prev);
    if (gap !== undefined) await this.repair(gap, message.subject, message.seq, entry, prev!);
    this.tailSeq = message.seq;
  }

  /**
   * Applies a journal message once, whether it comes from the tail or from this store's own ack.
   * Returns the cluster whose messages before this one are missing here (purged after a newer
   * snapshot than this store has): the caller repairs it.
   */
  private apply(subject: string, seq: number, entry: JournalEntry, prev?: number): string | undefined {
    this.outbox?.add(seq, entry.events);
    if (subject === FLEET_SUBJECT) {
      if (seq > this.fleetSeq) {
        this.fleetSeq = seq;
        void this.memory.commit(restrictEntry(entry, (id) => seq > (this.covered.get(id) ?? 0)) as Change);
      }
    } else if (seq > (this.subjectSeq.get(subject) ?? 0)) {
      const [clusterId] = clustersOf(entry);
      if (prev !== undefined && prev > (this.subjectSeq.get(subject) ?? 0)) return clusterId ?? '';
      this.subjectSeq.set(subject, seq);
      void this.memory.commit(entry as Change);
      if (clusterId !== undefined) {
        this.subjectCluster.set(subject, clusterId);
        this.sinceSnapshot.set(clusterId, (this.sinceSnapshot.get(clusterId) ?? 0) + 1);
      }
    }
    if (seq > this.lastSeq) this.lastSeq = seq;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.seq <= this.lastSeq) this.waiters.splice(i, 1)[0]!.resolve();
    }
    return undefined;
  }

  /** Messages of the cluster before `seq` were purged before this store read them: reload it from its newest snapshot, then apply the message. */
  private async repair(clusterId: string, subject: string, seq: number, entry: JournalEntry, prev: number): Promise<void> {
    const snapshot = await this.readSnapshot(clusterId).catch(() => undefined);
    if (snapshot && snapshot.last >= prev) this.restore(snapshot);
    // Without a snapshot covering the gap (none is purged before its snapshot is stored, so this is not expected) the message is applied over what is here.
    if (this.apply(subject, seq, entry, prev) !== undefined) {
      this.subjectSeq.set(subject, prev);
      this.apply(subject, seq, entry, prev);
    }
  }

  private restore(snapshot: ClusterSnapshot): void {
    restoreSnapshot(this.state, snapshot);
    const subject = subjectFor(snapshot.clusterId);
    this.subjectSeq.set(subject, snapshot.last);
    this.subjectCluster.set(subject, snapshot.clusterId);
    this.covered.set(snapshot.clusterId, snapshot.covers);
    this.sinceSnapshot.set(snapshot.clusterId, 0);
  }

  private readSnapshot(clusterId: string): Promise<ClusterSnapshot | undefined> {
    return this.snapshots.read(clusterId);
  }

  /** At open, before the journal: every cluster's newest snapshot. */
  private async loadSnapshots(): Promise<void> {
    for (const snapshot of await this.snapshots.readAll()) this.restore(snapshot);
  }

  /**
   * After a commit this store wrote, every `snapshotEvery` messages of a cluster: the cluster's
   * state now is stored as its snapshot, and the cluster's journal before it purged. The state is
   * every message of the cluster's subject up to this one (its writer saw them all, or the server
   * would have refused it, and its next commit waits for this one), and the several-cluster
   * messages up to the tail's position: the snapshot says so (`last`, `covers`).
   */
  private maybeSnapshot(subject: string, seq: number): void {
    const clusterId = this.subjectCluster.get(subject);
    if (clusterId === undefined || (this.sinceSnapshot.get(clusterId) ?? 0) < this.snapshotEvery) return;
    if (this.subjectSeq.get(subject) !== seq) return;
    this.sinceSnapshot.set(clusterId, 0);
    const job: Promise<void> = this.writeSnapshot(takeSnapshot(this.state, clusterId, this.tailSeq, seq), subject)
      .catch(() => {})
      .finally(() => this.snapshotJobs.delete(job));
    this.snapshotJobs.add(job);
  }

  private async writeSnapshot(snapshot: ClusterSnapshot, subject: string): Promise<void> {
    // Another writer's newer snapshot stands, and its purge.
    if (!(await this.snapshots.write(snapshot))) return;
    const last = snapshot.last;
    this.jsm ??= await jetstreamManager(this.connection);
    // Keep the snapshot's own message (the subject's last sequence fences writers) and every event not yet published.
    const cursor = await this.meta.get(OUTBOX_CURSOR_KEY).catch(() => null);
    const published = cursor && cursor.operation === 'PUT' ? cursor.json<OutboxCursor>().seq : Infinity;
    const keepFrom = Math.min(last, Math.max(1, published));
    if (keepFrom > 1) await this.jsm.streams.purge(JOURNAL_STREAM, { filter: subject, seq: keepFrom });
  }

  /** Resolves once every journal message up to `seq` is applied here. */
  private reached(seq: number): Promise<void> {
    if (seq <= this.lastSeq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Waits until this store has applied everything the journal holds now: reads after it see every write made before it. */
  async sync(): Promise<void> {
    await this.reached((await this.journalInfo()).last_seq);
  }

  getCluster(id: string): Promise<ClusterRecord | undefined> {
    return this.memory.getCluster(id);
  }
  findClusterByName(name: string): Promise<ClusterRecord | undefined> {
    return this.memory.findClusterByName(name);
  }
  listClusters(): Promise<ClusterRecord[]> {
    return this.memory.listClusters();
  }
  listResources(clusterId: string, groupPath?: string): Promise<ResourceRecord[]> {
    return this.memory.listResources(clusterId, groupPath);
  }
  listEvents(clusterId: string, query?: EventQuery): Promise<KadendeEvent[]> {
    return this.memory.listEvents(clusterId, query);
  }

  async commit(change: Change): Promise<void> {
    if (this.closed) throw new Error('the NATS store is closed');
    const entry: JournalEntry = {};
    if (change.putClusters?.length) entry.putClusters = change.putClusters;
    if (change.deleteClusters?.length) entry.deleteClusters = change.deleteClusters;
    if (change.putResources?.length) entry.putResources = change.putResources;
    if (change.deleteResources?.length) entry.deleteResources = change.deleteResources.map(({ clusterId, groupPath, id }) => ({ clusterId, groupPath, id }));
    if (change.events?.length) entry.events = change.events;
    // Serialized before anything is sent: a value that cannot be stored fails the whole change.
    const payload = JSON.stringify(entry);
    const clusters = new Set<string>();
    for (const c of [...(entry.putClusters ?? []), ...(entry.deleteClusters ?? [])]) clusters.add(c.id);
    for (const r of [...(entry.putResources ?? []), ...(entry.deleteResources ?? [])]) clusters.add(r.clusterId);
    for (const e of entry.events ?? []) clusters.add(e.data.clusterId);
    if (clusters.size === 0) return;
    const passWork = entry.putResources || entry.deleteResources || (entry.events ?? []).some((e) => !e.type.startsWith('io.kadende.cluster.'));
    const fenced = Boolean(passWork || this.options.inPass?.());
    const fence = () => {
      if (fenced && this.options.fence) for (const id of clusters) this.options.fence(id);
    };
    fence();
    const subject = clusters.size === 1 ? subjectFor([...clusters][0]!) : FLEET_SUBJECT;
    const previous = this.chains.get(subject) ?? Promise.resolve();
    const run = previous.then(
      () => this.publish(subject, entry, payload, fence),
      () => this.publish(subject, entry, payload, fence),
    );
    const settled = run.catch(() => undefined);
    this.chains.set(subject, settled);
    void settled.then(() => {
      if (this.chains.get(subject) === settled) this.chains.delete(subject);
    });
    await run;
  }

  private async publish(subject: string, entry: JournalEntry, payload: string, fence: () => void): Promise<void> {
    // Again now: a commit queued behind another one (or a host paused since) may have lost its lease meanwhile.
    fence();
    const claimed = await this.claimNames(entry);
    const stale = this.staleNames(entry);
    const prev = this.subjectSeq.get(subject) ?? 0;
    const expect = subject === FLEET_SUBJECT ? { lastSequence: this.lastSeq } : { lastSubjectSequence: prev };
    const h = headers();
    if (subject !== FLEET_SUBJECT) h.set(PREV_HEADER, String(prev));
    let seq: number;
    try {
      seq = (await this.js.publish(subject, payload, { expect, headers: h })).seq;
    } catch (error) {
      for (const { key, revision } of claimed) await this.names.delete(key, { previousSeq: revision }).catch(() => {});
      if (isConflict(error)) {
        // Someone else wrote first: catch up, so the caller's next read sees it, and refuse this change.
        await this.sync().catch(() => {});
        throw kadendeError('KADENDE_ERR_STORE_CONFLICT', subject.slice(JOURNAL_PREFIX.length + 1)).with({ cause: error });
      }
      throw error;
    }
    if (seq > this.ownSeq) this.ownSeq = seq;
    this.apply(subject, seq, entry, subject === FLEET_SUBJECT ? undefined : prev);
    if (subject !== FLEET_SUBJECT) this.maybeSnapshot(subject, seq);
    await this.releaseNames(stale);
  }

  /** Claims every name the change gives a cluster: refused if another cluster holds it. */
  private async claimNames(entry: JournalEntry): Promise<Array<{ key: string; revision: number }>> {
    const claimed: Array<{ key: string; revision: number }> = [];
    for (const cluster of entry.putClusters ?? []) {
      const key = nameKey(cluster.name);
      const held = await this.names.get(key);
      const holder = held && held.operation === 'PUT' ? held.string() : undefined;
      if (holder === cluster.id) continue;
      if (holder !== undefined && holder !== cluster.id) {
        // A holder the journal no longer knows (a crash between claim and publish, or between delete and release) is stale.
        if (await this.memory.getCluster(holder)) throw kadendeError('KADENDE_ERR_CLUSTER_NAME_TAKEN', 'the store', cluster.name, holder, cluster.id);
        try {
          claimed.push({ key, revision: await this.names.update(key, cluster.id, held!.revision) });
        } catch (error) {
          if (isConflict(error)) throw kadendeError('KADENDE_ERR_CLUSTER_NAME_TAKEN', 'the store', cluster.name, 'another host', cluster.id);
          throw error;
        }
        continue;
      }
      try {
        claimed.push({ key, revision: held ? await this.names.update(key, cluster.id, held.revision) : await this.names.create(key, cluster.id) });
      } catch (error) {
        if (isConflict(error)) throw kadendeError('KADENDE_ERR_CLUSTER_NAME_TAKEN', 'the store', cluster.name, 'another host', cluster.id);
        throw error;
      }
    }
    return claimed;
  }

  /** Names this change stops using: deleted clusters', and renamed clusters' old ones (read before the change applies). */
  private staleNames(entry: JournalEntry): Map<string, string> {
    const kept = new Set((entry.putClusters ?? []).map((c) => nameKey(c.name)));
    const stale = new Map<string, string>();
    for (const c of entry.deleteClusters ?? []) stale.set(nameKey(c.name), c.id);
    for (const c of entry.putClusters ?? []) {
      const before = this.state.clusters.get(c.id);
      if (before) stale.set(nameKey((JSON.parse(before) as ClusterRecord).name), c.id);
    }
    for (const key of kept) stale.delete(key);
    return stale;
  }

  /** Releases names, each only if it still points at the cluster that gave it up. */
  private async releaseNames(stale: Map<string, string>): Promise<void> {
    for (const [key, id] of stale) {
      const held = await this.names.get(key).catch(() => null);
      if (held && held.operation === 'PUT' && held.string() === id) await this.names.delete(key, { previousSeq: held.revision }).catch(() => {});
    }
  }

  async listOutbox(limit: number): Promise<OutboxEntry[]> {
    await this.outbox?.refresh();
    await this.tailPassed(this.ownSeq);
    return this.outbox?.list(limit, this.tailSeq) ?? [];
  }

  async removeOutbox(keys: string[]): Promise<void> {
    await this.outbox?.remove(keys);
  }

  async countOutbox(): Promise<number> {
    await this.tailPassed(this.ownSeq);
    return this.outbox?.count(this.tailSeq) ?? 0;
  }

  /** Waits (a second at most: NATS may be down) until the tail delivered `seq`, so this store's own events are listed. */
  private async tailPassed(seq: number): Promise<void> {
    for (const deadline = Date.now() + 1000; this.tailSeq < seq && Date.now() < deadline && !this.closed; ) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  async installationId(): Promise<string> {
    return this.installation;
  }

  /** For `kadende store import` into an empty store, with no daemon running on it (a running one keeps the id it read). */
  async adoptInstallationId(id: string): Promise<void> {
    await (await new Kvm(this.connection).open(META_BUCKET)).put('installation', id);
    this.installation = id;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.chains.values()]);
    await Promise.allSettled([...this.snapshotJobs]);
    clearInterval(this.watchdog);
    this.outbox?.close();
    await this.tail?.close().catch(() => {});
    await this.tailing;
    if (this.ownsConnection) await this.connection.close().catch(() => {});
  }
}
