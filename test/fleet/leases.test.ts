// Leases on a real nats-server: taken when free, kept by one host, expired when not renewed, and the fence of a pass's commits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseKeeper, NatsStore } from '../../host/store/index.js';
import { natsServerForFile, until } from '../support/nats-server.js';
import { cluster, record } from '../support/store-suite.js';

const natsServer = natsServerForFile(beforeAll, afterAll);

describe('cluster leases', () => {
  it('one holder per cluster, fair shares, and a stalled holder is fenced out before another takes over', async () => {
    let a!: LeaseKeeper;
    const store = await NatsStore.open(natsServer().url, { fence: (id) => a.fence(id) });
    await store.commit({ putClusters: [cluster('c1', 'one'), cluster('c2', 'two')] });
    const clusters = async () => (await store.listClusters()).map((c) => c.id);
    a = await LeaseKeeper.open(store.connection, { hostId: 'a', leaseTtlMs: 1500, clusters });
    await a.tick();
    expect(a.heldClusters()).toEqual(['c1', 'c2']);
    await store.commit({ putResources: [record('c1', 'g', 'r1')] });
    const b = await LeaseKeeper.open(store.connection, { hostId: 'b', leaseTtlMs: 1500, clusters });
    await b.tick(); // b announces itself; nothing is free yet
    expect(b.heldClusters()).toEqual([]);
    await a.tick(); // two hosts now: a gives one away
    await b.tick();
    expect(a.heldClusters().length).toBe(1);
    expect(b.heldClusters().length).toBe(1);
    const [mine] = a.heldClusters();
    // a stops renewing (a stalled host): it fences itself out after 2/3 of the lease, before the lease expires.
    await until(() => !a.holds(mine!), 3000, 'a stops counting the lease as its own');
    await expect(store.commit({ putResources: [record(mine!, 'g', 'r2')] })).rejects.toMatchObject({ code: 'KADENDE_ERR_LEASE_LOST' });
    // Cluster records (an apply from any host) are not a pass's work: not fenced.
    await store.commit({ putClusters: [cluster('c1', 'one')] });
    await until(async () => (await b.tick(), b.heldClusters().length === 2), 5000, 'b takes the expired lease');
    await b.stop();
    await store.close();
  });
});
