/**
 * The reconciler's act phase, in process: the real Reconciler on a MemoryStore
 * and a fake plugin (test/support/fake-plugins.ts), with a manual clock.
 */
import { describe, expect, it } from 'vitest';
import { KadendeError } from '../errors/index.js';
import { Reconciler } from '../host/controller/reconcile.js';
import { MemoryStore } from '../host/store/memory-store.js';
import { specHash } from '../host/controller/spec-hash.js';
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE } from '@kadende/plugin-sdk';
import { FAKE_PIN, FakePlugin, ManualClock, fakeCluster } from './support/fake-plugins.js';

function setup(options: { createAttempts?: number } = {}) {
  const store = new MemoryStore();
  const plugin = new FakePlugin();
  const clock = new ManualClock();
  let n = 0;
  const reconciler = new Reconciler(store, plugin, { clock, createBackoffMs: 500, newId: () => `id-${String(++n).padStart(6, '0')}`, ...options });
  return { store, plugin, clock, reconciler };
}

const types = async (store: MemoryStore) => (await store.listEvents('c1')).map((e) => e.type.replace('io.kadende.', ''));

describe('the act phase', () => {
  it('writes the record and its creating event before the plugin is asked to create', async () => {
    const { store, plugin, reconciler } = setup();
    const seen: Array<{ state?: string; events: string[] }> = [];
    plugin.onCall = async ({ method, request }) => {
      if (method !== 'create') return;
      const [record] = (await store.listResources('c1', 'web')).filter((r) => r.id === request.token);
      seen.push({ state: record?.state, events: (await store.listEvents('c1')).filter((e) => e.data.resourceId === request.token).map((e) => e.type) });
    };
    await reconciler.reconcile(fakeCluster(2));
    expect(seen).toEqual([
      { state: 'creating', events: ['io.kadende.resource.creating'] },
      { state: 'creating', events: ['io.kadende.resource.creating'] },
    ]);
    const records = await store.listResources('c1', 'web');
    expect(records.map((r) => [r.state, r.providerId])).toEqual(records.map((r) => ['active', `res-${r.id}`]));
    expect(plugin.resources.size).toBe(2);
  });

  it('retries a failed create with backoff on the clock, with the same token, and confirms it', async () => {
    const { store, plugin, clock, reconciler } = setup();
    plugin.failNext('create', new KadendeError('KADENDE_ERR_PLUGIN_THREW', 'throttled'));
    await reconciler.reconcile(fakeCluster(1));
    const creates = plugin.calls.filter((c) => c.method === 'create');
    expect(creates).toHaveLength(2);
    expect(creates[0]!.request.token).toBe(creates[1]!.request.token);
    expect(clock.slept).toEqual([500]);
    const [record] = await store.listResources('c1', 'web');
    expect(record).toMatchObject({ state: 'active', attempts: 2 });
    const failed = (await store.listEvents('c1')).find((e) => e.type === 'io.kadende.resource.create-failed');
    expect(failed?.data).toMatchObject({ code: 'KADENDE_ERR_PLUGIN_THREW', cause: 'attempt 1 of 3: throttled' });
  });

  it('marks the record failed after the last attempt, keeps its slot, and does not try again', async () => {
    const { store, plugin, clock, reconciler } = setup();
    plugin.failNext('create', new Error('5xx'), new Error('5xx'), new Error('quota exceeded'));
    await reconciler.reconcile(fakeCluster(1));
    expect(clock.slept).toEqual([500, 1000]);
    const [record] = await store.listResources('c1', 'web');
    expect(record).toMatchObject({ state: 'failed', attempts: 3, lastError: 'quota exceeded' });
    expect(await types(store)).toEqual(['resource.creating', 'resource.create-failed', 'resource.create-failed', 'resource.create-failed', 'resource.failed', 'reconcile.completed']);
    const report = await reconciler.reconcile(fakeCluster(1));
    expect(plugin.calls.filter((c) => c.method === 'create')).toHaveLength(3);
    expect(report.groups[0]!.status).toMatchObject({ failed: 1, converged: false });
  });

  it('resumes a create left in creating (a crash after the intent) with the same token', async () => {
    const { store, plugin, reconciler } = setup();
    await store.commit({
      putResources: [{ id: 'left', clusterId: 'c1', groupPath: 'web', state: 'creating', specHash: specHash(FAKE_PIN, { flavour: 'a' }), createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', attempts: 0 }],
    });
    await reconciler.reconcile(fakeCluster(1));
    expect(plugin.calls.filter((c) => c.method === 'create').map((c) => c.request.token)).toEqual(['left']);
    expect(plugin.of('left')).toHaveLength(1);
  });

  it('keeps a record whose delete failed in deleting, finishes the delete on the next pass, and forgets it once describe no longer lists it', async () => {
    const { store, plugin, reconciler } = setup();
    await reconciler.reconcile(fakeCluster(1));
    await reconciler.reconcile(fakeCluster(1));
    plugin.failNext('delete', new KadendeError('KADENDE_ERR_PLUGIN_TIMEOUT', 'no answer'));
    await reconciler.reconcile(fakeCluster(0));
    const [record] = await store.listResources('c1', 'web');
    expect(record).toMatchObject({ state: 'deleting', deleteReason: 'scale-in', lastError: 'no answer' });
    expect(plugin.resources.size).toBe(1);
    const failed = (await store.listEvents('c1')).filter((e) => e.type === 'io.kadende.resource.delete-failed');
    expect(failed.map((e) => e.data.code)).toEqual(['KADENDE_ERR_PLUGIN_TIMEOUT']);
    // A provider may answer a delete before it stops listing the resource (issue 13): the record stays
    // deleting until describe agrees. This one agrees at once: the describe after acting no longer
    // lists it, so the same pass forgets it and reports converged.
    const report = await reconciler.reconcile(fakeCluster(0));
    expect(plugin.resources.size).toBe(0);
    expect(await store.listResources('c1', 'web')).toEqual([]);
    expect(report.converged).toBe(true);
    await reconciler.reconcile(fakeCluster(0));
    expect(await store.listResources('c1', 'web')).toEqual([]);
    expect((await store.listEvents('c1')).filter((e) => e.type === 'io.kadende.resource.deleted')).toHaveLength(1);
  });

  it('reports a describe that fails, with its code, and acts on nothing', async () => {
    const { store, plugin, reconciler } = setup();
    plugin.failNext('describe', new KadendeError('KADENDE_ERR_PLUGIN_CRASHED', 'worker died'));
    const report = await reconciler.reconcile(fakeCluster(2));
    expect(report.groups[0]!.error).toEqual({ code: 'KADENDE_ERR_PLUGIN_CRASHED', message: 'worker died' });
    expect(plugin.calls.map((c) => c.method)).toEqual(['describe']);
    expect(await types(store)).toEqual(['group.describe-failed']);
  });
  it('halts a group whose stored policy cannot be read: no orphan deleted, nothing created (issue 16)', async () => {
    const { store, plugin, clock, reconciler } = setup();
    // A tagged orphan made this instant; `orphanMinAgeSeconds: null` (a hand-edited or old store) read as 0 deleted it at once.
    const tags = { [TAG_CLUSTER]: 'c1', [TAG_GROUP]: 'web', [TAG_RESOURCE]: 'stray' };
    plugin.resources.set('stray-1', { id: 'stray-1', status: 'active', tags, createdAt: clock.now().toISOString() });
    const report = await reconciler.reconcile(fakeCluster(2, { policy: { orphanMinAgeSeconds: null as unknown as number } }));
    expect(plugin.calls.map((c) => c.method)).toEqual(['describe']);
    expect(plugin.resources.has('stray-1')).toBe(true);
    expect(report.groups[0]!.status).toMatchObject({ reason: 'halted', desired: 2 });
    const halted = (await store.listEvents('c1')).find((e) => e.type === 'io.kadende.group.halted');
    expect(halted?.data.cause).toContain('orphanMinAgeSeconds is null');
  });
});
