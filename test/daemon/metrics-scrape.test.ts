/**
 * A /metrics scrape reads no record: resources by state are what each cluster's last pass left
 * (DaemonMetrics.passObserver), so a scrape costs the same with 10 records or 10 million.
 * A real LevelStore and the file plugin; the spy counts the store's record and cluster reads.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../host/api/metrics.js';
import { Scheduler } from '../../host/controller/scheduler.js';
import { ServicePasses } from '../../host/controller/service-passes.js';
import type { Store } from '../../host/store/index.js';
import { until } from '../support/nats-server.js';
import { fileCluster, openTestService, type TestService } from '../support/service.js';

/** The store with its reads counted. */
function spied(store: Store): { store: Store; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const spy = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        reads.set(String(key), (reads.get(String(key)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { store: spy, reads };
}

describe('/metrics', () => {
  let t: TestService;
  let scheduler: Scheduler;
  beforeAll(async () => {
    t = await openTestService();
  });
  afterAll(async () => {
    await scheduler?.stop(5000);
    await t?.close();
  });

  it('reports resources by state from the passes, and a scrape reads no record nor cluster', async () => {
    await t.service.apply(fileCluster('shop', join(t.dir, 'shop'), 3), 'shop.yaml');
    await t.service.apply(fileCluster('blog', join(t.dir, 'blog'), 1), 'blog.yaml');
    const { store, reads } = spied(t.store);
    const metrics = new DaemonMetrics({ store, plugins: t.plugins, outbox: false });
    scheduler = new Scheduler(new ServicePasses(t.service, { followUpMs: 20 }), { logger: pino({ level: 'silent' }), intervalMs: 60_000, onPass: metrics.passObserver(store) });
    scheduler.start();
    const scrape = () => metrics.registry.metrics();
    await until(async () => /kadende_resources\{cluster="shop",group="web",state="active"\} 3/.test(await scrape()), 20_000, 'shop reported active');
    await until(async () => /kadende_resources\{cluster="blog",group="web",state="active"\} 1/.test(await scrape()), 20_000, 'blog reported active');
    await scheduler.stop(5000);
    reads.clear();
    for (let i = 0; i < 5; i++) await scrape();
    expect(Object.fromEntries(reads)).toEqual({});
  });
});
