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
import type { PluginHostOptions } from '../host/plugins/host.js';
import { ec2Host } from './fake-clouds/ec2-host.js';
import { heldByEc2 } from './fake-clouds/tagged.js';

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
});
