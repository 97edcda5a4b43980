/**
 * The embedded default store: LevelDB through `level`, one sublevel per kind
 * of record, JSON values, every change one atomic batch.
 *
 *   clusters   id -> ClusterRecord
 *   names      lower-cased name -> id (names are unique, case-insensitively)
 *   resources  clusterId!groupPath!resourceId -> ResourceRecord
 *   events     clusterId!eventId -> KadendeEvent (event ids are uuid v7: time-ordered)
 *   outbox     eventId -> KadendeEvent, drained by the NATS publisher
 */
import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import type { KadendeEvent, ClusterRecord, ResourceRecord } from '../../model/index.js';
import type { Change, EventQuery, OutboxEntry, Store } from './types.js';
import { kadendeError } from '../../errors/index.js';

// Values are typed at the edges of this class: every read below says what it reads.
type Sublevel<_V> = ReturnType<Level<string, unknown>['sublevel']>;
// '!' sorts before every character allowed in ids and group names.
const SEP = '!';
const UPPER = '\xff';

export interface LevelStoreOptions {
  /** Also queue each event in the outbox for a publisher. */
  outbox?: boolean;
}

export class LevelStore implements Store {
  private readonly clusters: Sublevel<ClusterRecord>;
  private readonly names: Sublevel<string>;
  private readonly resources: Sublevel<ResourceRecord>;
  private readonly events: Sublevel<KadendeEvent>;
  private readonly outbox: Sublevel<KadendeEvent>;
  private readonly durableQueue: Array<{ ops: unknown[]; resolve: () => void; reject: (error: unknown) => void }> = [];
  private syncing = false;

  private constructor(
    private readonly db: Level<string, unknown>,
    private readonly options: LevelStoreOptions,
  ) {
    const sub = <V>(name: string) => db.sublevel<string, V>(name, { valueEncoding: 'json' }) as unknown as Sublevel<V>;
    this.clusters = sub('clusters');
    this.names = sub('names');
    this.resources = sub('resources');
    this.events = sub('events');
    this.outbox = sub('outbox');
  }

  /** Opens (creating) the store in `directory`; one process at a time. */
  static async open(directory: string, options: LevelStoreOptions = {}): Promise<LevelStore> {
    mkdirSync(directory, { recursive: true });
    const db = new Level<string, unknown>(directory, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw kadendeError('KADENDE_ERR_STORE_LOCKED', directory).with({ cause: error });
      }
      throw kadendeError('KADENDE_ERR_STORE_OPEN', directory, (error as Error).message).with({ cause: error });
    }
    return new LevelStore(db, options);
  }

  async getCluster(id: string): Promise<ClusterRecord | undefined> {
    return (await this.clusters.get(id)) as ClusterRecord | undefined;
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
    const prefix = groupPath === undefined ? `${clusterId}${SEP}` : `${clusterId}${SEP}${groupPath}${SEP}`;
    return (await this.resources.values({ gte: prefix, lt: `${prefix}${UPPER}` }).all()) as ResourceRecord[];
  }

  async listEvents(clusterId: string, query: EventQuery = {}): Promise<KadendeEvent[]> {
    const prefix = `${clusterId}${SEP}`;
    const range = query.after === undefined ? { gte: prefix } : { gt: `${prefix}${query.after}` };
    return (await this.events
      .values({ ...range, lt: `${prefix}${UPPER}`, limit: query.limit ?? -1, reverse: query.reverse ?? false })
      .all()) as KadendeEvent[];
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
    if (change.durable) await this.writeDurable(ops);
    else await this.db.batch(ops as never);
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
}

function resourceKey(record: { clusterId: string; groupPath: string; id: string }): string {
  return `${record.clusterId}${SEP}${record.groupPath}${SEP}${record.id}`;
}
