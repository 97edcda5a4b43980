/**
 * Live events: a Store wrapper that announces every committed batch of events
 * after LevelDB has written it. The API's Server-Sent Events and the NATS
 * publisher listen here instead of polling the store.
 */
import { EventEmitter } from 'node:events';
import { clusterIdsOf, type Change, type EventQuery, type OutboxEntry, type Store } from '../store/index.js';
import type { ClusterRecord, ResourceRecord, KadendeEvent } from '../../model/index.js';

export interface EventFeedEvents {
  /** Events of one committed batch, oldest first. */
  events: [KadendeEvent[]];
}

export class EventFeed extends EventEmitter<EventFeedEvents> {
  constructor() {
    super();
    // Every SSE client adds a listener: many followers are normal, not a leak.
    this.setMaxListeners(0);
  }
}

export class FeedStore implements Store {
  constructor(
    private readonly inner: Store,
    readonly feed: EventFeed = new EventFeed(),
  ) {}

  getCluster(id: string): Promise<ClusterRecord | undefined> {
    return this.inner.getCluster(id);
  }
  findClusterByName(name: string): Promise<ClusterRecord | undefined> {
    return this.inner.findClusterByName(name);
  }
  installationId(): Promise<string> {
    return this.inner.installationId();
  }
  listClusters(): Promise<ClusterRecord[]> {
    return this.inner.listClusters();
  }
  listClusterIds(): Promise<string[]> {
    return clusterIdsOf(this.inner);
  }
  listResources(clusterId: string, groupPath?: string): Promise<ResourceRecord[]> {
    return this.inner.listResources(clusterId, groupPath);
  }
  listEvents(clusterId: string, query?: EventQuery): Promise<KadendeEvent[]> {
    return this.inner.listEvents(clusterId, query);
  }
  async warmRecords(): Promise<void> {
    await this.inner.warmRecords?.();
  }

  async commit(change: Change): Promise<void> {
    await this.inner.commit(change);
    // Only after the write: a listener that reads the store finds what it was told about.
    if (change.events && change.events.length > 0) this.feed.emit('events', change.events);
  }

  listOutbox(limit: number): Promise<OutboxEntry[]> {
    return this.inner.listOutbox(limit);
  }
  removeOutbox(keys: string[]): Promise<void> {
    return this.inner.removeOutbox(keys);
  }
  countOutbox(): Promise<number> {
    return this.inner.countOutbox();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
