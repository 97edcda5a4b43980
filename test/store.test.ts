import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEvent } from '../host/events/event.js';
import { dataDir } from '../host/cli/context.js';
import { LevelStore } from '../host/store/level-store.js';
import { MemoryState, MemoryStore } from '../host/store/memory-store.js';
import type { Store } from '../host/store/types.js';
import { cluster, record, storeSuite } from './support/store-suite.js';
import { natsServerForFile, until } from './support/nats-server.js';
import { NatsStore } from '../host/store/nats-store.js';
import { afterAll, beforeAll } from 'vitest';
import type { ResourceRecord } from '../model/index.js';

storeSuite('LevelStore', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kadende-store-'));
  let store: Store = await LevelStore.open(join(root, 'store'), { outbox: true });
  return {
    store,
    async reopen() {
      await store.close().catch(() => {});
      store = await LevelStore.open(join(root, 'store'), { outbox: true });
      return store;
    },
    async cleanup() {
      await store.close().catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
});

// The same contract on a store whose records were read ahead at every open, as the daemon does.
storeSuite('LevelStore, records read ahead', async () => {
  const root = mkdtempSync(join(tmpdir(), 'kadende-store-'));
  const open = async () => {
    const opened = await LevelStore.open(join(root, 'store'), { outbox: true });
    await opened.warmRecords();
    return opened;
  };
  let store: Store = await open();
  return {
    store,
    async reopen() {
      await store.close().catch(() => {});
      return (store = await open());
    },
    async cleanup() {
      await store.close().catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
});

// The same contract without LevelStore's in-memory record cache (every read from disk), and with a
// cache too small to hold more than one cluster (evictions on every read).
for (const [label, cachedRecords] of [['no record cache', 0], ['a one-record cache', 1]] as const) {
  storeSuite(`LevelStore, ${label}`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'kadende-store-'));
    let store: Store = await LevelStore.open(join(root, 'store'), { outbox: true, cachedRecords });
    return {
      store,
      async reopen() {
        await store.close().catch(() => {});
        store = await LevelStore.open(join(root, 'store'), { outbox: true, cachedRecords });
        return store;
      },
      async cleanup() {
        await store.close().catch(() => {});
        rmSync(root, { recursive: true, force: true });
      },
    };
  });
}

storeSuite('MemoryStore', async () => {
  const state = new MemoryState();
  return {
    store: new MemoryStore(state, { outbox: true }),
    reopen: async () => new MemoryStore(state, { outbox: true }),
    cleanup: async () => {},
  };
});

// One nats-server for the NATS store's tests; each test gets a fresh JetStream (the streams and buckets are dropped).
const natsServer = natsServerForFile(beforeAll, afterAll);

async function emptyNats(): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: natsServer().url });
  const jsm = await jetstreamManager(nc);
  for await (const s of jsm.streams.list()) await jsm.streams.delete(s.config.name);
  await nc.close();
}

storeSuite('NatsStore', async () => {
  await emptyNats();
  let store: Store = await NatsStore.open(natsServer().url, { outbox: true });
  return {
    store,
    async reopen() {
      await store.close().catch(() => {});
      store = await NatsStore.open(natsServer().url, { outbox: true });
      return store;
    },
    async cleanup() {
      await store.close().catch(() => {});
    },
  };
});

