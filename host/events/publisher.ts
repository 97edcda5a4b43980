/**
 * Drains the store's outbox to a JetStream stream. Every event is published on
 * `kadende.events.<clusterId>.<type>` with its id as the message id, so a
 * publish retried after a lost acknowledgement is dropped by the server's
 * duplicate window instead of stored twice. An outbox entry is removed only
 * after the server acknowledged it: while NATS is down events wait in the
 * store, and nothing is lost across an outage or a restart of the daemon.
 *
 * Order: the outbox is read oldest first (event ids are uuid v7) and published
 * in windows of pipelined messages. Inside a window each message carries
 * `Nats-Expected-Last-Msg-Id` = its predecessor, so if one message is lost in
 * a dying connection the server refuses every later one of that window rather
 * than storing it ahead of the lost one; the next window starts again at the
 * first unacknowledged entry. The stream therefore holds events in outbox
 * order, which is time order for every cluster.
 */
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { exponentialBackoff } from '@kadende/plugin-sdk';
import type { KadendeEvent } from '../../model/index.js';
import type { EventFeed } from './feed.js';
import type { OutboxEntry, Store } from '../store/index.js';

export const DEFAULT_STREAM = 'KADENDE_EVENTS';
export const DEFAULT_SUBJECT_PREFIX = 'kadende.events';

export interface PublisherOptions {
  servers: string | string[];
  store: Store;
  logger: Logger;
  /** Wakes the publisher as soon as events are committed (else it polls). */
  feed?: EventFeed;
  stream?: string;
  subjectPrefix?: string;
  /** Messages in flight at once. */
  window?: number;
  ackTimeoutMs?: number;
  /** Poll interval when nothing woke the publisher. */
  pollMs?: number;
  /** First pause after a failure; doubles up to 5 s. */
  retryMs?: number;
  /** How long a retried publish is recognised as a duplicate (JetStream `duplicate_window`). */
  duplicateWindowMs?: number;
  /** Called with the number of events acknowledged, for metrics. */
  onPublished?: (count: number) => void;
}

export interface PublisherStatus {
  connected: boolean;
  published: number;
  lastError?: string;
}

export function eventSubject(event: KadendeEvent, prefix = DEFAULT_SUBJECT_PREFIX): string {
  return `${prefix}.${event.data.clusterId}.${event.type}`;
}

export class OutboxPublisher {
  private readonly stream: string;
  private readonly prefix: string;
  private readonly window: number;
  private readonly ackTimeoutMs: number;
  private readonly pollMs: number;
  private readonly retryMs: number;
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private streamReady = false;
  private stopping = false;
  private flushDeadline = 0;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** Set only while idle with nothing to do: a retry pause after a failure is not cut short by new events. */
  private wakeOnEvents?: () => void;
  private readonly state: PublisherStatus = { connected: false, published: 0 };
  /** Logged once per outage, not once per retry. */
  private outage = false;
  /** Events were committed since the outbox was last read: no need to wait. */
  private dirty = false;
  private readonly onEvents = () => {
    this.dirty = true;
    this.wakeOnEvents?.();
  };

  constructor(private readonly options: PublisherOptions) {
    this.stream = options.stream ?? DEFAULT_STREAM;
    this.prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
    this.window = options.window ?? 256;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    this.pollMs = options.pollMs ?? 1000;
    this.retryMs = options.retryMs ?? 250;
  }

  start(): void {
    if (this.loop) return;
    this.options.feed?.on('events', this.onEvents);
    this.loop = this.run();
  }

  status(): PublisherStatus {
    return { ...this.state };
  }

  /**
   * Stops after delivering what it can within `flushMs` (what is left stays in
   * the outbox for the next start), then closes the connection.
   */
  async stop(flushMs = 5000): Promise<void> {
    this.flushDeadline = Date.now() + flushMs;
    this.stopping = true;
    this.options.feed?.off('events', this.onEvents);
    this.wake?.();
    await this.loop;
    const nc = this.nc;
    this.nc = undefined;
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
    this.state.connected = false;
  }

