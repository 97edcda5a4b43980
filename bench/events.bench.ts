/**
 * Events: how fast they are committed to the store (alone, and with the
 * outbox), and how fast the publisher drains the outbox to JetStream with
 * every acknowledgement awaited. Uses its own nats-server on a free port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { makeEvent } from '../host/events/event.js';
import type { KadendeEvent } from '../model/index.js';
import { OutboxPublisher } from '../host/events/publisher.js';
import { LevelStore } from '../host/store/level-store.js';
import { NatsServer, until } from '../test/support/nats-server.js';
import { round, type BenchRow } from './harness.js';

const EVENTS = 20_000;
const BATCH = 10;

function events(count: number): KadendeEvent[] {
  return Array.from({ length: count }, (_, i) =>
    makeEvent('io.kadende.resource.observed', { clusterId: `bench-${i % 4}`, groupPath: 'web', resourceId: `r${i}`, cause: 'benchmark event' }),
  );
}

async function append(store: LevelStore, all: KadendeEvent[]): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < all.length; i += BATCH) await store.commit({ events: all.slice(i, i + BATCH) });
  return all.length / ((performance.now() - started) / 1000);
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kadende-bench-events-'));
  const nats = await NatsServer.start();
  const rows: BenchRow[] = [];
  try {
    const plain = await LevelStore.open(join(dir, 'plain'));
    const plainRate = await append(plain, events(EVENTS));
    await plain.close();
    rows.push({ benchmark: 'events', metric: 'appended (store)', value: round(plainRate, 0), unit: 'events/s', note: `${EVENTS} events, commits of ${BATCH}` });

    const store = await LevelStore.open(join(dir, 'outbox'), { outbox: true });
    const outboxRate = await append(store, events(EVENTS));
    rows.push({ benchmark: 'events', metric: 'appended (store + outbox)', value: round(outboxRate, 0), unit: 'events/s', note: `${EVENTS} events, commits of ${BATCH}` });

    const publisher = new OutboxPublisher({ servers: nats.url, store, logger: pino({ level: 'silent' }), pollMs: 10 });
    const started = performance.now();
    publisher.start();
    await until(async () => publisher.status().published >= EVENTS, 120_000, 'outbox drained');
    const drainRate = EVENTS / ((performance.now() - started) / 1000);
    await publisher.stop(0);
    rows.push({ benchmark: 'events', metric: 'drained to JetStream (acked)', value: round(drainRate, 0), unit: 'events/s', note: 'window 256, file storage, every ack awaited before removal' });
    await store.close();
  } finally {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
