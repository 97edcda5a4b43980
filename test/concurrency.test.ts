// Calls in flight at the cloud's limit (issue 15): the bundled aws plugin in its sandboxed pool,
// the in-process KadendeService and a fake EC2 that allows a number of RunInstances at once and
// answers RequestLimitExceeded above it.
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../host/api/metrics.js';
import { pluginMaxInFlight } from '../host/cli/context.js';
import { loadClusterConfig } from '../host/config/index.js';
import { CallLimiters } from '../host/plugins/limiter.js';
import { readPluginFolder } from '../host/plugins/manifest.js';
import { PluginPool } from '../host/plugins/pool.js';
import { KadendeService } from '../host/controller/service.js';
import { WARM_IDLE_MS, type PluginHostOptions } from '../host/plugins/host.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginHost } from '../host/plugins/host.js';
import { localSources, PluginResolver } from '../host/plugins/resolve.js';
import { LevelStore } from '../host/store/level-store.js';
import { startFakeDigitalOcean } from './fake-clouds/digitalocean.js';
import { ec2Host } from './fake-clouds/ec2-host.js';
import { digitalOceanEnv, FAKE_CREDENTIALS, setProcessEnv } from './fake-clouds/env.js';
import { heldByDigitalOcean, heldByEc2 } from './fake-clouds/tagged.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(cloud: { maxConcurrentCreates: number; createDurationMs: number }, hostOptions: PluginHostOptions = {}) {
  const { ec2, store, plugins, close } = await ec2Host({ ec2: { pendingMs: 10, ...cloud }, host: hostOptions });
  cleanups.push(close);
  const service = new KadendeService(store, plugins, { createBackoffMs: 10 });
  const scale = async (size: number, groupOptions = '') => {
    const { cluster } = await service.apply(
      `version: "1"\nname: scale\ngroups:\n  web:\n    size: ${size}\n    resourcePlugin: { name: aws }\n    resourceProperties: { instanceType: t2.small, image: debian }\n${groupOptions}`,
      'scale.yaml',
    );
    const report = await service.reconcile(cluster.id, { wait: true, intervalMs: 20, timeoutMs: 60_000 });
    expect(report.converged).toBe(true);
    expect(heldByEc2(ec2, { 'kadende.cluster': cluster.id })).toHaveLength(size);
    return cluster;
  };
  return { ec2, plugins, store, scale };
}

describe('calls in flight at the cloud limit', () => {
  it('without a setting, the adaptive limit finds the cloud limit: every throttle reaches the host, few creates are throttled', async () => {
    const { ec2, plugins, store, scale } = await setup({ maxConcurrentCreates: 10, createDurationMs: 300 });
    await scale(60);
    // The cloud was kept at its limit, and above it only briefly.
    expect(ec2.creates.peak).toBe(10);
    const [limiter] = plugins.limiterStats();
    expect(limiter).toMatchObject({ plugin: 'aws', inFlight: 0, queued: 0, ceiling: 64 });
    expect(limiter!.limit).toBeGreaterThanOrEqual(7);
    expect(limiter!.limit).toBeLessThanOrEqual(12);
    // The plugin handed every throttling answer back (none retried inside it, unseen): the host counted each one.
    expect(ec2.creates.throttled).toBeGreaterThan(0);
    expect(limiter!.throttled).toBe(ec2.creates.throttled);
    expect(ec2.creates.throttled).toBeLessThan(12);
    // ... and /metrics counts them per plugin.
    const metrics = await new DaemonMetrics({ store, plugins, outbox: false }).registry.metrics();
    expect(metrics).toContain(`kadende_plugin_throttled_total{plugin="aws@0.0.1"} ${ec2.creates.throttled}`);
    expect(metrics).toMatch(/kadende_plugin_in_flight_limit\{plugin="aws",account="[0-9a-f]{16}"\} \d+/);
  });

  it("the operator's limit for the plugin's account holds over every group: never more in flight, nothing throttled", async () => {
    const { ec2, plugins, scale } = await setup({ maxConcurrentCreates: 20, createDurationMs: 60 }, { maxInFlight: { aws: 5 } });
    await scale(30);
    expect(ec2.creates.peak).toBe(5);
    expect(ec2.creates.throttled).toBe(0);
    expect(plugins.limiterStats()).toMatchObject([{ plugin: 'aws', limit: 5, ceiling: 5 }]);
  });
});