  private async run(): Promise<void> {
    let failures = 0;
    for (;;) {
      if (this.stopping && Date.now() >= this.flushDeadline) return;
      try {
        const js = await this.connected();
        const sent = await this.drainOnce(js);
        if (this.outage) {
          this.outage = false;
          this.options.logger.info({ stream: this.stream }, 'NATS reachable again: delivering queued events');
        }
        failures = 0;
        if (sent === 0) {
          if (this.stopping) return;
          await this.idle(this.pollMs, true);
        }
      } catch (error) {
        failures += 1;
        this.state.lastError = (error as Error).message;
        if (!this.outage) {
          this.outage = true;
          this.options.logger.warn(
            { err: { message: (error as Error).message, code: (error as { code?: unknown }).code } },
            'cannot publish events to NATS: they queue in the outbox and are delivered when it is back',
          );
        }
        // A closed stopping publisher gives up at once; otherwise retry with backoff.
        if (this.stopping && (this.nc === undefined || Date.now() >= this.flushDeadline)) return;
        await this.idle(exponentialBackoff(failures - 1, this.retryMs, 5000, 5));
      }
    }
  }

  /** Resolves after `ms`, or earlier when events are committed or stop() is called. */
  private idle(ms: number, unlessDirty = false): Promise<void> {
    if (unlessDirty && this.dirty) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
      if (unlessDirty) this.wakeOnEvents = done;
    }).finally(() => {
      this.wake = undefined;
      this.wakeOnEvents = undefined;
    });
  }

  private async connected(): Promise<JetStreamClient> {
    if (!this.nc || this.nc.isClosed()) {
      this.streamReady = false;
      // Once connected the client reconnects by itself, forever; a failed first connect is retried by run().
      this.nc = await connect({
        servers: this.options.servers,
        name: 'kadende-daemon',
        timeout: 2000,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        pingInterval: 5000,
      });
      this.js = jetstream(this.nc, { timeout: this.ackTimeoutMs });
      this.state.connected = true;
      void this.watch(this.nc);
    }
    if (!this.streamReady) {
      await this.ensureStream(this.nc);
      this.streamReady = true;
    }
    return this.js!;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.state.connected = false;
      if (status.type === 'reconnect') {
        this.state.connected = true;
        // A server that came back without its state has no stream: check again.
        this.streamReady = false;
        this.wake?.();
      }
    }
  }

  private async ensureStream(nc: NatsConnection): Promise<void> {
    const jsm = await jetstreamManager(nc, { timeout: this.ackTimeoutMs });
    try {
      await jsm.streams.info(this.stream);
    } catch (error) {
      if ((error as { name?: string }).name !== 'StreamNotFoundError') throw error;
      await jsm.streams.add({
        name: this.stream,
        subjects: [`${this.prefix}.>`],
        storage: StorageType.File,
        duplicate_window: nanos(this.options.duplicateWindowMs ?? 2 * 3600_000),
      });
      this.options.logger.info({ stream: this.stream, subjects: `${this.prefix}.>` }, 'created the JetStream stream for events');
    }
  }

  /** Publishes one window; removes the acknowledged prefix from the outbox. Returns how many were delivered. */
  private async drainOnce(js: JetStreamClient): Promise<number> {
    this.dirty = false;
    const entries = await this.options.store.listOutbox(this.window);
    if (entries.length === 0) return 0;
    const results = await Promise.allSettled(entries.map((entry, i) => this.publish(js, entry, entries[i - 1])));
    let acked = 0;
    while (acked < results.length && results[acked]!.status === 'fulfilled') acked += 1;
    if (acked > 0) {
      await this.options.store.removeOutbox(entries.slice(0, acked).map((e) => e.key));
      this.state.published += acked;
      this.options.onPublished?.(acked);
    }
    if (acked < results.length) throw (results[acked] as PromiseRejectedResult).reason;
    return acked;
  }

  private publish(js: JetStreamClient, entry: OutboxEntry, previous: OutboxEntry | undefined): Promise<PubAck> {
    return js.publish(eventSubject(entry.event, this.prefix), JSON.stringify(entry.event), {
      msgID: entry.event.id,
      timeout: this.ackTimeoutMs,
      ...(previous ? { expect: { lastMsgID: previous.event.id } } : {}),
    });
  }
}
