/**
 * What durable intent writes cost: the record (and event) written before a create, committed to
 * LevelDB without sync (the old default: a power loss may lose it), synced one after the other
 * (what a naive `sync: true` costs a scale-up), and synced with group commit (what LevelStore
 * does for `durable: true`: concurrent intents share a sync).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeEvent } from '../host/events/event.js';
import { LevelStore } from '../host/store/level-store.js';
import type { Change } from '../host/store/types.js';
import type { ResourceRecord } from '../model/index.js';
import { round, type BenchRow } from './harness.js';

const N = 1000;
/** Sequential synced writes are slow: measured over fewer, reported per write and for N. */
const SEQUENTIAL = 200;

const intent = (i: number, durable: boolean): Change => {
  const record: ResourceRecord = {
    id: `r${String(i).padStart(6, '0')}`,
    clusterId: 'bench',
    groupPath: 'web',
    state: 'creating',
    specHash: '0123456789abcdef',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    attempts: 0,
  };
  return {
    putResources: [record],
    events: [makeEvent('io.kadende.resource.creating', { clusterId: 'bench', groupPath: 'web', resourceId: record.id, cause: 'bench' })],
    durable,
  };
};

async function timed(label: string, work: (store: LevelStore) => Promise<void>): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), `kadende-bench-${label}-`));
  const store = await LevelStore.open(join(root, 'store'));
  try {
    const start = performance.now();
    await work(store);
    return performance.now() - start;
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchRow[]> {
  const name = `intent writes before ${N} creates (LevelDB)`;
  const unsynced = await timed('nosync', (s) => Promise.all(Array.from({ length: N }, (_, i) => s.commit(intent(i, false)))).then(() => {}));
  const sequential = await timed('seq', async (s) => {
    for (let i = 0; i < SEQUENTIAL; i += 1) await s.commit(intent(i, true));
  });
  const grouped = await timed('group', (s) => Promise.all(Array.from({ length: N }, (_, i) => s.commit(intent(i, true)))).then(() => {}));
  const perSync = sequential / SEQUENTIAL;
  return [
    { benchmark: name, metric: 'no sync, concurrent (before)', value: round(unsynced), unit: 'ms', note: 'not durable: a power loss can lose intents of creates already sent' },
    { benchmark: name, metric: 'one fsync per intent, one after the other', value: round(perSync * N), unit: 'ms', note: `${round(perSync, 2)} ms per synced write x ${N} (measured over ${SEQUENTIAL})` },
    { benchmark: name, metric: 'durable, group commit (now)', value: round(grouped), unit: 'ms', note: `goal: within a few fsyncs of no sync; ${round(grouped / Math.max(unsynced, 0.001), 1)}x no sync` },
  ];
}
