// Real clouds' consistency through the host: the bundled aws plugin in its worker pool,
// the in-process KadendeService and a fake EC2 whose listing lags, whose TerminateInstances
// answers InvalidInstanceID.NotFound for young instances, and whose endpoints are regional.
// Time is virtual (the service's and the fake's clock), so 130 s of lag cost nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { KadendeService } from '../../host/controller/service.js';
import type { FakeEc2, FakeEc2Options } from './aws.js';
import { ec2Host } from './ec2-host.js';

let t = Date.now();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: FakeEc2Options = {}) {
  t = Date.now();
  const { ec2, store, plugins, close } = await ec2Host({ ec2: { pendingMs: 10, now: () => t, ...options } });
  cleanups.push(close);
  const service = new KadendeService(store, plugins, { now: () => new Date(t), createBackoffMs: 10 });
  const apply = async (size: number, region = 'us-east-1') =>
    (await service.apply(`version: "1"\nname: lag\ngroups:\n  web:\n    size: ${size}\n    resourcePlugin: { name: aws }\n    resourceProperties: { instanceType: t2.small, image: debian, region: ${region} }\n`, 'lag.yaml')).cluster;
  return { ec2, service, store, apply };
}

/** Instances not shutting down or terminated, per region. */
const live = (ec2: FakeEc2, region?: string) =>
  [...ec2.instances.values()].filter((i) => (i.state === 'pending' || i.state === 'running') && (region === undefined || i.region === region));
const runs = (ec2: FakeEc2) => new Set(ec2.requests.filter((r) => r.action === 'RunInstances').map((r) => r.params.ClientToken)).size;

describe('listing lag longer than the old 120 s grace (aws declares listingGraceMs)', () => {
  it('does not replace an instance the listing has not caught up with after 125 s', async () => {
    const { ec2, service, apply } = await setup({ listingLagMs: () => 130_000 });
    const cluster = await apply(1);
    await service.reconcile(cluster.id);
    expect(runs(ec2)).toBe(1);
    t += 125_000;
    await service.reconcile(cluster.id);
    expect(runs(ec2)).toBe(1);
    t += 10_000;
    const report = await service.reconcile(cluster.id, { wait: true, intervalMs: 20, timeoutMs: 20_000 });
    expect(report.converged).toBe(true);
    expect(runs(ec2)).toBe(1);
    expect(live(ec2)).toHaveLength(1);
  });

  it('delete cluster waits out the grace, then sweeps by the cluster tag', async () => {
    const { ec2, service, store, apply } = await setup({ listingLagMs: () => 130_000 });
    const cluster = await apply(1);
    await service.reconcile(cluster.id);
    t += 10_000;
    await expect(service.deleteCluster(cluster.id, { timeoutMs: 1_000, intervalMs: 20 })).rejects.toMatchObject({ code: 'KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE' });
    expect(await store.getCluster(cluster.id)).toBeDefined();
    t += 300_000;
    await service.deleteCluster(cluster.id, { timeoutMs: 20_000, intervalMs: 20 });
    expect(await store.getCluster(cluster.id)).toBeUndefined();
    expect(live(ec2)).toHaveLength(0);
  });
});

describe('TerminateInstances answering InvalidInstanceID.NotFound (EC2 eventual consistency)', () => {
  it('keeps the record deleting until describe no longer lists the instance', async () => {
    const { ec2, service, store, apply } = await setup({ terminateLagMs: 60_000 });
    const cluster = await apply(1);
    expect((await service.reconcile(cluster.id, { wait: true, intervalMs: 20, timeoutMs: 20_000 })).converged).toBe(true);
    await apply(0);
    await service.reconcile(cluster.id);
    expect((await store.listResources(cluster.id)).map((r) => r.state)).toEqual(['deleting']);
    expect(live(ec2)).toHaveLength(1);
    t += 61_000;
    expect((await service.reconcile(cluster.id, { wait: true, intervalMs: 20, timeoutMs: 20_000 })).converged).toBe(true);
    expect(await store.listResources(cluster.id)).toEqual([]);
    expect(live(ec2)).toHaveLength(0);
  });
});

describe('moving a group to another region', () => {
  it('replaces the instances in the new region and deletes the old ones, then delete cluster leaves none', async () => {
    const { ec2, service, store, apply } = await setup();
    const cluster = await apply(3, 'us-east-1');
    expect((await service.reconcile(cluster.id, { wait: true, intervalMs: 20, timeoutMs: 20_000 })).converged).toBe(true);
    await apply(3, 'us-west-2');
    expect((await service.reconcile(cluster.id, { wait: true, intervalMs: 20, timeoutMs: 30_000 })).converged).toBe(true);
    expect(live(ec2, 'us-east-1')).toHaveLength(0);
    expect(live(ec2, 'us-west-2')).toHaveLength(3);
    expect((await store.getCluster(cluster.id))!.retiredPlacements ?? {}).toEqual({});
    await service.deleteCluster(cluster.id, { timeoutMs: 20_000, intervalMs: 20 });
    expect(live(ec2)).toHaveLength(0);
  });
});

describe('tag limits the plugin declares', () => {
  it('refuses at apply a nested group whose path does not fit an EC2 tag value, with file:line and the limit', async () => {
    const { service } = await setup();
    const names = Array.from({ length: 5 }, (_, i) => `${String.fromCharCode(97 + i)}${'x'.repeat(59)}`);
    const nested = names.map((name, depth) => `${'  '.repeat(depth + 1)}${name}:`).join('\n');
    const leaf = '  '.repeat(names.length + 1);
    const text = `version: "1"\nname: long\ngroups:\n${nested}\n${leaf}size: 1\n${leaf}resourcePlugin: { name: aws }\n${leaf}resourceProperties: { instanceType: t2.small, image: debian }\n`;
    const error = await service.apply(text, 'long.yaml').then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(error?.code).toBe('KADENDE_ERR_CONFIG_INVALID');
    expect(error?.message).toMatch(/long\.yaml:\d+:\d+: .*the group path is 304 characters, but aws tag values hold at most 256/);
  });
});
