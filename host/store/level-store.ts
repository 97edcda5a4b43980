/**
 * The embedded default store: LevelDB through `level`, one sublevel per kind
 * of record, JSON values, every change one atomic batch.
 *
 *   clusters   id -> ClusterRecord
 *   names      lower-cased name -> id (names are unique, case-insensitively)
 *   resources  clusterId!groupPath!resourceId -> ResourceRecord
 *   events     clusterId!eventId -> KadendeEvent (event ids are uuid v7: time-ordered)
 *   outbox     eventId -> KadendeEvent, drained by the NATS publisher
 *
 * Resource records are also kept in memory, per cluster, written through on every commit
 * (issue 15): a converged pass of a fleet read every record from LevelDB, one iterator per
 * group, on every pass, and that was most of the daemon's steady cost. The store belongs to
 * one process at a time (LevelDB's lock), and every write goes through commit(), so the
 * cache cannot go stale; a cluster is loaded from disk on its first read, and the least
 * recently read clusters are dropped past `cachedRecords`. Cluster records are kept too, as the
 * JSON text LevelDB holds (each read parses its own copy), dropped by every commit that writes them.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import type { KadendeEvent, ClusterRecord, ResourceRecord } from '../../model/index.js';
import { eventFilter, type Change, type EventQuery, type OutboxEntry, type Store } from './types.js';
import { kadendeError } from '../../errors/index.js';
import { makePrivateDirAndFiles } from '../../lib/index.js';

// Values are typed at the edges of this class: every read below says what it reads.
type Sublevel<_V> = ReturnType<Level<string, unknown>['sublevel']>;
// '!' sorts before every character allowed in ids and group names.
const SEP = '!';
const UPPER = '\xff';

export interface LevelStoreOptions {
  /** Also queue each event in the outbox for a publisher. */
  outbox?: boolean;
  /** false: a store that does not exist yet is an error (KADENDE_ERR_STORE_NOT_FOUND), never created. Default true. */
  createIfMissing?: boolean;
  /** Resource records kept in memory (whole clusters, least recently read dropped first); 0: none. Default 250,000. */
  cachedRecords?: number;
}

/** One cluster's records in memory: key (groupPath!id) -> record; `sorted` false once a new key came in out of order. */
interface ClusterRecords {
  byKey: Map<string, ResourceRecord>;
  sorted: boolean;
}

export class LevelStore implements Store {
  private readonly clusters: Sublevel<ClusterRecord>;
  private readonly names: Sublevel<string>;
  private readonly resources: Sublevel<ResourceRecord>;
  private readonly events: Sublevel<KadendeEvent>;
  private readonly outbox: Sublevel<KadendeEvent>;
  private readonly durableQueue: Array<{ ops: unknown[]; resolve: () => void; reject: (error: unknown) => void }> = [];
  private syncing = false;
  /** Cluster id -> its ClusterRecord as JSON text, for clusters read since a commit last touched them. */
  private readonly clusterTexts = new Map<string, string>();
  /** Bumped by every commit that puts or deletes a cluster record: a read that raced one is not kept. */
  private readonly clusterVersions = new Map<string, number>();
  /** Cluster id -> its records, in least-recently-read order (a Map keeps insertion order). */
  private readonly cache = new Map<string, ClusterRecords>();
  private cachedCount = 0;
  /** Bumped by every commit that touches a cluster's records: a load that raced one is not kept. */
  private readonly versions = new Map<string, number>();
  private readonly cacheLimit: number;

  private constructor(
    private readonly db: Level<string, unknown>,
    private readonly options: LevelStoreOptions,
    private installation: string,
  ) {
    const sub = <V>(name: string) => db.sublevel<string, V>(name, { valueEncoding: 'json' }) as unknown as Sublevel<V>;
    this.clusters = sub('clusters');
    this.names = sub('names');
    this.resources = sub('resources');
    this.events = sub('events');
    this.outbox = sub('outbox');
    this.cacheLimit = options.cachedRecords ?? 250_000;
  }

