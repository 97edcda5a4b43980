import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataDir } from '../host/cli/context.js';
import { makeEvent } from '../host/events/event.js';
import { LevelStore } from '../host/store/level-store.js';
import type { ClusterRecord, ResourceRecord } from '../model/index.js';

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

const cluster = (id: string, name: string): ClusterRecord => ({
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
const record = (clusterId: string, groupPath: string, id: string): ResourceRecord => ({
  id,
  clusterId,
  groupPath,
  state: 'active',
  specHash: 'h',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  attempts: 1,
});

describe('LevelStore', () => {
  it('finds clusters by id and by name, case-insensitively', async () => {
    await store.commit({ putClusters: [cluster('c1', 'Shop')] });
    expect((await store.getCluster('c1'))?.name).toBe('Shop');
    expect((await store.findClusterByName('shop'))?.id).toBe('c1');
    await store.commit({ deleteClusters: [cluster('c1', 'Shop')] });
    expect(await store.findClusterByName('SHOP')).toBeUndefined();
  });

  it('lists resources per cluster and per group without bleeding into a group with a longer name', async () => {
    await store.commit({
      putResources: [record('c1', 'a', 'r1'), record('c1', 'a/b', 'r2'), record('c1', 'ab', 'r3'), record('c2', 'a', 'r4')],
    });
    expect((await store.listResources('c1', 'a')).map((r) => r.id)).toEqual(['r1']);
    expect((await store.listResources('c1', 'a/b')).map((r) => r.id)).toEqual(['r2']);
    expect((await store.listResources('c1')).map((r) => r.id).sort()).toEqual(['r1', 'r2', 'r3']);
  });

  it('writes a record, its event and its outbox entry in one batch, and keeps events in order', async () => {
    const events = Array.from({ length: 5 }, (_, i) => makeEvent('io.kadende.resource.created', { clusterId: 'c1', groupPath: 'a', resourceId: `r${i}`, cause: `n${i}` }));
    await store.commit({ putResources: [record('c1', 'a', 'r0')], events });
    expect((await store.listEvents('c1')).map((e) => e.data.cause)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect((await store.listEvents('c1', { limit: 2, reverse: true })).map((e) => e.data.cause)).toEqual(['n4', 'n3']);
    expect((await store.listEvents('c1', { after: events[2]!.id })).map((e) => e.data.cause)).toEqual(['n3', 'n4']);
    expect(await store.countOutbox()).toBe(5);
    const outbox = await store.listOutbox(10);
    expect(outbox.map((o) => o.event.id)).toEqual(events.map((e) => e.id));
    await store.removeOutbox(outbox.slice(0, 3).map((o) => o.key));
    expect(await store.countOutbox()).toBe(2);
  });

  it('writes nothing of a batch that fails', async () => {
    const bad = { ...record('c1', 'a', 'r1'), cyclic: undefined as unknown };
    bad.cyclic = bad;
    const event = makeEvent('io.kadende.resource.created', { clusterId: 'c1', groupPath: 'a', resourceId: 'r0', cause: 'never written' });
    await expect(store.commit({ putClusters: [cluster('c1', 'shop')], putResources: [record('c1', 'a', 'r0'), bad as ResourceRecord], events: [event] })).rejects.toThrow(
      /circular/,
    );
    expect(await store.getCluster('c1')).toBeUndefined();
    expect(await store.listResources('c1')).toEqual([]);
    expect(await store.listEvents('c1')).toEqual([]);
    expect(await store.countOutbox()).toBe(0);
  });

  it('refuses a second opener of the same directory with a clear, coded error', async () => {
    await expect(LevelStore.open(join(root, 'store'))).rejects.toMatchObject({
      code: 'KADENDE_ERR_STORE_LOCKED',
      message: expect.stringContaining('is in use by another process'),
    });
  });

  it('keeps what was written across a reopen', async () => {
    await store.commit({ putClusters: [cluster('c1', 'shop')], putResources: [record('c1', 'a', 'r1')] });
    await store.close();
    store = await LevelStore.open(join(root, 'store'));
    expect((await store.listResources('c1')).map((r) => r.id)).toEqual(['r1']);
  });
});

describe('data dir', () => {
  it('is --data-dir, else KADENDE_DATA_DIR, else the XDG data dir', () => {
    expect(dataDir({ dataDir: '/x' }, { KADENDE_DATA_DIR: '/y' })).toBe('/x');
    expect(dataDir({}, { KADENDE_DATA_DIR: '/y' })).toBe('/y');
    expect(dataDir({}, {})).toMatch(/kadende$/);
  });
});
