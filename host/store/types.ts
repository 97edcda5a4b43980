import type { ClusterRecord, KadendeEvent, ResourceKey, ResourceRecord } from '../../model/index.js';

/** Everything in one change is written atomically, or nothing is. */
export interface Change {
  putClusters?: ClusterRecord[];
  deleteClusters?: ClusterRecord[];
  putResources?: ResourceRecord[];
  deleteResources?: ResourceKey[];
  events?: KadendeEvent[];
  /**
   * On disk (fsync) before commit resolves: the intent written before a create is, so a power
   * loss cannot lose the record of a create already sent. Durable changes that arrive while
   * one is being synced share the next sync (group commit).
   */
  durable?: boolean;
}

export interface OutboxEntry {
  /** Store key; pass back to removeOutbox. */
  key: string;
  event: KadendeEvent;
}

export interface EventQuery {
  /** Only events after this event id. */
  after?: string;
  /** Only events before this event id (with `reverse`, the page of older events). */
  before?: string;
  limit?: number;
  /** Newest first. */
  reverse?: boolean;
  /** Only events of this type (`io.kadende.resource.created`). */
  type?: string;
  /** Only events of this group or of groups under it (`workers` matches `workers/queue`). */
  group?: string;
}

/** The test of EventQuery's `type` and `group`, or undefined when it has neither (every event matches). */
export function eventFilter(query: EventQuery): ((event: KadendeEvent) => boolean) | undefined {
  const { type, group } = query;
  if (type === undefined && group === undefined) return undefined;
  return (event) => {
    if (type !== undefined && event.type !== type) return false;
    if (group === undefined) return true;
    const path = event.data.groupPath;
    return path !== undefined && (path === group || path.startsWith(`${group}/`));
  };
}

export interface Store {
  getCluster(id: string): Promise<ClusterRecord | undefined>;
  findClusterByName(name: string): Promise<ClusterRecord | undefined>;
  listClusters(): Promise<ClusterRecord[]>;
  /**
   * Every cluster's id, in id order, without reading the records: the scheduler asks on every
   * tick, and at fleet scale reading (and parsing) every ClusterRecord each second was the
   * daemon's largest steady cost (issue 15). Optional so a store may leave it out: callers fall
   * back to listClusters() (clusterIdsOf).
   */
  listClusterIds?(): Promise<string[]>;
  listResources(clusterId: string, groupPath?: string): Promise<ResourceRecord[]>;
  /**
   * Reads every cluster's records into memory ahead of the passes that will read them (the daemon,
   * at start). Optional: a store that holds them in memory anyway, or reads them cheaply, leaves it out.
   */
  warmRecords?(): Promise<void>;
  listEvents(clusterId: string, query?: EventQuery): Promise<KadendeEvent[]>;
  commit(change: Change): Promise<void>;
  /** Oldest first. */
  listOutbox(limit: number): Promise<OutboxEntry[]>;
  removeOutbox(keys: string[]): Promise<void>;
  countOutbox(): Promise<number>;
  close(): Promise<void>;
  /**
   * This installation's id, made with the store on its first open and kept with it: every resource
   * is tagged with it (kadende.installation), so two installations that share a cluster id never
   * delete each other's resources as orphans.
   */
  installationId(): Promise<string>;
  /**
   * Makes this store the installation `id` (`kadende store import` into an empty store: the
   * imported resources carry the exported installation's tag, and must stay this store's own).
   */
  adoptInstallationId?(id: string): Promise<void>;
}

/** A store's cluster ids: keys only where the store can, else from the records. */
export async function clusterIdsOf(store: Store): Promise<string[]> {
  if (store.listClusterIds) return store.listClusterIds();
  return (await store.listClusters()).map((c) => c.id);
}
