/**
 * A fleet for the several-hosts tests: a real nats-server of the test's own, clusters of the
 * `audited` fixture plugin (the file plugin, with every call it starts logged in its directory
 * naming the host), and real `kadende daemon` processes on `--store nats://`, each publishing
 * events (`--nats`) to the same server. The provider's truth (files, the call log), the journal
 * and the events stream are read directly, never through Kadende.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { KadendeService } from '../../host/controller/service.js';
import { PluginHost } from '../../host/plugins/host.js';
import { localSources, PluginResolver } from '../../host/plugins/resolve.js';
import { JOURNAL_STREAM, listHosts, NatsStore, type HostInfo } from '../../host/store/index.js';
import { resourceFiles, scratch, startCli } from './cli.js';
import { NatsServer } from './nats-server.js';

export { DEFAULT_STREAM as EVENTS_STREAM } from '../../host/events/publisher.js';
export const FIXTURE_PLUGINS = new URL('../fixtures/plugins/', import.meta.url).pathname;

export interface AuditedCall {
  method: 'describe' | 'create' | 'delete';
  host: string | null;
  cluster: string | null;
  token: string | null;
  id: string | null;
  at: number;
}

export function auditedCluster(name: string, directory: string, size: number): string {
  return ['version: "1"', `name: ${name}`, 'groups:', '  web:', `    size: ${size}`, '    resourcePlugin: { name: audited }', `    resourceProperties: { directory: ${JSON.stringify(directory)} }`, ''].join('\n');
}

export class Fleet {
  readonly box = scratch('fleet');
  readonly ids: string[] = [];
  readonly daemons = new Map<string, { child: ChildProcess; output: () => string }>();
  private readonly children: ChildProcess[] = [];
  private nc?: NatsConnection;
  private sampler?: NodeJS.Timeout;
  /** The first time a cluster held more resources than `maxSize` (watchOvershoot), or ''. */
  overshoot = '';

  private constructor(
    readonly nats: NatsServer,
    readonly leaseTtlSeconds: number,
    private readonly sharedDirectory: boolean,
  ) {}

  /** `sharedDirectory`: every cluster's resources in one folder (describe filters by tags), so a daemon runs one plugin sandbox, not one per cluster. */
  static async start(options: { leaseTtlSeconds?: number; sharedDirectory?: boolean } = {}): Promise<Fleet> {
    return new Fleet(await NatsServer.start(), options.leaseTtlSeconds ?? 2, options.sharedDirectory ?? false);
  }

  dirOf(index: number): string {
    return join(this.box.root, 'res', this.sharedDirectory ? 'all' : `c${index}`);
  }

  /** Applies `count` more clusters of `size` in-process (one store, one plugin host): cluster i is `fleet-<i>`, in dirOf(i). */
  async apply(count: number, size: number): Promise<void> {
    const store = await NatsStore.open(this.nats.url);
    const plugins = new PluginHost(new PluginResolver(localSources({ KADENDE_PLUGIN_PATH: FIXTURE_PLUGINS })));
    try {
      const service = new KadendeService(store, plugins);
      const first = this.ids.length;
      for (let i = first; i < first + count; i++) {
        mkdirSync(this.dirOf(i), { recursive: true });
        this.ids.push((await service.apply(auditedCluster(`fleet-${i}`, this.dirOf(i), size), join(this.box.root, `c${i}.yaml`))).cluster.id);
      }
    } finally {
      await plugins.close();
      await store.close();
    }
  }

  /** Changes cluster `index`'s size (a re-apply). */
  async resize(index: number, size: number): Promise<void> {
    const store = await NatsStore.open(this.nats.url);
    const plugins = new PluginHost(new PluginResolver(localSources({ KADENDE_PLUGIN_PATH: FIXTURE_PLUGINS })));
    try {
      await new KadendeService(store, plugins).apply(auditedCluster(`fleet-${index}`, this.dirOf(index), size), join(this.box.root, `c${index}.yaml`));
    } finally {
      await plugins.close();
      await store.close();
    }
  }

  /** Samples the provider every 100 ms: a cluster with more than `maxSize` resources (two hosts working it) is kept in `overshoot`. */
  watchOvershoot(maxSize: number): void {
    this.sampler = setInterval(() => {
      for (let i = 0; i < this.ids.length; i++) {
        const n = this.files(i).length;
        if (n > maxSize) this.overshoot ||= `cluster ${i} had ${n} resources (size ${maxSize})`;
      }
    }, 100);
  }

  /** Every cluster has exactly `size` resources at the provider. */
  converged(size: number): boolean {
    return this.ids.every((_, i) => this.files(i).length === size);
  }

  /** For `until(...).catch(fleet.fail)`: the failure with every daemon's last output. */
  readonly fail = (e: Error) => Promise.reject(new Error(`${e.message}\n${this.logs()}`));

  startDaemon(hostId: string): void {
    const args = ['--store', this.nats.url, 'daemon', '--port', '0', '--interval', '1', '--lease-ttl', String(this.leaseTtlSeconds), '--host-id', hostId, '--nats', this.nats.url];
    const env = {
      ...process.env,
      KADENDE_DATA_DIR: join(this.box.root, hostId),
      KADENDE_CACHE_DIR: join(this.box.root, 'cache'),
      KADENDE_PLUGIN_PATH: FIXTURE_PLUGINS,
      KADENDE_TOKEN: 'fleet-test-token-0123456789',
      KADENDE_CREATE_BACKOFF_MS: '10',
      KADENDE_TEST_HOST: hostId,
    };
    this.daemons.set(hostId, startCli(args, env, this.children));
  }

  /** The tail of every daemon's output, for a failure message. */
  logs(): string {
    return [...this.daemons.entries()].map(([h, d]) => `--- ${h}\n${d.output().slice(-3000)}`).join('\n');
  }

  private async connection(): Promise<NatsConnection> {
    if (!this.nc || this.nc.isClosed()) this.nc = await connect({ servers: this.nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    return this.nc;
  }

  /** The hosts and their leases; a listing that does not answer within 5 s (a KV key listing stalled once on a loaded machine) is asked again. */
  async hosts(): Promise<HostInfo[]> {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 5000)));
      const listed = await Promise.race([listHosts(await this.connection()), stalled]).finally(() => clearTimeout(timer));
      if (listed) return listed;
    }
  }

  /** The host holding each cluster's lease now (clusterId -> hostIds: more than one would be a bug). */
  async holders(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const host of await this.hosts()) for (const id of host.clusters) out.set(id, [...(out.get(id) ?? []), host.hostId]);
    return out;
  }

  /** A stream's message count and last sequence. */
  async stream(name: string): Promise<{ messages: number; lastSeq: number }> {
    const jsm = await jetstreamManager(await this.connection());
    const info = await jsm.streams.info(name).catch(() => undefined);
    return { messages: info?.state.messages ?? 0, lastSeq: info?.state.last_seq ?? 0 };
  }

  journal(): Promise<{ messages: number; lastSeq: number }> {
    return this.stream(JOURNAL_STREAM);
  }

  /** The provider's resources of cluster `index`. */
  files(index: number) {
    return resourceFiles(this.dirOf(index)).filter((f) => f.tags['kadende.cluster'] === this.ids[index]);
  }

  /** The provider's log of every call started in cluster `index`'s folder (on a shared folder, every cluster's: filter by `cluster`). */
  calls(index: number): AuditedCall[] {
    let text = '';
    try {
      text = readFileSync(join(this.dirOf(index), 'calls.log'), 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditedCall);
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.nc?.close().catch(() => {});
    await this.nats.stop();
    this.box.cleanup();
  }
}
