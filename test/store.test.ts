import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataDir } from '../host/cli/context.js';
import { LevelStore } from '../host/store/level-store.js';
import { MemoryState, MemoryStore } from '../host/store/memory-store.js';
import type { Store } from '../host/store/types.js';
import { storeSuite } from './support/store-suite.js';

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

storeSuite('MemoryStore', async () => {
  const state = new MemoryState();
  return {
    store: new MemoryStore(state, { outbox: true }),
    reopen: async () => new MemoryStore(state, { outbox: true }),
    cleanup: async () => {},
  };
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
