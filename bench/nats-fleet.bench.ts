/**
 * Several hosts on one NATS store (issue 12), each figure on a nats-server of its own:
 *
 * - commit latency: one record and its event per commit (an intent, durable), LevelDB vs NATS
 *   JetStream, p50 and p99;
 * - throughput: 300 converged clusters (2 groups each) passed by 1, then 3, in-process daemons
 *   (startDaemon: the real wiring, leases and all) whose plugin's describe costs a fixed latency,
 *   so the figure is what spreading the clusters over hosts buys; goal: 3 hosts >= 2x one;
 * - failover: two `kadende daemon` processes, 10 file clusters; the holder of half is killed
 *   (SIGKILL) and the time until the other host has passed every one of them is taken from its
 *   API's last-pass times; goal: within 2 lease periods.
 *
 * NATS_BENCH_DESCRIBE_MS (default 50), NATS_BENCH_CLUSTERS (300), NATS_BENCH_WINDOW_MS (8000) size them.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { request } from 'undici';
import type { PluginMethod } from '@kadende/plugin-sdk';
import { startDaemon, type Daemon } from '../host/daemon.js';
import type { PluginHost } from '../host/plugins/host.js';
import { LevelStore, NatsStore, listHosts, type Store } from '../host/store/index.js';
import type { KadendeEvent, ResourceRecord } from '../model/index.js';
import { startCli } from '../test/support/cli.js';
import { freePort, NatsServer, until } from '../test/support/nats-server.js';
import { fileCluster } from '../test/support/service.js';
import { MemoryProvider, seed, template } from './fleet/world.js';
import { percentile, round, type BenchRow } from './harness.js';

const BENCH = 'nats-fleet';
const TOKEN = 'nats-fleet-bench-token-0123456789';
const load = () => `load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export async function run(): Promise<BenchRow[]> {
  return [...(await commitLatency()), ...(await throughput()), ...(await failover())];
}

/** One record and its event per commit, durable (the intent before a create), one after the other. */
async function commitLatency(): Promise<BenchRow[]> {
  const commits = 300;
  const measure = async (store: Store) => {
    const samples: number[] = [];
    for (let i = 0; i < commits; i++) {
      const now = new Date().toISOString();
      const record: ResourceRecord = { id: `r-${i}`, clusterId: 'bench', groupPath: 'web', state: 'creating', specHash: 's', createdAt: now, updatedAt: now, attempts: 0 };
      const event: KadendeEvent = { specversion: '1.0', id: `019a0000-0000-7000-8000-${String(i).padStart(12, '0')}`, source: 'bench', type: 'io.kadende.resource.creating', subject: `bench/web/r-${i}`, time: now, datacontenttype: 'application/json', data: { cause: 'bench', clusterId: 'bench' } };
      const started = performance.now();
      await store.commit({ putResources: [record], events: [event], durable: true });
      samples.push(performance.now() - started);
    }
    return samples;
  };
  const root = mkdtempSync(join(tmpdir(), 'kadende-bench-commit-'));
  const nats = await NatsServer.start();
  try {
    const level = await LevelStore.open(join(root, 'store'));
    const onLevel = await measure(level).finally(() => level.close());
    const natsStore = await NatsStore.open(nats.url);
    const onNats = await measure(natsStore).finally(() => natsStore.close());
    const name = `${BENCH}: commit latency, 1 record + 1 event, durable, ${commits} in a row`;
    const row = (store: string, samples: number[], p: number, note: string): BenchRow => ({ benchmark: name, metric: `${store} p${p}`, value: round(percentile(samples, p), 2), unit: 'ms', note });
    return [
      row('LevelDB', onLevel, 50, `fsync before each commit resolves, in ${tmpdir()}`),
      row('LevelDB', onLevel, 99, load()),
      row('NATS', onNats, 50, `goal <= 10 ms; acked once in the server's file store (JetStream syncs to disk on its own interval); ${round(percentile(onNats, 50) / percentile(onLevel, 50), 1)}x LevelDB's`),
      row('NATS', onNats, 99, `goal <= 50 ms; ${round(percentile(onNats, 99) / percentile(onLevel, 99), 1)}x LevelDB's`),
    ];
  } finally {
    await nats.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** describe answers from memory after a fixed latency: the provider's API, not Kadende, is the cost. */
class SlowProvider extends MemoryProvider {
  constructor(private readonly latencyMs: number) {
    super();
  }
  override async call<T>(method: PluginMethod, request: unknown): Promise<T> {
    await sleep(this.latencyMs);
    return super.call<T>(method, request);
  }
  async stats() {
    return [];
  }
  limiterStats() {
    return [];
  }
  /** The daemon warms its pinned plugins at start: nothing to start here. */
  warm(): void {}
  async close() {
    return 0;
  }
}

async function throughput(): Promise<BenchRow[]> {
  const clusters = env('NATS_BENCH_CLUSTERS', 300);
  const latencyMs = env('NATS_BENCH_DESCRIBE_MS', 50);
  const windowMs = env('NATS_BENCH_WINDOW_MS', 8000);
  const rates = new Map<number, number>();
  for (const hosts of [1, 3]) rates.set(hosts, await passesPerSecond(hosts, clusters, latencyMs, windowMs));
  const name = `${BENCH}: passes/s, ${clusters} converged clusters x 2 groups, describe ${latencyMs} ms, 4 passes at once per host`;
  const one = rates.get(1)!;
  const three = rates.get(3)!;
  return [
    { benchmark: name, metric: '1 host', value: round(one), unit: 'passes/s', note: load() },
    { benchmark: name, metric: '3 hosts', value: round(three), unit: 'passes/s', note: load() },
    { benchmark: name, metric: '3 hosts vs 1', value: round(three / one, 2), unit: 'x', note: 'goal >= 2x' },
  ];
}

async function passesPerSecond(hostCount: number, clusters: number, latencyMs: number, windowMs: number): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'kadende-bench-hosts-'));
  const nats = await NatsServer.start();
  const provider = new SlowProvider(latencyMs);
  const daemons: Daemon[] = [];
  try {
    const seeder = await NatsStore.open(nats.url);
    const group = (name: string) => `  ${name}:\n    size: 3\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: /tmp/nats-bench/${name} }\n`;
    const base = await template(seeder, `version: "1"\nname: fleet\ngroups:\n${group('web')}${group('db')}`);
    await seed(seeder, provider, base, clusters, 50);
    for (let i = 0; i < hostCount; i++) {
      daemons.push(
        await startDaemon({
          dataDir: join(root, `host-${i}`),
          storeUrl: nats.url,
          hostId: `host-${i}`,
          leaseTtlMs: 6000,
          plugins: provider as unknown as PluginHost,
          token: TOKEN,
          logger: pino({ level: 'silent' }),
          port: 0,
          intervalMs: 500,
          concurrency: 4,
        }),
      );
    }
    // Until the fleet has settled: every cluster held, each host its fair share.
    const share = Math.ceil(clusters / hostCount);
    await until(async () => {
      const listed = await listHosts(seeder.connection);
      return listed.length === hostCount && listed.every((h) => h.clusters.length >= share - 1) && listed.reduce((n, h) => n + h.clusters.length, 0) === clusters;
    }, 60_000, 'leases spread');
    await seeder.close();
    await sleep(1000);
    const before = provider.describes;
    const started = performance.now();
    await sleep(windowMs);
    // Two describes (two groups) per pass.
    return (provider.describes - before) / 2 / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    await nats.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Two daemon processes; the one holding clusters is killed; until the other has passed every one of them. */
async function failover(): Promise<BenchRow[]> {
  const leaseTtl = 3;
  const clusters = 10;
  const root = mkdtempSync(join(tmpdir(), 'kadende-bench-failover-'));
  const nats = await NatsServer.start();
  const children: ChildProcess[] = [];
  try {
    const daemons = [];
    for (const hostId of ['a', 'b']) {
      const port = await freePort();
      const daemon = startCli(['--store', nats.url, 'daemon', '--host-id', hostId, '--port', String(port), '--interval', '30', '--lease-ttl', String(leaseTtl)], {
        ...process.env,
        KADENDE_DATA_DIR: join(root, hostId),
        KADENDE_CACHE_DIR: join(root, 'cache'),
        KADENDE_TOKEN: TOKEN,
        KADENDE_SERVER: '',
      }, children);
      await until(() => daemon.output().includes('kadende daemon ready'), 30_000, `${hostId} ready`);
      daemons.push({ hostId, url: `http://127.0.0.1:${port}`, child: daemon.child });
    }
    const call = async (base: string, method: 'GET' | 'POST', path: string, body?: string) => {
      const response = await request(`${base}${path}`, { method, body, headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/yaml' } : {}) } });
      return { status: response.statusCode, json: (await response.body.json()) as any };
    };
    const ids: string[] = [];
    for (let i = 0; i < clusters; i++) {
      const directory = join(root, 'res', `c${i}`);
      mkdirSync(directory, { recursive: true });
      ids.push((await call(daemons[0]!.url, 'POST', '/v1/clusters', fileCluster(`failover-${i}`, directory, 1))).json.cluster.id);
    }
    const nats2 = await NatsStore.open(nats.url);
    try {
      await until(async () => (await listHosts(nats2.connection)).every((h) => h.clusters.length === clusters / 2), 60_000, 'an even split');
      const victim = (await listHosts(nats2.connection)).find((h) => h.hostId === 'a')!;
      const survivor = daemons.find((d) => d.hostId === 'b')!;
      const killedAt = Date.now();
      daemons.find((d) => d.hostId === 'a')!.child.kill('SIGKILL');
      // Each of the victim's clusters: when the survivor's first pass of it after the kill finished.
      const passedAt = new Map<string, number>();
      await until(async () => {
        for (const id of victim.clusters) {
          if (passedAt.has(id)) continue;
          const status = await call(survivor.url, 'GET', `/v1/clusters/${id}/status`);
          if (status.status === 200 && status.json.source === 'last-pass' && Date.parse(status.json.finishedAt) > killedAt) passedAt.set(id, Date.parse(status.json.finishedAt));
        }
        return passedAt.size === victim.clusters.length;
      }, 60_000, 'every cluster of the killed host passed by the other');
      const seconds = (Math.max(...passedAt.values()) - killedAt) / 1000;
      const name = `${BENCH}: failover, 2 daemon processes, ${clusters} file clusters, --lease-ttl ${leaseTtl}`;
      return [
        { benchmark: name, metric: 'kill -9 of a holder -> all its clusters passed by the other', value: round(seconds, 1), unit: 's', note: `${round(seconds / leaseTtl, 2)} lease periods; goal <= 2; first ${round((Math.min(...passedAt.values()) - killedAt) / 1000, 1)} s` },
      ];
    } finally {
      await nats2.close();
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await nats.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
