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
  limit?: number;
  /** Newest first. */
  reverse?: boolean;
}

export interface Store {
  getCluster(id: string): Promise<ClusterRecord | undefined>;
  findClusterByName(name: string): Promise<ClusterRecord | undefined>;
  listClusters(): Promise<ClusterRecord[]>;
  listResources(clusterId: string, groupPath?: string): Promise<ResourceRecord[]>;
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
}
