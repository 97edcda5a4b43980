/**
 * A Store in memory: what the simulator and unit tests run on. It keeps the
 * Store contract LevelStore keeps (one shared suite checks both, see
 * test/support/store-suite.ts): every change is applied atomically or not at
 * all, values are copied in and out (JSON, as LevelStore stores them, so a
 * caller never aliases what is stored), events are ordered by id per cluster,
 * and the outbox by event id.
 *
 * The committed state lives in a MemoryState that outlives the store: a
 * "crashed" process's store is dropped, and a new MemoryStore opened on the
 * same state sees exactly what was committed, as a reopened LevelDB does.
 */
import { randomUUID } from 'node:crypto';
import type { KadendeEvent } from '../../model/index.js';
import { eventFilter, type Change, type EventQuery, type OutboxEntry, type Store } from './types.js';
import type { ClusterRecord, ResourceRecord } from '../../model/index.js';

export interface MemoryStoreOptions {
  /** Also queue each event in the outbox for a publisher. */
  outbox?: boolean;
}

/** What a MemoryStore has committed: JSON text per key, as LevelDB would hold it. */
export class MemoryState {
  readonly clusters = new Map<string, string>();
  /** lower-cased name -> id */
  readonly names = new Map<string, string>();
  /** clusterId -> groupPath -> id -> record JSON */
  readonly resources = new Map<string, Map<string, Map<string, string>>>();
  /** clusterId -> events sorted by id */
  readonly events = new Map<string, Array<{ id: string; json: string }>>();
  readonly outbox = new Map<string, string>();
  /** Made on first use, as a store's on first open. */
  installation?: string;
  /** Commits applied: a cheap version number. */
  commits = 0;
}

const copy = <T>(json: string): T => JSON.parse(json) as T;

export class MemoryStore implements Store {
  private closed = false;

  constructor(
    readonly state: MemoryState = new MemoryState(),
    private readonly options: MemoryStoreOptions = {},
  ) {}

  private open(): void {
    if (this.closed) throw new Error('the memory store is closed');
  }

  async getCluster(id: string): Promise<ClusterRecord | undefined> {
    this.open();
    const json = this.state.clusters.get(id);
    return json === undefined ? undefined : copy<ClusterRecord>(json);
  }

  async findClusterByName(name: string): Promise<ClusterRecord | undefined> {
    this.open();
    const id = this.state.names.get(name.toLowerCase());
    return id === undefined ? undefined : this.getCluster(id);
  }

  async listClusters(): Promise<ClusterRecord[]> {
    this.open();
    return [...this.state.clusters.keys()].sort().map((id) => copy<ClusterRecord>(this.state.clusters.get(id)!));
  }

  async listClusterIds(): Promise<string[]> {
    this.open();
    return [...this.state.clusters.keys()].sort();
  }

  async listResources(clusterId: string, groupPath?: string): Promise<ResourceRecord[]> {
    this.open();
    const groups = this.state.resources.get(clusterId);
    if (!groups) return [];
    const paths = groupPath === undefined ? [...groups.keys()].sort() : [groupPath];
    const out: ResourceRecord[] = [];
    for (const path of paths) {
      const records = groups.get(path);
      if (!records) continue;
      for (const id of [...records.keys()].sort()) out.push(copy<ResourceRecord>(records.get(id)!));
    }
    return out;
  }

  async listEvents(clusterId: string, query: EventQuery = {}): Promise<KadendeEvent[]> {
    this.open();
    const { after, before } = query;
    let events = (this.state.events.get(clusterId) ?? []).filter((e) => (after === undefined || e.id > after) && (before === undefined || e.id < before));
    if (query.reverse) events = [...events].reverse();
    let parsed = events.map((e) => copy<KadendeEvent>(e.json));
    const matches = eventFilter(query);
    if (matches) parsed = parsed.filter(matches);
    if (query.limit !== undefined && query.limit >= 0) parsed = parsed.slice(0, query.limit);
    return parsed;
  }

  async commit(change: Change): Promise<void> {
    this.open();
    // Serialize everything first: a value that cannot be stored fails the whole change before any of it is applied.
    const putClusters = (change.putClusters ?? []).map((c) => ({ c, json: JSON.stringify(c) }));
    const putResources = (change.putResources ?? []).map((r) => ({ r, json: JSON.stringify(r) }));
    const events = (change.events ?? []).map((e) => ({ e, json: JSON.stringify(e) }));
    const { state } = this;
    for (const { c, json } of putClusters) {
      state.clusters.set(c.id, json);
      state.names.set(c.name.toLowerCase(), c.id);
    }
    for (const c of change.deleteClusters ?? []) {
      state.clusters.delete(c.id);
      state.names.delete(c.name.toLowerCase());
    }
    for (const { r, json } of putResources) {
      let groups = state.resources.get(r.clusterId);
      if (!groups) state.resources.set(r.clusterId, (groups = new Map()));
      let records = groups.get(r.groupPath);
      if (!records) groups.set(r.groupPath, (records = new Map()));
      records.set(r.id, json);
    }
    for (const key of change.deleteResources ?? []) {
      const records = state.resources.get(key.clusterId)?.get(key.groupPath);
      records?.delete(key.id);
      if (records?.size === 0) state.resources.get(key.clusterId)!.delete(key.groupPath);
    }
    for (const { e, json } of events) {
      let list = state.events.get(e.data.clusterId);
      if (!list) state.events.set(e.data.clusterId, (list = []));
      insertSorted(list, { id: e.id, json });
      if (this.options.outbox) state.outbox.set(e.id, json);
    }
    state.commits += 1;
  }

  async listOutbox(limit: number): Promise<OutboxEntry[]> {
    this.open();
    return [...this.state.outbox.keys()]
      .sort()
      .slice(0, limit)
      .map((key) => ({ key, event: copy<KadendeEvent>(this.state.outbox.get(key)!) }));
  }

  async removeOutbox(keys: string[]): Promise<void> {
    this.open();
    for (const key of keys) this.state.outbox.delete(key);
  }

  async countOutbox(): Promise<number> {
    this.open();
    return this.state.outbox.size;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async installationId(): Promise<string> {
    return (this.state.installation ??= randomUUID());
  }

  async adoptInstallationId(id: string): Promise<void> {
    this.state.installation = id;
  }
}

/** Events usually arrive in id order: append, else insert where the id sorts (a put of an existing id replaces it). */
function insertSorted(list: Array<{ id: string; json: string }>, item: { id: string; json: string }): void {
  const last = list[list.length - 1];
  if (last === undefined || last.id < item.id) {
    list.push(item);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.id < item.id) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo]?.id === item.id) list[lo] = item;
  else list.splice(lo, 0, item);
}
