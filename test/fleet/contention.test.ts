/**
 * Randomized contention: 2-3 in-process hosts (each its own NatsStore, LeaseKeeper, Reconciler
 * and LeasedPasses, as a daemon wires them) on one real nats-server reconcile two clusters
 * against one shared provider, while a seeded schedule stalls hosts' lease renewals (their
 * leases expire and move), delays their commits and the provider's answers, and crashes hosts
 * (the store's connection dropped mid-work, nothing released) and starts new ones.
 *
 * Checked on the provider's truth, never on Kadende's reports: every call arrives, and every
 * commit lands, while the leases bucket names its host as the cluster's holder (the bucket's
 * history as the server stamped it, watched: a lease runs from a put to the next change of its
 * key or its expiry), a cluster never holds more live resources than its size, and
 * once faults stop every cluster converges with each resource created once (one create token per
 * slot). CONTENTION_RUNS sets the number of runs (default 10), CONTENTION_SEED the first seed; a
 * failure names its seed. The schedule replays from the seed; the interleaving with real NATS and
 * real timers only approximately.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { PluginMethod, Resource } from '@kadende/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeasedPasses } from '../../host/controller/leased-passes.js';
import { Reconciler, type PluginCaller, type PluginSource } from '../../host/controller/reconcile.js';
import { LEASES_BUCKET, LeaseKeeper, NatsStore } from '../../host/store/index.js';
import type { Change, Store } from '../../host/store/index.js';
import type { ClusterRecord } from '../../model/index.js';
import { fakeCluster } from '../support/fake-plugins.js';
import { NatsServer, until } from '../support/nats-server.js';
import { Prng } from '../sim/prng.js';

const RUNS = Number(process.env.CONTENTION_RUNS ?? 10);
const FIRST_SEED = Number(process.env.CONTENTION_SEED ?? 1);
const LEASE_TTL_MS = 900;
const FAULT_MS = 4000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let nats: NatsServer;
let admin: NatsConnection;
beforeAll(async () => {
  nats = await NatsServer.start();
  admin = await connect({ servers: nats.url });
}, 20_000);
afterAll(async () => {
  await admin?.close();
  await nats?.stop();
});

/** Every change of the leases bucket, as the server stamped it: who held which cluster when. */
class LeaseHistory {
  private readonly changes = new Map<string, Array<{ at: number; holder?: string }>>();
  private watcher?: { stop(): void };

  static async watch(leases: KV): Promise<LeaseHistory> {
    const history = new LeaseHistory();
    const watcher = await leases.watch();
    history.watcher = watcher;
    void (async () => {
      for await (const e of watcher) {
        let list = history.changes.get(e.key);
        if (!list) history.changes.set(e.key, (list = []));
        list.push({ at: e.created.getTime(), holder: e.operation === 'PUT' ? e.string() : undefined });
      }
    })();
    return history;
  }

  /** Whether `host` held the cluster's lease at some moment of [from, to]. */
  heldDuring(cluster: string, host: string, from: number, to: number): boolean {
    const list = (this.changes.get(cluster) ?? []).slice().sort((a, b) => a.at - b.at);
    return list.some((change, i) => {
      const end = Math.min(list[i + 1]?.at ?? Infinity, change.at + LEASE_TTL_MS);
      return change.holder === host && change.at <= to && end >= from;
    });
  }

  stop(): void {
    this.watcher?.stop();
  }
}

/** The provider every host calls: its resources, every create token it saw, and every call and commit to check against the lease history. */
class Provider {
  readonly live = new Map<string, Resource & { cluster: string }>();
  readonly tokens = new Map<string, Set<string>>();
  readonly violations: string[] = [];
  private readonly acts: Array<{ what: string; host: string; cluster: string; from: number; to: number }> = [];
  constructor(
    private readonly prng: Prng,
    private readonly sizes: Map<string, number>,
  ) {}

