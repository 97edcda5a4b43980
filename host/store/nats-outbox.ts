/**
 * The fleet's outbox on a NATS store: every event of the journal, in journal order, after a
 * publish cursor every host shares (KV kadende-meta, key `outbox-cursor`: the journal sequence
 * and the index of the last event in that message the events stream has acknowledged).
 *
 * One host at a time publishes (the publisher role, host/store/nats-leases.ts): the publisher's
 * window of pipelined messages chains each to its predecessor (`Nats-Expected-Last-Msg-Id`),
 * which is stream-wide and so only holds with one publisher. A host that takes the role over
 * starts at the cursor the previous one left: not from zero, not skipping. The cursor moves
 * only by revision (compare-and-set), so a publisher that lost the role (paused, partitioned)
 * cannot move it back, and what it may still send is a duplicate the server drops by message
 * id within the events stream's duplicate window (2 h). Beyond it a republished event would be
 * stored twice: only a publisher whose cursor writes failed for 2 h can get there.
 *
 * Every host that may publish keeps the events of the messages after the cursor (pruned as the
 * cursor moves, watched in KV), so it can take the role over at once.
 */
import type { KV } from '@nats-io/kv';
import type { KadendeEvent } from '../../model/index.js';
import { isConflict } from './nats-errors.js';
import type { OutboxEntry } from './types.js';

export const OUTBOX_CURSOR_KEY = 'outbox-cursor';

/** Everything up to event `index` of journal message `seq` is published; index -1: none of `seq`. */
export interface OutboxCursor {
  seq: number;
  index: number;
}

const keyOf = (seq: number, index: number) => `${String(seq).padStart(16, '0')}:${String(index).padStart(6, '0')}`;
const cursorOf = (key: string): OutboxCursor => {
  const [seq, index] = key.split(':');
  return { seq: Number(seq), index: Number(index) };
};
const after = (a: OutboxCursor, b: OutboxCursor) => a.seq > b.seq || (a.seq === b.seq && a.index > b.index);

export class SharedOutbox {
  /** Journal messages with events after the cursor, by sequence. */
  private readonly pending = new Map<number, KadendeEvent[]>();
  private cursor: OutboxCursor = { seq: 0, index: -1 };
  /** Of the cursor's KV entry; 0 while it does not exist (no event was ever published). */
  private revision = 0;
  private watcher?: { stop(): void };
  private wasPublishing = false;

  private constructor(
    private readonly meta: KV,
    private readonly publishing: () => boolean,
  ) {}

  /** Reads the cursor and follows it: call before the journal is replayed, so what was published is not queued again. */
  static async open(meta: KV, publishing: () => boolean): Promise<SharedOutbox> {
    const outbox = new SharedOutbox(meta, publishing);
    const watcher = await meta.watch({ key: OUTBOX_CURSOR_KEY });
    outbox.watcher = watcher;
    const first = await meta.get(OUTBOX_CURSOR_KEY);
    if (first && first.operation === 'PUT') outbox.moved(first.json<OutboxCursor>(), first.revision);
    void (async () => {
      for await (const entry of watcher) if (entry.operation === 'PUT') outbox.moved(entry.json<OutboxCursor>(), entry.revision);
    })().catch(() => {});
    return outbox;
  }

  /** A journal message was applied (own acknowledgements may come ahead of the tail: order is restored by sequence). */
  add(seq: number, events: KadendeEvent[] | undefined): void {
    if (!events?.length || seq < this.cursor.seq || (seq === this.cursor.seq && this.cursor.index >= events.length - 1)) return;
    this.pending.set(seq, events);
  }

  /**
   * The oldest unpublished events, of journal messages up to `upTo` only (the tail's position:
   * every message before it is known here, so nothing can still arrive in between). Empty
   * unless this host is the publisher.
   */
  list(limit: number, upTo: number): OutboxEntry[] {
    if (!this.publishing()) return [];
    const out: OutboxEntry[] = [];
    for (const seq of [...this.pending.keys()].sort((a, b) => a - b)) {
      if (seq > upTo || out.length >= limit) break;
      const events = this.pending.get(seq)!;
      const from = seq === this.cursor.seq ? this.cursor.index + 1 : 0;
      for (let i = from; i < events.length && out.length < limit; i++) out.push({ key: keyOf(seq, i), event: events[i]! });
    }
    return out;
  }

  /**
   * On taking the publisher role: reads the cursor from KV, whatever the watch delivered (a watch
   * may trail, or stop at a server restart): the new publisher starts exactly where the last stopped.
   */
  async refresh(): Promise<void> {
    const publishing = this.publishing();
    if (publishing && !this.wasPublishing) {
      const current = await this.meta.get(OUTBOX_CURSOR_KEY);
      if (current && current.operation === 'PUT') this.moved(current.json<OutboxCursor>(), current.revision);
    }
    this.wasPublishing = publishing;
  }

  count(upTo: number): number {
    if (!this.publishing()) return 0;
    let n = 0;
    for (const [seq, events] of this.pending) if (seq <= upTo) n += seq === this.cursor.seq ? events.length - this.cursor.index - 1 : events.length;
    return n;
  }

  /** The publisher had these acknowledged: moves the shared cursor past the last of them (compare-and-set). */
  async remove(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const next = cursorOf(keys.reduce((a, b) => (a > b ? a : b)));
    if (!after(next, this.cursor)) return;
    const value = JSON.stringify(next);
    try {
      const revision = this.revision ? await this.meta.update(OUTBOX_CURSOR_KEY, value, this.revision) : await this.meta.create(OUTBOX_CURSOR_KEY, value);
      this.moved(next, revision);
    } catch (error) {
      // Another host moved it since (it took the role over): its cursor stands; what this one sent were duplicates.
      if (!isConflict(error)) throw error;
      const current = await this.meta.get(OUTBOX_CURSOR_KEY);
      if (current && current.operation === 'PUT') this.moved(current.json<OutboxCursor>(), current.revision);
    }
  }

  private moved(cursor: OutboxCursor, revision: number): void {
    if (revision < this.revision) return;
    this.revision = revision;
    this.cursor = cursor;
    for (const [seq, events] of this.pending) {
      if (seq < cursor.seq || (seq === cursor.seq && cursor.index >= events.length - 1)) this.pending.delete(seq);
    }
  }

  close(): void {
    this.watcher?.stop();
  }
}
