/**
 * A bucket that answers before the store relies on it. On nats-server 2.9 the first direct get
 * after hosts create one bucket at once can go unanswered (5 s client timeout, then the next get
 * answers at once); a daemon's store open used to fail on it. Here a proxy loses that first get.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createBucket } from '../../host/store/nats-buckets.js';
import { NatsProxy } from '../support/nats-proxy.js';
import { NatsServer } from '../support/nats-server.js';

let nats: NatsServer;
let proxy: NatsProxy;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await NatsServer.start();
  let lost = false;
  proxy = await NatsProxy.start({ host: '127.0.0.1', port: nats.port }, (subject) => {
    if (lost || !subject.startsWith('$JS.API.DIRECT.GET.KV_probed')) return false;
    return (lost = true);
  });
  nc = await connect({ servers: proxy.url });
});

afterAll(async () => {
  await nc?.close();
  await proxy?.stop();
  await nats?.stop();
});

it('answers the first get after a create even when the server lost the first direct get', async () => {
  const bucket = await createBucket(nc, 'probed', { history: 1 });
  expect(proxy.dropped).toEqual(['$JS.API.DIRECT.GET.KV_probed.$KV.probed.kadende-probe']);
  await bucket.put('installation', 'one');
  expect((await bucket.get('installation'))?.string()).toBe('one');
});