  /** An act of `host` on the cluster that happened at some moment of [from, to]. */
  act(what: string, host: string, cluster: string, from: number, to = from): void {
    this.acts.push({ what, host, cluster, from, to });
  }

  /** The acts made without the lease. */
  unleased(history: LeaseHistory): string[] {
    return this.acts.filter((a) => !history.heldDuring(a.cluster, a.host, a.from, a.to)).map((a) => `${a.what} by ${a.host} on ${a.cluster} without its lease`);
  }

  callerFor(host: string): PluginCaller {
    return {
      call: async <T,>(method: PluginMethod, request: unknown): Promise<T> => {
        const r = request as { tags?: Record<string, string>; token?: string; id?: string };
        const cluster = r.tags?.['kadende.cluster'] ?? this.live.get(r.id ?? '')?.cluster ?? '?';
        this.act(method, host, cluster, Date.now());
        const latency = this.prng.int(0, 40);
        if (method === 'describe') {
          const resources = [...this.live.values()].filter((x) => Object.entries(r.tags!).every(([k, v]) => x.tags[k] === v));
          await sleep(latency);
          return { resources: resources.map(({ cluster: _c, ...x }) => x) } as T;
        }
        if (method === 'create') {
          // The effect lands when the call arrives; the answer comes later (a slow cloud).
          const id = `res-${r.token}`;
          if (!this.live.has(id)) this.live.set(id, { id, status: 'active', tags: r.tags!, createdAt: new Date().toISOString(), cluster });
          let tokens = this.tokens.get(cluster);
          if (!tokens) this.tokens.set(cluster, (tokens = new Set()));
          tokens.add(r.token!);
          const count = [...this.live.values()].filter((x) => x.cluster === cluster).length;
          if (count > this.sizes.get(cluster)!) this.violations.push(`${cluster} holds ${count} resources (size ${this.sizes.get(cluster)})`);
          await sleep(latency);
          return this.live.get(id) as T;
        }
        this.live.delete(r.id!);
        await sleep(latency);
        return {} as T;
      },
    };
  }
}

/** A Store whose commits wait a random while first (the fence is checked after it), each recorded as an act to check. */
function slowStore(inner: NatsStore, host: string, prng: Prng, provider: Provider): Store {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key !== 'commit') {
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (change: Change) => {
        await sleep(prng.int(0, 20));
        const from = Date.now();
        await target.commit(change);
        const clusters = new Set([...(change.putResources ?? []), ...(change.deleteResources ?? [])].map((r) => r.clusterId));
        for (const id of clusters) provider.act('a commit', host, id, from, Date.now());
      };
    },
  }) as Store;
}

interface Host {
  id: string;
  store: NatsStore;
  keeper: LeaseKeeper;
  dead: boolean;
  stalledUntil: number;
  loops: Promise<void>;
}

async function startHost(id: string, prng: Prng, provider: Provider, clusters: ClusterRecord[]): Promise<Host> {
  let keeper!: LeaseKeeper;
  const fence = (clusterId: string) => keeper.fence(clusterId);
  const store = await NatsStore.open(nats.url, { fence, inPass: () => LeasedPasses.inPass() !== undefined });
  keeper = await LeaseKeeper.open(store.connection, { hostId: id, leaseTtlMs: LEASE_TTL_MS, clusters: async () => clusters.map((c) => c.id) });
  const source: PluginSource = { pool: async () => provider.callerFor(id) };
  const reconciler = new Reconciler(slowStore(store, id, prng, provider), source, { guard: fence, createBackoffMs: 5 });
  const passes = new LeasedPasses(
    {
      clusterIds: async () => clusters.map((c) => c.id),
      reconcile: async ({ clusterId }) => {
        const cluster = await store.getCluster(clusterId);
        if (cluster) await reconciler.reconcile(cluster);
        return { outcome: 'converged' };
      },
    },
    keeper,
  );
  const host: Host = { id, store, keeper, dead: false, stalledUntil: 0, loops: Promise.resolve() };
  const renewals = (async () => {
    while (!host.dead) {
      if (Date.now() >= host.stalledUntil) await keeper.tick().catch(() => {});
      await sleep(LEASE_TTL_MS / 3);
    }
  })();
  const work = (async () => {
    while (!host.dead) {
      for (const clusterId of await passes.clusterIds()) await passes.reconcile({ clusterId }).catch(() => {});
      await sleep(30);
    }
  })();
  host.loops = Promise.all([renewals, work]).then(() => {});
  return host;
}