describe("the provider's Retry-After", () => {
  it('holds every call of the account until then: each call in flight meets one 429, and none is sent before DigitalOcean said', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kadende-retry-after-'));
    const api = await startFakeDigitalOcean({ pendingMs: 10, ...FAKE_CREDENTIALS.digitalOcean });
    const restoreEnv = setProcessEnv(digitalOceanEnv(api));
    const store = await LevelStore.open(join(root, 'store'));
    const plugins = new PluginHost(new PluginResolver(localSources({ ...process.env, KADENDE_PLUGIN_PATH: '' })));
    cleanups.push(async () => {
      await plugins.close();
      await store.close();
      await api.close();
      restoreEnv();
      rmSync(root, { recursive: true, force: true });
    });
    const service = new KadendeService(store, plugins, { createBackoffMs: 10 });
    // Three clusters of one account: their describes go out together.
    const clusters = [];
    for (const name of ['hinted-a', 'hinted-b', 'hinted-c']) {
      clusters.push((await service.apply(`version: "1"\nname: ${name}\ngroups:\n  web:\n    size: 1\n    resourcePlugin: { name: digitalocean }\n`, `${name}.yaml`)).cluster);
    }
    // Every listing for the next 2.5 s is refused with 429 and Retry-After (whole seconds: the window's rest, rounded up).
    api.faults.throttleFor(2_500, { operation: 'list' });
    const reports = await Promise.all(clusters.map((cluster) => service.reconcile(cluster.id, { wait: true, intervalMs: 20, timeoutMs: 60_000 })));
    expect(reports.every((report) => report.converged)).toBe(true);
    for (const cluster of clusters) expect(heldByDigitalOcean(api, { 'kadende.cluster': cluster.id })).toHaveLength(1);
    const lists = api.requests.filter((r) => r.operation === 'list');
    const refused = lists.filter((r) => r.fault === 'throttle');
    const answered = lists.filter((r) => r.status >= 200 && r.status < 300);
    // The three describes went out at once and were refused once each; then the account waited.
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(3);
    // None was sent again before the first refusal's Retry-After had passed (a backoff from 50 ms sent several each).
    const first = refused.reduce((a, b) => (a.time <= b.time ? a : b));
    const retryAfterMs = Math.ceil(first.windowLeftMs! / 1000) * 1000;
    for (const list of answered.filter((r) => r.time > first.time)) expect(list.time - first.time).toBeGreaterThanOrEqual(retryAfterMs - 50);
    // The host saw each throttle (the plugin handed them back with DO's hint) and counted it.
    expect(plugins.limiterStats()[0]!.throttled).toBe(refused.length);
  });
});

describe('per group: maxInFlight', () => {
  it("bounds the group's plugin calls at once, below the cloud's limit and the account's", async () => {
    const { ec2, scale } = await setup({ maxConcurrentCreates: 20, createDurationMs: 60 });
    await scale(24, '    maxInFlight: 3\n');
    expect(ec2.creates.peak).toBe(3);
    expect(ec2.creates.throttled).toBe(0);
  });

  it('is checked where it is written', () => {
    const text = 'version: "1"\nname: c\ngroups:\n  web:\n    size: 2\n    resourcePlugin: { name: aws }\n    maxInFlight: 0\n';
    expect(() => loadClusterConfig(text, 'c.yaml')).toThrow(/c\.yaml:7:18: groups\.web\.maxInFlight: must be an integer from 1 to 100000/);
    expect(loadClusterConfig(text.replace('maxInFlight: 0', 'maxInFlight: 4'), 'c.yaml').spec.groups[0]!.policy.maxInFlight).toBe(4);
  });
});

