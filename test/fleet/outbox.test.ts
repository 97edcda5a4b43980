/**
 * The fleet's shared publish cursor on a real nats-server: host a publishes some events, stops
 * publishing (its publisher dies) with more of its events committed but not published, and dies;
 * host b takes the publisher role over once a's expires. A plain NATS subscriber must get every
 * event exactly once, in commit order, and b must start where a stopped (not from zero: it
 * publishes only what a did not).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent, OutboxPublisher } from '../../host/events/index.js';
import { LeaseKeeper, NatsStore } from '../../host/store/index.js';
import type { KadendeEvent } from '../../model/index.js';
import { NatsServer, readStream, until } from '../support/nats-server.js';
import { cluster } from '../support/store-suite.js';

let nats: NatsServer;
let subscriber: NatsConnection;
const received: KadendeEvent[] = [];
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  nats = await NatsServer.start();
  subscriber = await connect({ servers: nats.url });
  const subscription = subscriber.subscribe('kadende.events.>');
  void (async () => {
    for await (const m of subscription) received.push(m.json<KadendeEvent>());
  })();
}, 20_000);
afterAll(async () => {
  await subscriber?.close();
  await nats?.stop();
});

/** `n` commits of one event each on cluster c1, in order. */
async function commitEvents(store: NatsStore, n: number, label: string): Promise<KadendeEvent[]> {
  const events: KadendeEvent[] = [];
  for (let i = 0; i < n; i++) {
    const event = makeEvent('io.kadende.resource.created', { clusterId: 'c1', groupPath: 'g', resourceId: `${label}${i}`, cause: `${label} ${i}` });
    await store.commit({ events: [event] });
    events.push(event);
  }
  return events;
}

describe('the shared publish cursor', () => {
  it('a host taking the publisher role over continues where the previous one stopped: every event once, in order', async () => {
    const clusters = async () => ['c1'];
    let a!: LeaseKeeper;
    let b!: LeaseKeeper;
    const storeA = await NatsStore.open(nats.url, { outbox: true, publishing: () => a.holdsPublisher() });
    a = await LeaseKeeper.open(storeA.connection, { hostId: 'a', leaseTtlMs: 1500, clusters, publisher: true });
    await a.tick();
    expect(a.holdsPublisher()).toBe(true);
    await storeA.commit({ putClusters: [cluster('c1', 'shop')] });
    const publisherA = new OutboxPublisher({ servers: nats.url, store: storeA, logger, pollMs: 20 });
    publisherA.start();
    const published = await commitEvents(storeA, 20, 'a-published-');
    await until(() => received.length === 20, 10_000, 'a publishes its first 20 events');
    await publisherA.stop(0);
    // a goes on committing, but its publisher is gone: these are in the journal only. Then a dies (nothing released).
    const unpublished = await commitEvents(storeA, 30, 'a-unpublished-');
    await storeA.close();

    const storeB = await NatsStore.open(nats.url, { outbox: true, publishing: () => b.holdsPublisher() });
    b = await LeaseKeeper.open(storeB.connection, { hostId: 'b', leaseTtlMs: 1500, clusters, publisher: true });
    await until(async () => (await b.tick(), b.holdsPublisher()), 10_000, "b takes the publisher role once a's expires");
    let publishedByB = 0;
    const publisherB = new OutboxPublisher({ servers: nats.url, store: storeB, logger, pollMs: 20, onPublished: (n) => (publishedByB += n) });
    publisherB.start();
    const own = await commitEvents(storeB, 10, 'b-');
    const all = [...published, ...unpublished, ...own];
    await until(() => received.length >= all.length, 10_000, 'b publishes what a left and its own');
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a duplicate to show
    expect(received.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(publishedByB).toBe(unpublished.length + own.length);
    const stream = await readStream(nats.url, 'kadende.events.c1.>', all.length);
    expect(stream.map((m) => m.msgID)).toEqual(all.map((e) => e.id));
    await publisherB.stop();
    await b.stop();
    await storeB.close();
  });
});