async function emptyJetStream(): Promise<void> {
  const jsm = await jetstreamManager(admin);
  for await (const s of jsm.streams.list()) await jsm.streams.delete(s.config.name);
}

async function run(seed: number): Promise<{ hosts: number; crashes: number; stalls: number }> {
  const prng = new Prng(seed);
  await emptyJetStream();
  const sizes = new Map([
    ['c1', prng.int(2, 5)],
    ['c2', prng.int(2, 5)],
  ]);
  const clusters = [...sizes].map(([id, size]) => ({ ...fakeCluster(size), id, name: id }));
  const setup = await NatsStore.open(nats.url);
  for (const c of clusters) await setup.commit({ putClusters: [c] });
  await setup.close();
  const history = await LeaseHistory.watch(await new Kvm(admin).create(LEASES_BUCKET, { history: 1, ttl: LEASE_TTL_MS }));
  const provider = new Provider(prng, sizes);
  const hosts: Host[] = [];
  let serial = 0;
  const count = prng.int(2, 3);
  for (let i = 0; i < count; i++) hosts.push(await startHost(`h${serial++}`, prng, provider, clusters));
  let crashes = 0;
  let stalls = 0;
  const faultsEnd = Date.now() + FAULT_MS;
  while (Date.now() < faultsEnd) {
    await sleep(prng.int(100, 600));
    const alive = hosts.filter((h) => !h.dead);
    const victim = prng.pick(alive);
    if (prng.chance(0.3) && alive.length > 1) {
      // A crash: the connection drops mid-work, nothing is released; a new host starts a little later.
      crashes += 1;
      victim.dead = true;
      await victim.store.connection.close().catch(() => {});
      await sleep(prng.int(0, 300));
      hosts.push(await startHost(`h${serial++}`, prng, provider, clusters));
    } else {
      // A stall: renewals stop long enough for the lease to expire and move.
      stalls += 1;
      victim.stalledUntil = Date.now() + prng.int(LEASE_TTL_MS, 2 * LEASE_TTL_MS);
    }
  }
  try {
    await until(
      () => [...sizes].every(([id, size]) => [...provider.live.values()].filter((r) => r.cluster === id).length === size),
      30_000,
      `seed ${seed}: every cluster converged`,
    );
  } finally {
    for (const h of hosts) h.dead = true;
    await Promise.all(hosts.map((h) => h.loops));
    for (const h of hosts) await h.store.close().catch(() => {});
    await sleep(100); // the last lease changes reach the watch
    history.stop();
  }
  expect([...provider.violations, ...provider.unleased(history)], `seed ${seed}`).toEqual([]);
  for (const [id, size] of sizes) expect(provider.tokens.get(id)?.size, `seed ${seed}: create tokens of ${id}`).toBe(size);
  return { hosts: serial, crashes, stalls };
}

describe('randomized contention of 2-3 hosts', () => {
  it(`${RUNS} seeded runs: no call or commit without the lease, nothing made twice, every cluster converges`, async () => {
    const totals = { hosts: 0, crashes: 0, stalls: 0 };
    const started = Date.now();
    for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
      const r = await run(seed);
      totals.hosts += r.hosts;
      totals.crashes += r.crashes;
      totals.stalls += r.stalls;
    }
    console.log(`contention: ${RUNS} runs from seed ${FIRST_SEED} in ${Date.now() - started} ms: ${totals.hosts} hosts, ${totals.crashes} crashes, ${totals.stalls} lease stalls, no violation`);
  }, 60_000 + RUNS * 45_000);
});
