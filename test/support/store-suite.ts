/**
 * The Store contract as one suite, run against every Store implementation
 * (LevelStore, MemoryStore; a NATS store later): `storeSuite(name, open)`.
 * `open` gives a fresh, empty store with the outbox on, and a way to reopen
 * what it committed (a restart) and to clean up.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEvent } from '../../host/events/event.js';
import type { ClusterRecord, ResourceRecord } from '../../model/index.js';
import { clusterIdsOf, type Store } from '../../host/store/types.js';

export interface OpenedStore {
  store: Store;
  /** Closes `store` (already closed is fine) and opens the same data again. */
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
}

export const cluster = (id: string, name: string): ClusterRecord => ({
  id,
  name,
  generation: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  spec: { id, name, version: '1', groups: [] },
  source: { file: 'x.yaml', text: '' },
  pins: {},
  retired: {},
});

export const record = (clusterId: string, groupPath: string, id: string): ResourceRecord => ({
  id,
  clusterId,
  groupPath,
  state: 'active',
  specHash: 'h',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  attempts: 1,
});

export function storeSuite(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await store.close().catch(() => {});
      await opened.cleanup();
    });

    it('finds clusters by id and by name, case-insensitively', async () => {
      await store.commit({ putClusters: [cluster('c1', 'Shop')] });
      expect((await store.getCluster('c1'))?.name).toBe('Shop');
      expect((await store.findClusterByName('shop'))?.id).toBe('c1');
      await store.commit({ deleteClusters: [cluster('c1', 'Shop')] });
      expect(await store.findClusterByName('SHOP')).toBeUndefined();
      expect(await store.getCluster('c1')).toBeUndefined();
    });

    it('lists clusters in id order', async () => {
      await store.commit({ putClusters: [cluster('c2', 'b'), cluster('c1', 'a'), cluster('c3', 'c')] });
      expect((await store.listClusters()).map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
      expect(await clusterIdsOf(store)).toEqual(['c1', 'c2', 'c3']);
    });

    it('lists resources per cluster and per group without bleeding into a group with a longer name', async () => {
      await store.commit({
        putResources: [record('c1', 'a', 'r1'), record('c1', 'a/b', 'r2'), record('c1', 'ab', 'r3'), record('c2', 'a', 'r4')],
      });
      expect((await store.listResources('c1', 'a')).map((r) => r.id)).toEqual(['r1']);
      expect((await store.listResources('c1', 'a/b')).map((r) => r.id)).toEqual(['r2']);
      expect((await store.listResources('c1')).map((r) => r.id).sort()).toEqual(['r1', 'r2', 'r3']);
      await store.commit({ deleteResources: [record('c1', 'a', 'r1')] });
      expect(await store.listResources('c1', 'a')).toEqual([]);
    });

    it('replaces a record on a second put and hands out copies, never what it stores', async () => {
      await store.commit({ putResources: [record('c1', 'a', 'r1')] });
      await store.commit({ putResources: [{ ...record('c1', 'a', 'r1'), state: 'deleting' }] });
      const [read] = await store.listResources('c1', 'a');
      expect(read?.state).toBe('deleting');
      read!.state = 'failed';
      expect((await store.listResources('c1', 'a'))[0]?.state).toBe('deleting');
    });

    it('writes a record, its event and its outbox entry in one batch, and keeps events in order', async () => {
      const events = Array.from({ length: 5 }, (_, i) => makeEvent('io.kadende.resource.created', { clusterId: 'c1', groupPath: 'a', resourceId: `r${i}`, cause: `n${i}` }));
      await store.commit({ putResources: [record('c1', 'a', 'r0')], events });
      expect((await store.listEvents('c1')).map((e) => e.data.cause)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
      expect((await store.listEvents('c1', { limit: 2, reverse: true })).map((e) => e.data.cause)).toEqual(['n4', 'n3']);
      expect((await store.listEvents('c1', { after: events[2]!.id })).map((e) => e.data.cause)).toEqual(['n3', 'n4']);
      expect(await store.listEvents('c2')).toEqual([]);
      expect(await store.countOutbox()).toBe(5);
      const outbox = await store.listOutbox(10);
      expect(outbox.map((o) => o.event.id)).toEqual(events.map((e) => e.id));
      await store.removeOutbox(outbox.slice(0, 3).map((o) => o.key));
      expect(await store.countOutbox()).toBe(2);
    });

    it('pages events before an id and filters them by type and by group (a branch matches the groups under it)', async () => {
      const kinds = ['io.kadende.resource.created', 'io.kadende.resource.deleted'] as const;
      const groups = ['web', 'workers/queue', 'workers', 'webby', undefined];
      const events = Array.from({ length: 10 }, (_, i) =>
        makeEvent(kinds[i % 2]!, { clusterId: 'c1', ...(groups[i % 5] === undefined ? {} : { groupPath: groups[i % 5] }), cause: `n${i}` }),
      );
      await store.commit({ events });
      const causes = async (query: Parameters<Store['listEvents']>[1]) => (await store.listEvents('c1', query)).map((e) => e.data.cause);
      expect(await causes({ before: events[3]!.id })).toEqual(['n0', 'n1', 'n2']);
      expect(await causes({ before: events[7]!.id, reverse: true, limit: 2 })).toEqual(['n6', 'n5']);
      expect(await causes({ after: events[2]!.id, before: events[5]!.id })).toEqual(['n3', 'n4']);
      expect(await causes({ type: 'io.kadende.resource.deleted' })).toEqual(['n1', 'n3', 'n5', 'n7', 'n9']);
      expect(await causes({ group: 'workers' })).toEqual(['n1', 'n2', 'n6', 'n7']);
      expect(await causes({ group: 'web' })).toEqual(['n0', 'n5']);
      // A filtered page is full when enough events match, however many do not in between.
      expect(await causes({ group: 'workers', type: 'io.kadende.resource.created', reverse: true, limit: 2 })).toEqual(['n6', 'n2']);
      expect(await causes({ type: 'io.kadende.resource.deleted', before: events[9]!.id, reverse: true, limit: 3 })).toEqual(['n7', 'n5', 'n3']);
    });

    it('orders events by id whatever order they are committed in', async () => {
      const events = Array.from({ length: 4 }, (_, i) => makeEvent('io.kadende.resource.created', { clusterId: 'c1', cause: `n${i}` }));
      await store.commit({ events: [events[2]!, events[0]!] });
      await store.commit({ events: [events[3]!, events[1]!] });
      expect((await store.listEvents('c1')).map((e) => e.data.cause)).toEqual(['n0', 'n1', 'n2', 'n3']);
    });

    it('writes nothing of a batch that fails', async () => {
      const bad = { ...record('c1', 'a', 'r1'), cyclic: undefined as unknown };
      bad.cyclic = bad;
      const event = makeEvent('io.kadende.resource.created', { clusterId: 'c1', groupPath: 'a', resourceId: 'r0', cause: 'never written' });
      await expect(
        store.commit({ putClusters: [cluster('c1', 'shop')], putResources: [record('c1', 'a', 'r0'), bad as ResourceRecord], events: [event] }),
      ).rejects.toThrow(/circular/);
      expect(await store.getCluster('c1')).toBeUndefined();
      expect(await store.listResources('c1')).toEqual([]);
      expect(await store.listEvents('c1')).toEqual([]);
      expect(await store.countOutbox()).toBe(0);
    });

    it('applies concurrent durable changes, each on its own: a bad one fails alone', async () => {
      const bad = { ...record('c1', 'a', 'bad'), cyclic: undefined as unknown };
      bad.cyclic = bad;
      const outcomes = await Promise.allSettled([
        store.commit({ putResources: [record('c1', 'a', 'r1')], durable: true }),
        store.commit({ putResources: [record('c1', 'a', 'r2')], durable: true }),
        store.commit({ putResources: [record('c1', 'a', 'r3'), bad as ResourceRecord], durable: true }),
        store.commit({ putResources: [record('c1', 'a', 'r4')], durable: true }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect((await store.listResources('c1', 'a')).map((r) => r.id)).toEqual(['r1', 'r2', 'r4']);
      store = await opened.reopen();
      expect((await store.listResources('c1', 'a')).map((r) => r.id)).toEqual(['r1', 'r2', 'r4']);
    });

    it('keeps what was written across a reopen', async () => {
      await store.commit({ putClusters: [cluster('c1', 'shop')], putResources: [record('c1', 'a', 'r1')] });
      store = await opened.reopen();
      expect((await store.listResources('c1')).map((r) => r.id)).toEqual(['r1']);
      expect((await store.findClusterByName('SHOP'))?.id).toBe('c1');
    });

    it('adopts an installation id (store import into an empty store) and keeps it across a reopen', async () => {
      const adopted = '0190ffff-0000-7000-8000-000000000042';
      expect(await store.installationId()).not.toBe(adopted);
      await store.adoptInstallationId!(adopted);
      expect(await store.installationId()).toBe(adopted);
      store = await opened.reopen();
      expect(await store.installationId()).toBe(adopted);
    });
  });
}
