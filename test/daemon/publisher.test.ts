import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer, readStream, until } from '../support/nats-server.js';
import { fileCluster, openTestService, type TestService } from '../support/service.js';
import { makeEvent } from '../../host/events/event.js';
import type { KadendeEvent } from '../../model/index.js';
import { OutboxPublisher } from '../../host/events/publisher.js';

const logger = pino({ level: 'silent' });

describe('OutboxPublisher', () => {
  let nats: NatsServer;
  let t: TestService;
  let publisher: OutboxPublisher | undefined;

  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.stop();
  });
  afterEach(async () => {
    await publisher?.stop(0);
    publisher = undefined;
    await t?.close();
  });

  it('publishes the events of a reconcile on kadende.events.<clusterId>.<type>, in order, and empties the outbox', async () => {
    t = await openTestService({ outbox: true });
    const { cluster } = await t.service.apply(fileCluster('ordered', join(t.dir, 'resources'), 3), 'cluster.yaml');
    publisher = new OutboxPublisher({ servers: nats.url, store: t.store, feed: t.store.feed, logger });
    publisher.start();
    await t.service.reconcile(cluster.id, { wait: true, timeoutMs: 20_000, intervalMs: 50 });

    await until(async () => (await t.store.countOutbox()) === 0, 15_000, 'outbox drained');
    const stored = await t.store.listEvents(cluster.id);
    expect(stored.length).toBeGreaterThan(4);
    const received = await readStream(nats.url, `kadende.events.${cluster.id}.>`, stored.length);
    expect(received.map((m) => (m.data as KadendeEvent).id)).toEqual(stored.map((e) => e.id));
    expect(received.map((m) => m.subject)).toEqual(stored.map((e) => `kadende.events.${cluster.id}.${e.type}`));
    expect(received.map((m) => m.msgID)).toEqual(stored.map((e) => e.id));
    expect(received.map((m) => (m.data as KadendeEvent).type)).toContain('io.kadende.resource.created');
  });

  it('delivers every event exactly once and in order when NATS is stopped mid-stream and restarted', async () => {
    t = await openTestService({ outbox: true });
    publisher = new OutboxPublisher({ servers: nats.url, store: t.store, feed: t.store.feed, logger, ackTimeoutMs: 1000, window: 64 });
    publisher.start();
    const clusters = ['outage-a', 'outage-b', 'outage-c'];
    const written: KadendeEvent[] = [];
    const produce = async (batches: number) => {
      for (let i = 0; i < batches; i += 1) {
        const events = clusters.map((clusterId) => makeEvent('io.kadende.resource.observed', { clusterId, cause: `event ${written.length}`, n: written.length }));
        written.push(...events);
        await t.store.commit({ events });
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };

    await produce(150);
    // Some events are acknowledged, some in flight, some queued: stop the server abruptly.
    await until(() => publisher!.status().published > 0, 10_000, 'first events published');
    await nats.halt('SIGKILL');
    await produce(150);
    expect(await t.store.countOutbox()).toBeGreaterThan(0);
    await nats.resume();
    await produce(150);

    await until(async () => (await t.store.countOutbox()) === 0, 30_000, 'outbox drained after the restart');
    for (const clusterId of clusters) {
      const expected = written.filter((e) => e.data.clusterId === clusterId).map((e) => e.id);
      const received = await readStream(nats.url, `kadende.events.${clusterId}.>`, expected.length);
      expect(received.map((m) => (m.data as KadendeEvent).id)).toEqual(expected);
    }
  });
});
