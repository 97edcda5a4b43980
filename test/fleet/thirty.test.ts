/**
 * Three real daemons, thirty clusters, one nats-server: each cluster is held by exactly one host
 * at a time (the provider's call log shows one host acting on it, never two taking turns), the
 * split is even (every host within its fair share ±2), and a host killed with SIGKILL has its
 * clusters taken over within seconds (measured: printed, and bounded loosely only to end the test).
 * Nothing is provisioned twice: the provider never holds more than a cluster's size, and each
 * record's resource is created once.
 */
import { unlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet, type AuditedCall } from '../support/fleet.js';
import { until } from '../support/nats-server.js';

const CLUSTERS = 30;
const SIZE = 1;
let fleet: Fleet;

beforeAll(async () => {
  fleet = await Fleet.start({ leaseTtlSeconds: 2, sharedDirectory: true });
  await fleet.apply(CLUSTERS, SIZE);
  fleet.watchOvershoot(SIZE);
  for (const h of ['h1', 'h2', 'h3']) fleet.startDaemon(h);
}, 120_000);
afterAll(async () => {
  await fleet?.stop();
});

const callsOf = (id: string): AuditedCall[] => fleet.calls(0).filter((c) => c.cluster === id).sort((a, b) => a.at - b.at);

/** Every cluster held by exactly one of `hosts`, each holding its fair share ±2. */
async function balanced(hosts: string[]): Promise<boolean> {
  const holders = await fleet.holders();
  const fair = CLUSTERS / hosts.length;
  const counts = hosts.map((h) => [...holders.values()].filter((held) => held.join() === h).length);
  return fleet.ids.every((id) => holders.get(id)?.length === 1 && hosts.includes(holders.get(id)![0]!)) && counts.every((n) => Math.abs(n - fair) <= 2);
}

/** The hosts that acted on a cluster, in the order they took over: a host appearing twice took turns with another. */
function actors(id: string): string[] {
  const runs: string[] = [];
  for (const call of callsOf(id)) if (runs[runs.length - 1] !== call.host) runs.push(call.host!);
  return runs;
}

const converged = () => fleet.converged(SIZE);

describe('three daemons, thirty clusters', () => {
  it('split them evenly, one host per cluster, and converge every one once', async () => {
    await until(() => balanced(['h1', 'h2', 'h3']), 60_000, 'an even split over three hosts').catch(fleet.fail);
    await until(converged, 60_000, 'every cluster converged').catch(fleet.fail);
    for (const id of fleet.ids) expect(new Set(actors(id)).size, `${id}: ${actors(id).join(' -> ')}`).toBe(actors(id).length);
    for (const id of fleet.ids) expect(new Set(callsOf(id).filter((c) => c.method === 'create').map((c) => c.token)).size).toBe(SIZE);
    expect(fleet.overshoot).toBe('');
  }, 150_000);

  it("takes a killed host's clusters over within seconds, and repairs them once", async () => {
    const hosts = await fleet.hosts();
    const victim = hosts.reduce((a, b) => (b.clusters.length > a.clusters.length ? b : a));
    const survivors = hosts.map((h) => h.hostId).filter((h) => h !== victim.hostId);
    fleet.daemons.get(victim.hostId)!.child.kill('SIGKILL');
    const killedAt = Date.now();
    await until(
      async () => {
        const holders = await fleet.holders();
        return victim.clusters.every((id) => survivors.includes(holders.get(id)?.[0] ?? ''));
      },
      30_000,
      `the survivors hold ${victim.hostId}'s clusters`,
    ).catch(fleet.fail);
    const leasesTakenMs = Date.now() - killedAt;
    // Acting again: a survivor's first plugin call on each of the dead host's clusters.
    await until(() => victim.clusters.every((id) => callsOf(id).some((c) => c.at > killedAt && survivors.includes(c.host!))), 30_000, 'the survivors act on them').catch(fleet.fail);
    const actingMs = Math.max(...victim.clusters.map((id) => callsOf(id).find((c) => c.at > killedAt && survivors.includes(c.host!))!.at - killedAt));
    console.log(`takeover of ${victim.clusters.length} clusters after SIGKILL (lease TTL 2 s): leases held by the survivors after ${leasesTakenMs} ms, every cluster acted on after ${actingMs} ms`);
    expect(leasesTakenMs).toBeLessThan(10_000);
    await until(() => balanced(survivors), 30_000, 'an even split over the survivors').catch(fleet.fail);

    // Break each of the dead host's clusters: the new holders repair them, each once.
    for (const id of victim.clusters) {
      const index = fleet.ids.indexOf(id);
      const [resource] = fleet.files(index);
      if (resource) unlinkSync(resource.file);
    }
    await until(converged, 60_000, 'every cluster converged again').catch(fleet.fail);
    for (const id of fleet.ids) {
      const creates = new Set(callsOf(id).filter((c) => c.method === 'create').map((c) => c.token)).size;
      expect(creates, id).toBe(victim.clusters.includes(id) ? SIZE + 1 : SIZE);
    }
    const killedAfter = fleet.calls(0).filter((c) => c.host === victim.hostId && c.at > killedAt);
    expect(killedAfter).toEqual([]);
    expect(fleet.overshoot).toBe('');
  }, 150_000);
});
