/**
 * A store's tail of the journal across nats-server restarts: five stores follow one writer while
 * the server is killed and restarted three times; afterwards every store has applied every
 * message. (Before the tail had a watchdog, every tail stopped for good at a restart while the
 * writer went on: its reads froze, and so did the shared outbox of a publisher.)
 */
import { expect, it } from 'vitest';
import { NatsStore } from '../../host/store/index.js';
import { NatsServer, until } from '../support/nats-server.js';
import { cluster } from '../support/store-suite.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('every store keeps applying the journal across three restarts of the server', async () => {
  const nats = await NatsServer.start();
  const followers = await Promise.all([0, 1, 2, 3, 4].map(() => NatsStore.open(nats.url, { outbox: true })));
  const writer = await NatsStore.open(nats.url);
  let stop = false;
  let n = 0;
  const writing = (async () => {
    while (!stop) {
      try {
        await writer.commit({ putClusters: [cluster(`c${n % 5}`, `name-${n}`)] });
        n++;
      } catch {
        await sleep(50); // NATS is down, or the writer's view lags: try again
      }
    }
  })();
  try {
    for (let round = 0; round < 3; round++) {
      await sleep(1000);
      await nats.halt('SIGKILL');
      await sleep(2000);
      await nats.resume();
    }
    await sleep(1000);
    stop = true;
    await writing;
    // No new commit to wake a tail up: each must have caught up by itself.
    const names = async (s: NatsStore) => JSON.stringify(await s.listClusters());
    const expected = await names(writer);
    await until(async () => (await Promise.all(followers.map(names))).every((n) => n === expected), 10_000, 'every follower applied every commit');
    expect(n).toBeGreaterThan(20);
  } finally {
    for (const f of followers) await f.close();
    await writer.close();
    await nats.stop();
  }
}, 60_000);
