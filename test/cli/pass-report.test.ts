/**
 * What a pass's report says (issue 10): the state the pass left, not the one it found, and every
 * plugin call that failed, by resource. The real Reconciler on a MemoryStore and a fake plugin.
 */
import { describe, expect, it } from 'vitest';
import { KadendeError } from '../../errors/index.js';
import { Reconciler } from '../../host/controller/reconcile.js';
import { MemoryStore } from '../../host/store/memory-store.js';
import { FakePlugin, ManualClock, fakeCluster } from '../support/fake-plugins.js';

function setup() {
  const store = new MemoryStore();
  const plugin = new FakePlugin();
  let n = 0;
  const reconciler = new Reconciler(store, plugin, { clock: new ManualClock(), createBackoffMs: 1, newId: () => `id-${String(++n).padStart(6, '0')}` });
  return { store, plugin, reconciler };
}

describe('a pass reports the state after acting', () => {
  it('after replacing an unhealthy resource: none unhealthy, and the next (bookkeeping) pass says converged', async () => {
    const { plugin, reconciler } = setup();
    await reconciler.reconcile(fakeCluster(3));
    expect((await reconciler.reconcile(fakeCluster(3))).converged).toBe(true);
    const [sick] = plugin.resources.values();
    sick!.status = 'unhealthy';
    const repair = await reconciler.reconcile(fakeCluster(3));
    // Found: 2 healthy, 1 unhealthy; left: the unhealthy one deleted, its replacement created.
    expect(repair.groups[0]!.status).toMatchObject({ unhealthy: 0, healthy: 3, actual: 3 });
    expect(repair.groups[0]!.actions.map((a) => a.kind)).toEqual(expect.arrayContaining(['delete', 'create']));
    // It only records what the repair left (the replacement's first observation, the gone record): converged.
    const next = await reconciler.reconcile(fakeCluster(3));
    expect(next.groups[0]!.status).toMatchObject({ reason: 'converged', healthy: 3 });
    expect(next.converged).toBe(true);
  });

  it('a scale-up pass reports the resources it made, not the empty group it found; a create that succeeded on a retry is no failure', async () => {
    const { reconciler, plugin } = setup();
    plugin.failNext('create', new Error('throttled'));
    const report = await reconciler.reconcile(fakeCluster(2));
    expect(report.groups[0]!.status).toMatchObject({ desired: 2, actual: 2, healthy: 2 });
    expect(report.groups[0]!.failures).toBeUndefined();
  });
});

describe('a pass reports the plugin calls that failed', () => {
  it('a create that gave up: the record and the error', async () => {
    const { reconciler, plugin } = setup();
    plugin.failNext('create', new Error('quota'), new Error('quota'), new KadendeError('KADENDE_ERR_PLUGIN_THREW', 'quota exceeded'));
    const report = await reconciler.reconcile(fakeCluster(1));
    expect(report.groups[0]!.failures).toEqual([{ call: 'create', resourceId: 'id-000001', code: 'KADENDE_ERR_PLUGIN_THREW', message: 'gave up after 3 attempts: quota exceeded' }]);
    expect(report.groups[0]!.status).toMatchObject({ reason: 'creates-failed' });
  });

  it('a delete the plugin refused: the record, the provider id and the error', async () => {
    const { reconciler, plugin, store } = setup();
    await reconciler.reconcile(fakeCluster(1));
    await reconciler.reconcile(fakeCluster(1));
    const [record] = await store.listResources('c1', 'web');
    plugin.failNext('delete', new KadendeError('KADENDE_ERR_PLUGIN_TIMEOUT', 'no answer'));
    const report = await reconciler.reconcile(fakeCluster(0));
    expect(report.groups[0]!.failures).toEqual([{ call: 'delete', resourceId: record!.id, providerId: record!.providerId, code: 'KADENDE_ERR_PLUGIN_TIMEOUT', message: 'no answer' }]);
    expect(report.converged).toBe(false);
  });

  it("an orphan's delete the plugin refused", async () => {
    const { reconciler, plugin } = setup();
    plugin.resources.set('stray', { id: 'stray', status: 'active', tags: { 'kadende.cluster': 'c1', 'kadende.group': 'web', 'kadende.resource': 'gone-record' }, createdAt: '2000-01-01T00:00:00.000Z' });
    plugin.failNext('delete', new KadendeError('KADENDE_ERR_PLUGIN_THREW', 'denied'));
    const report = await reconciler.reconcile(fakeCluster(0));
    expect(report.groups[0]!.failures).toEqual([{ call: 'delete-orphan', resourceId: 'gone-record', providerId: 'stray', code: 'KADENDE_ERR_PLUGIN_THREW', message: 'denied' }]);
  });
});