  /**
   * Opens (creating, unless told not to) the store in `directory`; one process at a time. The
   * folder is made 0700 (an existing one narrowed, its files to 0600) before LevelDB writes into
   * it with the process umask: the store is its user's alone. (An open() call that fails later
   * leaves the narrowed modes: narrower is safe.)
   */
  static async open(directory: string, options: LevelStoreOptions = {}): Promise<LevelStore> {
    const create = options.createIfMissing ?? true;
    // LevelDB's CURRENT file names its manifest: without it there is no store here.
    if (!create && !existsSync(join(directory, 'CURRENT'))) throw kadendeError('KADENDE_ERR_STORE_NOT_FOUND', directory);
    if (create) mkdirSync(directory, { recursive: true });
    makePrivateDirAndFiles(directory);
    const db = new Level<string, unknown>(directory, { valueEncoding: 'json', createIfMissing: create });
    try {
      await db.open();
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw kadendeError('KADENDE_ERR_STORE_LOCKED', directory).with({ cause: error });
      }
      throw kadendeError('KADENDE_ERR_STORE_OPEN', directory, (error as Error).message).with({ cause: error });
    }
    // And the files LevelDB made while opening (later ones are out of reach behind the 0700 folder).
    makePrivateDirAndFiles(directory);
    // The installation id is made with the store and kept in it.
    const meta = db.sublevel<string, string>('meta', { valueEncoding: 'utf8' });
    let installation = await meta.get('installation');
    if (installation === undefined) {
      installation = randomUUID();
      await meta.put('installation', installation);
    }
    return new LevelStore(db, options, installation);
  }

  async getCluster(id: string): Promise<ClusterRecord | undefined> {
    const text = this.clusterTexts.get(id);
    if (text !== undefined) return JSON.parse(text) as ClusterRecord;
    const version = this.clusterVersions.get(id) ?? 0;
    // As stored, unparsed: the text is what is kept.
    const stored = (await this.clusters.get(id, { valueEncoding: 'utf8' })) as string | undefined;
    if (stored === undefined) return undefined;
    this.keepClusterText(id, version, stored);
    return JSON.parse(stored) as ClusterRecord;
  }

  /**
   * Keeps a cluster record as the JSON text LevelDB holds, unless a commit touched it since the
   * read began: every pass reads its cluster, and a LevelDB get (a trip to libuv's thread pool)
   * was the largest item of a steady fleet pass's profile; parsing the text gives each caller its
   * own copy, as a read from disk does.
   */
  private keepClusterText(id: string, version: number, text: string): void {
    if (this.cacheLimit <= 0 || (this.clusterVersions.get(id) ?? 0) !== version) return;
    this.clusterTexts.set(id, text);
    // Past the limit, the record read longest ago goes first (a Map keeps insertion order).
    if (this.clusterTexts.size > this.cacheLimit) this.clusterTexts.delete(this.clusterTexts.keys().next().value!);
  }

  async findClusterByName(name: string): Promise<ClusterRecord | undefined> {
    const id = (await this.names.get(name.toLowerCase())) as string | undefined;
    return id === undefined ? undefined : this.getCluster(id);
  }

  async listClusters(): Promise<ClusterRecord[]> {
    return (await this.clusters.values().all()) as ClusterRecord[];
  }

  async listClusterIds(): Promise<string[]> {
    return (await this.clusters.keys().all()) as string[];
  }

  async listResources(clusterId: string, groupPath?: string): Promise<ResourceRecord[]> {
    const records = this.cache.get(clusterId) ?? (await this.loadCluster(clusterId));
    if (records === undefined) {
      const prefix = groupPath === undefined ? `${clusterId}${SEP}` : `${clusterId}${SEP}${groupPath}${SEP}`;
      return (await this.resources.values({ gte: prefix, lt: `${prefix}${UPPER}` }).all()) as ResourceRecord[];
    }
    // Least recently read goes first when the cache is full.
    this.cache.delete(clusterId);
    this.cache.set(clusterId, records);
    if (!records.sorted) {
      // Listed in key order, as LevelDB lists them.
      records.byKey = new Map([...records.byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      records.sorted = true;
    }
    const out: ResourceRecord[] = [];
    // Records hold only primitive fields: a shallow copy is a copy (callers never get what is stored).
    for (const record of records.byKey.values()) if (groupPath === undefined || record.groupPath === groupPath) out.push({ ...record });
    return out;
  }

  /**
   * Reads every cluster's records into memory in one ordered scan, until the cache is full: a
   * daemon's first pass reads them all anyway, and one iterator over the records costs far less
   * than one per cluster. Loading 10,000 clusters' records one iterator each, four passes at once,
   * left the process 90 MB larger (native memory LevelDB's reads left behind) than this scan does.
   * A cluster a commit touches during the scan is left to be read on demand: the scan reads a
   * snapshot, which may predate the commit.
   */
  async warmRecords(): Promise<void> {
    if (this.cacheLimit <= 0) return;
    await this.warmResources();
    await this.warmClusterRecords();
  }

  private async warmClusterRecords(): Promise<void> {
    const versions = new Map(this.clusterVersions);
    for await (const [id, text] of this.clusters.iterator({ valueEncoding: 'utf8' }) as AsyncIterable<[string, string]>) {
      if (this.clusterTexts.size >= this.cacheLimit) return;
      if (!this.clusterTexts.has(id)) this.keepClusterText(id, versions.get(id) ?? 0, text);
    }
  }

  private async warmResources(): Promise<void> {
    const versions = new Map(this.versions);
    let clusterId: string | undefined;
    let entries: Array<[string, ResourceRecord]> = [];
    const keep = () => {
      if (clusterId === undefined || this.cache.has(clusterId) || (this.versions.get(clusterId) ?? 0) !== (versions.get(clusterId) ?? 0)) return;
      const prefixLength = clusterId.length + SEP.length;
      this.cache.set(clusterId, { byKey: new Map(entries.map(([key, record]) => [key.slice(prefixLength), record])), sorted: true });
      this.cachedCount += entries.length;
    };
    for await (const [key, record] of this.resources.iterator() as AsyncIterable<[string, ResourceRecord]>) {
      const id = key.slice(0, key.indexOf(SEP));
      if (id !== clusterId) {
        keep();
        if (this.cachedCount >= this.cacheLimit) return;
        clusterId = id;
        entries = [];
      }
      entries.push([key, record]);
    }
    if (this.cachedCount + entries.length <= this.cacheLimit) keep();
  }

  /** Reads a cluster's records from disk into the cache; undefined when they cannot be kept (no cache, or a commit raced the read). */
  private async loadCluster(clusterId: string): Promise<ClusterRecords | undefined> {
    if (this.cacheLimit <= 0) return undefined;
    const version = this.versions.get(clusterId) ?? 0;
    const prefix = `${clusterId}${SEP}`;
    const entries = (await this.resources.iterator({ gte: prefix, lt: `${prefix}${UPPER}` }).all()) as Array<[string, ResourceRecord]>;
    if ((this.versions.get(clusterId) ?? 0) !== version) return undefined;
    const loaded = this.cache.get(clusterId);
    if (loaded) return loaded;
    const records: ClusterRecords = { byKey: new Map(entries.map(([key, record]) => [key.slice(prefix.length), record])), sorted: true };
    this.cache.set(clusterId, records);
    this.cachedCount += records.byKey.size;
    this.evict();
    return records;
  }

  private evict(): void {
    for (const [id, records] of this.cache) {
      if (this.cachedCount <= this.cacheLimit || this.cache.size <= 1) break;
      this.cache.delete(id);
      this.cachedCount -= records.byKey.size;
    }
  }

  /** Drops the clusters a change puts or deletes from the text cache; the next read takes them from disk. */
  private forgetClusterTexts(change: Change): void {
    for (const cluster of [...(change.putClusters ?? []), ...(change.deleteClusters ?? [])]) {
      this.clusterVersions.set(cluster.id, (this.clusterVersions.get(cluster.id) ?? 0) + 1);
      this.clusterTexts.delete(cluster.id);
    }
  }

  private bumpVersions(change: Change): void {
    const touched = new Set<string>();
    for (const record of change.putResources ?? []) touched.add(record.clusterId);
    for (const key of change.deleteResources ?? []) touched.add(key.clusterId);
    for (const id of touched) this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
  }

  private dropFromCache(change: Change): void {
    this.bumpVersions(change);
    for (const id of new Set([...(change.putResources ?? []), ...(change.deleteResources ?? [])].map((r) => r.clusterId))) {
      const records = this.cache.get(id);
      if (!records) continue;
      this.cache.delete(id);
      this.cachedCount -= records.byKey.size;
    }
  }

  /** After a batch is written: what it changed, in the clusters held in memory (a cluster not held is read from disk when asked for). */
  private applyToCache(change: Change): void {
    // A load that started before this write finished must not keep what it read (loadCluster).
    this.bumpVersions(change);
    for (const record of change.putResources ?? []) {
      const records = this.cache.get(record.clusterId);
      if (!records) continue;
      const key = `${record.groupPath}${SEP}${record.id}`;
      if (!records.byKey.has(key)) {
        this.cachedCount += 1;
        // A new key lands at the end of the map: sorted again on the next read.
        records.sorted = false;
      }
      records.byKey.set(key, stored(record));
    }
    for (const key of change.deleteResources ?? []) {
      const records = this.cache.get(key.clusterId);
      if (records?.byKey.delete(`${key.groupPath}${SEP}${key.id}`)) this.cachedCount -= 1;
    }
    this.evict();
  }

  async listEvents(clusterId: string, query: EventQuery = {}): Promise<KadendeEvent[]> {
    const prefix = `${clusterId}${SEP}`;
    const range = {
      ...(query.after === undefined ? { gte: prefix } : { gt: `${prefix}${query.after}` }),
      lt: query.before === undefined ? `${prefix}${UPPER}` : `${prefix}${query.before}`,
      reverse: query.reverse ?? false,
    };
    const limit = query.limit ?? -1;
    const matches = eventFilter(query);
    if (!matches) return (await this.events.values({ ...range, limit }).all()) as KadendeEvent[];
    // Filtered: read on until the page is full, so a rare type still fills it.
    const found: KadendeEvent[] = [];
    if (limit === 0) return found;
    for await (const event of this.events.values(range) as AsyncIterable<KadendeEvent>) {
      if (!matches(event)) continue;
      found.push(event);
      if (found.length === limit) break;
    }
    return found;
  }

  async commit(change: Change): Promise<void> {
    type Op = { type: 'put'; sublevel: unknown; key: string; value: unknown } | { type: 'del'; sublevel: unknown; key: string };
    const ops: Op[] = [];
    for (const cluster of change.putClusters ?? []) {
      ops.push({ type: 'put', sublevel: this.clusters, key: cluster.id, value: cluster });
      ops.push({ type: 'put', sublevel: this.names, key: cluster.name.toLowerCase(), value: cluster.id });
    }
    for (const cluster of change.deleteClusters ?? []) {
      ops.push({ type: 'del', sublevel: this.clusters, key: cluster.id });
      ops.push({ type: 'del', sublevel: this.names, key: cluster.name.toLowerCase() });
    }
    for (const record of change.putResources ?? []) {
      ops.push({ type: 'put', sublevel: this.resources, key: resourceKey(record), value: record });
    }
    for (const key of change.deleteResources ?? []) {
      ops.push({ type: 'del', sublevel: this.resources, key: resourceKey(key) });
    }
    for (const event of change.events ?? []) {
      ops.push({ type: 'put', sublevel: this.events, key: `${event.data.clusterId}${SEP}${event.id}`, value: event });
      if (this.options.outbox) ops.push({ type: 'put', sublevel: this.outbox, key: event.id, value: event });
    }
    if (ops.length === 0) return;
    // A load of a touched cluster that is reading now must not keep what it read (loadCluster, getCluster).
    this.bumpVersions(change);
    this.forgetClusterTexts(change);
    try {
      if (change.durable) await this.writeDurable(ops);
      else await this.db.batch(ops as never);
    } catch (error) {
      // What is in memory may be ahead of or behind a batch that failed midway: read those clusters again.
      this.dropFromCache(change);
      this.forgetClusterTexts(change);
      throw error;
    }
    this.forgetClusterTexts(change);
    this.applyToCache(change);
  }

  /**
   * Group commit: a durable change is written with `sync: true`; those that arrive while a sync
   * is running wait for it and then go together in one synced batch, so a scale-up of 1,000
   * pays a couple of fsyncs, not 1,000 one after the other. A merged batch that fails is
   * retried change by change, so each caller gets its own outcome and atomicity stays per change.
   */
  private writeDurable(ops: unknown[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.durableQueue.push({ ops, resolve, reject });
      if (!this.syncing) void this.flushDurable();
    });
  }

  private async flushDurable(): Promise<void> {
    this.syncing = true;
    try {
      while (this.durableQueue.length > 0) {
        const group = this.durableQueue.splice(0);
        try {
          await this.db.batch(group.flatMap((g) => g.ops) as never, { sync: true });
          for (const g of group) g.resolve();
        } catch (error) {
          if (group.length === 1) {
            group[0]!.reject(error);
            continue;
          }
          for (const g of group) {
            try {
              await this.db.batch(g.ops as never, { sync: true });
              g.resolve();
            } catch (own) {
              g.reject(own);
            }
          }
        }
      }
    } finally {
      this.syncing = false;
    }
  }

  async listOutbox(limit: number): Promise<OutboxEntry[]> {
    const entries = (await this.outbox.iterator({ limit }).all()) as Array<[string, KadendeEvent]>;
    return entries.map(([key, event]) => ({ key, event }));
  }

  async removeOutbox(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.outbox.batch(keys.map((key) => ({ type: 'del' as const, key })));
  }

  async countOutbox(): Promise<number> {
    let count = 0;
    for await (const _ of this.outbox.keys()) count += 1;
    return count;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async installationId(): Promise<string> {
    return this.installation;
  }

  async adoptInstallationId(id: string): Promise<void> {
    await this.db.sublevel<string, string>('meta', { valueEncoding: 'utf8' }).put('installation', id);
    this.installation = id;
  }
}

/** A record as LevelDB's JSON would give it back: fields that are undefined are left out. */
function stored(record: ResourceRecord): ResourceRecord {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) copy[key] = value;
  return copy as unknown as ResourceRecord;
}

function resourceKey(record: { clusterId: string; groupPath: string; id: string }): string {
  return `${record.clusterId}${SEP}${record.groupPath}${SEP}${record.id}`;
}