describe("the operator's limit per plugin account: --plugin-max-in-flight, KADENDE_PLUGIN_MAX_IN_FLIGHT", () => {
  it('reads NAME=N entries, names matched case-insensitively; the flag wins over the variable', () => {
    expect(pluginMaxInFlight({}, {})).toEqual({});
    expect(pluginMaxInFlight({}, { KADENDE_PLUGIN_MAX_IN_FLIGHT: 'aws=20, GCP=8' })).toEqual({ aws: 20, gcp: 8 });
    expect(pluginMaxInFlight({ pluginMaxInFlight: 'aws=5' }, { KADENDE_PLUGIN_MAX_IN_FLIGHT: 'aws=20' })).toEqual({ aws: 5 });
  });

  it.each([
    ['aws', 'has no "="'],
    ['aws=0', 'has a count "0" that is not a whole number of at least 1'],
    ['aws=lots', 'has a count "lots"'],
    ['=20', 'does not start with a plugin name'],
    ['aws=2,aws=3', 'names aws a second time'],
  ])('refuses %s, naming where it came from and the entry', (raw, why) => {
    expect(() => pluginMaxInFlight({ pluginMaxInFlight: raw }, {})).toThrow(expect.objectContaining({ code: 'KADENDE_ERR_PLUGIN_IN_FLIGHT_SETTING', message: expect.stringContaining(why) }));
    expect(() => pluginMaxInFlight({ pluginMaxInFlight: raw }, {})).toThrow(/^--plugin-max-in-flight: "/);
    expect(() => pluginMaxInFlight({}, { KADENDE_PLUGIN_MAX_IN_FLIGHT: raw })).toThrow(/^KADENDE_PLUGIN_MAX_IN_FLIGHT: "/);
  });
});

describe('one limiter per plugin and credentials', () => {
  it('pools of a plugin given the same credentials share one; other credentials, or another plugin, get their own', () => {
    const limiters = new CallLimiters();
    const account = { AWS_ACCESS_KEY_ID: 'AKIDONE', AWS_SECRET_ACCESS_KEY: 's' };
    const first = limiters.get({ plugin: 'aws', env: account, ceiling: 64 });
    expect(limiters.get({ plugin: 'aws', env: { ...account }, ceiling: 64 })).toBe(first);
    expect(limiters.get({ plugin: 'aws', env: { ...account, AWS_ACCESS_KEY_ID: 'AKIDTWO' }, ceiling: 64 })).not.toBe(first);
    expect(limiters.get({ plugin: 'gcp', env: account, ceiling: 64 })).not.toBe(first);
    // The key holds a digest of the credentials, never their values.
    expect(first.key).toMatch(/^aws:[0-9a-f]{16}$/);
    // A version allowing fewer calls lowers the shared ceiling.
    limiters.get({ plugin: 'aws', env: account, ceiling: 8 });
    expect(first.stats()).toMatchObject({ ceiling: 8, limit: 8 });
  });

  it("a PluginHost's limiter starts at 16 and adapts up to the ceiling; a pool of its own starts at its full concurrency", async () => {
    expect(new CallLimiters().get({ plugin: 'aws', env: {}, ceiling: 64 }).stats()).toMatchObject({ limit: 16, ceiling: 64 });
    const pool = new PluginPool(await readPluginFolder(new URL('../bench/fixtures/hundred-plugin/', import.meta.url).pathname), { isolation: 'in-process' });
    try {
      expect(pool.limiter.stats()).toMatchObject({ limit: 32, ceiling: 32 });
    } finally {
      await pool.close();
    }
  });
});

describe('warm pools (PluginHost warm: the daemon)', () => {
  it('applying a cluster starts its plugin pool with every thread loaded, before any call', async () => {
    const { store, plugins, close } = await ec2Host({ host: { warm: true }, env: { KADENDE_PLUGIN_ISOLATION: 'in-process' } });
    cleanups.push(close);
    const service = new KadendeService(store, plugins);
    const { cluster } = await service.apply('version: "1"\nname: warm\ngroups:\n  web:\n    size: 1\n    resourcePlugin: { name: aws }\n    resourceProperties: { instanceType: t2.small, image: debian }\n', 'warm.yaml');
    // No reconcile, no call: the pool is there, and each of its threads has loaded the plugin.
    await expect.poll(async () => (await plugins.stats()).length, { timeout: 30_000 }).toBe(1);
    const pool = await plugins.pool(cluster.pins.web!);
    expect(pool.stats.calls).toBe(0);
    expect(pool.threads!.started).toBe(pool.maxThreads);
    expect(pool.threads!.size).toBe(pool.maxThreads);
  });

  it('a pool whose sandbox stopped is started again, every thread loaded, when a cluster pinning it is applied', async () => {
    const { store, plugins, close } = await ec2Host({ host: { warm: true } });
    cleanups.push(close);
    const service = new KadendeService(store, plugins);
    const config = 'version: "1"\nname: rewarm\ngroups:\n  web:\n    size: 1\n    resourcePlugin: { name: aws }\n    resourceProperties: { instanceType: t2.small, image: debian }\n';
    const { cluster } = await service.apply(config, 'rewarm.yaml');
    const pool = await plugins.pool(cluster.pins.web!);
    // Kept up longer than a reconcile interval: the next pass finds it warm.
    expect(pool.idleMs).toBe(WARM_IDLE_MS);
    const sandbox = pool.sandboxes.get('')!;
    await expect.poll(() => sandbox.pid, { timeout: 30_000 }).toBeDefined();
    const pid = sandbox.pid!;
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => sandbox.pid, { timeout: 10_000 }).toBeUndefined();
    await service.apply(config, 'rewarm.yaml');
    await expect.poll(() => sandbox.started, { timeout: 30_000 }).toBe(2);
    expect(sandbox.pid).not.toBe(pid);
    expect(pool.stats.calls).toBe(0);
  });

  it("a quiet plugin's calls go round its threads, so none idles out and has to load the plugin again", async () => {
    const folder = await readPluginFolder(new URL('./fixtures/plugins/hostile', import.meta.url).pathname);
    const pool = new PluginPool(folder, { isolation: 'in-process', idleMs: 400, log: () => {} });
    cleanups.push(() => pool.close());
    const echo = () => pool.call('describe', { tags: { a: '1' }, properties: { mode: 'echo', size: 0 } });
    await Promise.all(Array.from({ length: pool.maxThreads }, echo));
    expect(pool.threads!.size).toBe(pool.maxThreads);
    // One call at a time, each sooner than the idle time but, per thread, not if one thread took them all.
    for (let i = 0; i < 8; i++) {
      await echo();
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(pool.threads!.size).toBe(pool.maxThreads);
    expect(pool.threads!.started).toBe(pool.maxThreads);
  });
});