describe('NatsStore, two hosts on one journal', () => {
  let a: NatsStore;
  let b: NatsStore;
  beforeEach(async () => {
    await emptyNats();
    a = await NatsStore.open(natsServer().url);
    b = await NatsStore.open(natsServer().url);
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it("refuses a writer that has not seen the cluster's latest commit, and writes nothing of its change", async () => {
    await a.commit({ putClusters: [cluster('c1', 'shop')] });
    await b.sync();
    await b.commit({ putResources: [record('c1', 'g', 'r1')] });
    const stale = await NatsStore.open(natsServer().url);
    await b.commit({ putResources: [record('c1', 'g', 'r2')] });
    // A writer whose view lags (its tail has not delivered r2, as after a partition): the server, not the client, refuses it.
    (stale as unknown as { subjectSeq: Map<string, number> }).subjectSeq.set('kadende.journal.c1', 2);
    await expect(stale.commit({ putResources: [record('c1', 'g', 'r3')], events: [makeEvent('io.kadende.resource.created', { clusterId: 'c1', cause: 'x' })] })).rejects.toMatchObject({ code: 'KADENDE_ERR_STORE_CONFLICT' });
    await stale.close();
    await a.sync();
    expect((await a.listResources('c1')).map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(await a.listEvents('c1')).toEqual([]);
  });

  it('keeps cluster names unique across hosts, and frees a name when its cluster is deleted or renamed', async () => {
    await a.commit({ putClusters: [cluster('c1', 'Shop')] });
    await expect(b.commit({ putClusters: [cluster('c2', 'shop')] })).rejects.toMatchObject({ code: 'KADENDE_ERR_CLUSTER_NAME_TAKEN' });
    await a.commit({ putClusters: [cluster('c1', 'store')] });
    await b.commit({ putClusters: [cluster('c2', 'shop')] });
    await b.sync();
    expect((await b.findClusterByName('SHOP'))?.id).toBe('c2');
    expect((await b.findClusterByName('store'))?.id).toBe('c1');
    await a.sync();
    await a.commit({ deleteClusters: [cluster('c1', 'store')] });
    await b.sync();
    await b.commit({ putClusters: [cluster('c3', 'store')] });
    expect((await b.findClusterByName('store'))?.id).toBe('c3');
  });
});

describe('NatsStore, journal snapshots', () => {
  beforeEach(emptyNats);
  const journalCount = async () => {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: natsServer().url });
    try {
      return (await (await jetstreamManager(nc)).streams.info('KADENDE_JOURNAL')).state.messages;
    } finally {
      await nc.close();
    }
  };
  /** `n` commits on c1: twenty records rewritten in turn, every fifth deleted, one event each. */
  async function work(store: NatsStore, from: number, n: number): Promise<void> {
    for (let i = from; i < from + n; i++) {
      const id = `r${i % 20}`;
      const event = makeEvent('io.kadende.resource.created', { clusterId: 'c1', groupPath: 'g', resourceId: id, cause: `commit ${i}` });
      await store.commit(i % 5 === 4 ? { deleteResources: [record('c1', 'g', id)], events: [event] } : { putResources: [{ ...record('c1', 'g', id), attempts: i }], events: [event] });
    }
  }
  const view = async (store: NatsStore) => JSON.stringify([await store.getCluster('c1'), await store.listResources('c1'), await store.listEvents('c1'), await store.findClusterByName('shop')]);

  it('keeps the journal bounded, and a fresh open rebuilds the same state from the snapshot and the tail; fencing still holds', async () => {
    const writer = await NatsStore.open(natsServer().url, { snapshotEvery: 50 });
    await writer.commit({ putClusters: [cluster('c1', 'shop')] });
    await work(writer, 0, 600);
    await until(async () => (await journalCount()) <= 52, 10_000, 'the journal purged below the last snapshot');
    const fresh = await NatsStore.open(natsServer().url, { snapshotEvery: 50 });
    expect(await view(fresh)).toBe(await view(writer));
    expect(await fresh.listEvents('c1')).toHaveLength(600);
    // The subject's last message survived every purge: a writer that saw it is accepted, one that did not is refused.
    const subjectSeq = (writer as unknown as { subjectSeq: Map<string, number> }).subjectSeq;
    const seen = subjectSeq.get('kadende.journal.c1')!;
    await fresh.commit({ putResources: [record('c1', 'g', 'after-purge')] });
    // The writer's tail may have delivered that commit already: its view is set back to before it (a lagging host).
    subjectSeq.set('kadende.journal.c1', seen);
    await expect(writer.commit({ putResources: [record('c1', 'g', 'stale')] })).rejects.toMatchObject({ code: 'KADENDE_ERR_STORE_CONFLICT' });
    await writer.sync();
    expect(await view(writer)).toBe(await view(fresh));
    await fresh.close();
    await writer.close();
  });

  it('a reader that falls behind past a purge reloads the cluster from the newest snapshot: no gap', async () => {
    const writer = await NatsStore.open(natsServer().url, { snapshotEvery: 50 });
    await writer.commit({ putClusters: [cluster('c1', 'shop')] });
    await work(writer, 0, 30);
    const reader = await NatsStore.open(natsServer().url, { snapshotEvery: 50 });
    const internals = reader as unknown as { checkingTail: boolean; tail?: { close(): Promise<void> } };
    // The reader's tail stops (a slow or paused host), and its watchdog with it, while the writer goes on past three snapshots.
    internals.checkingTail = true;
    const tail = internals.tail;
    internals.tail = undefined;
    await tail?.close();
    await work(writer, 30, 170);
    await until(async () => (await journalCount()) <= 52, 10_000, 'the journal purged');
    internals.checkingTail = false; // the watchdog replaces the tail: the next message it reads follows a gap
    await until(async () => (await view(reader)) === (await view(writer)), 10_000, 'the reader caught up with the writer');
    expect(await reader.listEvents('c1')).toHaveLength(200);
    await reader.close();
    await writer.close();
  });

  it('stores a snapshot larger than a message in chunks, and rebuilds from it', async () => {
    const writer = await NatsStore.open(natsServer().url, { snapshotEvery: 50 });
    await writer.commit({ putClusters: [cluster('c1', 'shop')] });
    const padding = 'x'.repeat(400);
    for (let i = 0; i < 60; i++) {
      const events = Array.from({ length: 50 }, (_, j) => makeEvent('io.kadende.resource.created', { clusterId: 'c1', groupPath: 'g', resourceId: `r${j}`, cause: `${i}/${j} ${padding}` }));
      await writer.commit({ putResources: [record('c1', 'g', `r${i % 7}`)], events });
    }
    // 2,500 events of ~0.6 KB each at the snapshot: more than one 1 MB message holds.
    await until(async () => (await journalCount()) <= 12, 10_000, 'the journal purged below the chunked snapshot');
    const fresh = await NatsStore.open(natsServer().url);
    expect(await view(fresh)).toBe(await view(writer));
    expect(await fresh.listEvents('c1')).toHaveLength(3000);
    await fresh.close();
    await writer.close();
  });

  it('never purges events the fleet has not published yet', async () => {
    const writer = await NatsStore.open(natsServer().url, { snapshotEvery: 50, outbox: true });
    await writer.commit({ putClusters: [cluster('c1', 'shop')] });
    await work(writer, 0, 10);
    await writer.removeOutbox((await writer.listOutbox(5)).map((e) => e.key)); // published: five events
    await work(writer, 10, 190);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fresh = await NatsStore.open(natsServer().url, { outbox: true });
    expect((await fresh.listOutbox(1000)).map((e) => e.event.data.cause)).toEqual(Array.from({ length: 195 }, (_, i) => `commit ${i + 5}`));
    // Once published, a later snapshot purges them.
    await fresh.removeOutbox((await fresh.listOutbox(1000)).map((e) => e.key));
    await fresh.close();
    await writer.sync();
    await work(writer, 200, 60);
    // Purged up to the cursor (the last published message), which is all that was before these 60.
    await until(async () => (await journalCount()) <= 61, 10_000, 'the journal purged once the events were published');
    await writer.close();
  });
});

describe('LevelStore', () => {
  let root: string;
  let store: LevelStore;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'kadende-store-'));
    store = await LevelStore.open(join(root, 'store'), { outbox: true });
  });
  afterEach(async () => {
    await store.close().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  });

  it('lists what is on disk, in key order, while its record cache is written through', async () => {
    const record = (group: string, id: string, state = 'active') =>
      ({ id, clusterId: 'c1', groupPath: group, state, specHash: 'h', createdAt: 't', updatedAt: 't', attempts: 0 }) as ResourceRecord;
    await store.commit({ putResources: [record('b', 'r2'), record('a', 'r9')] });
    expect((await store.listResources('c1')).map((r) => r.id)).toEqual(['r9', 'r2']); // loaded into the cache
    await store.commit({ putResources: [record('a', 'r1'), record('b', 'r2', 'deleting'), { ...record('c', 'r3'), lastError: undefined }] });
    await store.commit({ deleteResources: [record('a', 'r9')] });
    const cached = await store.listResources('c1');
    const listed = await store.listResources('c1', 'b');
    listed[0]!.state = 'failed'; // a copy: what is stored does not change
    await store.close();
    store = await LevelStore.open(join(root, 'store'), { outbox: true });
    const fromDisk = await store.listResources('c1');
    expect(cached.map((r) => `${r.groupPath}/${r.id}/${r.state}`)).toEqual(['a/r1/active', 'b/r2/deleting', 'c/r3/active']);
    expect(cached).toStrictEqual(fromDisk);
  });

  it('reads every cluster ahead in one scan, up to the cache limit; a cluster a commit touches meanwhile is read on demand', async () => {
    const record = (clusterId: string, id: string, state = 'active') =>
      ({ id, clusterId, groupPath: 'web', state, specHash: 'h', createdAt: 't', updatedAt: 't', attempts: 0 }) as ResourceRecord;
    await store.commit({ putResources: ['c1', 'c2', 'c3', 'c4'].flatMap((c) => [record(c, 'r1'), record(c, 'r2')]) });
    await store.close();
    // Room for two clusters of two: the scan stops before a third.
    store = await LevelStore.open(join(root, 'store'), { outbox: true, cachedRecords: 4 });
    const scanning = store.warmRecords();
    // Committed while the scan runs: c2 must not be kept from the scan's older snapshot.
    await store.commit({ putResources: [record('c2', 'r1', 'deleting')] });
    await scanning;
    const cached = (store as unknown as { cache: Map<string, unknown> }).cache;
    expect([...cached.keys()]).toEqual(['c1', 'c3']);
    expect((await store.listResources('c2')).map((r) => `${r.id}/${r.state}`)).toEqual(['r1/deleting', 'r2/active']);
    expect((await store.listResources('c4')).map((r) => r.id)).toEqual(['r1', 'r2']);
  });

  it('keeps cluster records in memory: each read is its own copy, and what a commit writes is what the next read sees', async () => {
    await store.commit({ putClusters: [cluster('c1', 'shop')] });
    const first = (await store.getCluster('c1'))!;
    first.name = 'changed by a caller';
    expect((await store.getCluster('c1'))!.name).toBe('shop');
    await store.commit({ putClusters: [{ ...cluster('c1', 'shop'), generation: 2 }] });
    expect((await store.getCluster('c1'))!.generation).toBe(2);
    // A read from disk racing a commit must not keep the record it read before the commit.
    await store.commit({ putClusters: [{ ...cluster('c1', 'shop'), generation: 3 }] });
    const racing = store.getCluster('c1');
    await store.commit({ putClusters: [{ ...cluster('c1', 'shop'), generation: 4 }] });
    await racing;
    expect((await store.getCluster('c1'))!.generation).toBe(4);
    expect((await store.findClusterByName('SHOP'))!.generation).toBe(4);
    await store.commit({ deleteClusters: [cluster('c1', 'shop')] });
    expect(await store.getCluster('c1')).toBeUndefined();
    // Read ahead at a start, too.
    await store.commit({ putClusters: [cluster('c2', 'web')] });
    await store.close();
    store = await LevelStore.open(join(root, 'store'), { outbox: true });
    await store.warmRecords();
    expect((store as unknown as { clusterTexts: Map<string, string> }).clusterTexts.has('c2')).toBe(true);
    expect((await store.getCluster('c2'))!.name).toBe('web');
  });

  it('refuses a second opener of the same directory with a clear, coded error', async () => {
    await expect(LevelStore.open(join(root, 'store'))).rejects.toMatchObject({
      code: 'KADENDE_ERR_STORE_LOCKED',
      message: expect.stringContaining('is in use by another process'),
    });
  });
});

describe('MemoryStore', () => {
  it('refuses calls once closed, and keeps the committed state for the next opener', async () => {
    const state = new MemoryState();
    const store = new MemoryStore(state);
    await store.commit({ deleteResources: [] });
    await store.close();
    await expect(store.listClusters()).rejects.toThrow(/closed/);
    expect(await new MemoryStore(state).listClusters()).toEqual([]);
  });
});

describe('data dir', () => {
  it('is --data-dir, else KADENDE_DATA_DIR, else the XDG data dir', () => {
    expect(dataDir({ dataDir: '/x' }, { KADENDE_DATA_DIR: '/y' })).toBe('/x');
    expect(dataDir({}, { KADENDE_DATA_DIR: '/y' })).toBe('/y');
    expect(dataDir({}, {})).toMatch(/kadende$/);
  });
});
