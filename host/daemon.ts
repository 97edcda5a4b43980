/**
 * The long-running host: holds the store, reconciles every cluster on a
 * schedule, serves the HTTP API and (with a NATS URL) publishes every event.
 * stop() is the orderly shutdown: no new work, in-flight work finished (or
 * abandoned after a grace period: intent records make that safe), events
 * flushed, pools and store closed.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { buildApi, DaemonMetrics, LeaseMetrics, type Fleet } from './api/index.js';
import { ConfigParser } from './config/index.js';
import { Scheduler, KadendeService, LeasedPasses, ServicePasses, type ClusterReconciler, type ReconcileOptions } from './controller/index.js';
import { FeedStore, OutboxPublisher } from './events/index.js';
import type { PluginHost } from './plugins/index.js';
import { ConnectionWatch, LeaseHolders, LeaseKeeper, LevelStore, NatsStore, type Store } from './store/index.js';
import { makePrivateDir } from '../lib/index.js';
import { kadendeError } from '../errors/index.js';

export interface DaemonOptions {
  dataDir: string;
  /** A NATS URL: the shared store of several hosts (host/store/nats-store.ts); absent: LevelDB in dataDir. */
  storeUrl?: string;
  /** On a NATS store: this host's id in the fleet (default: hostname-pid-random). */
  hostId?: string;
  /** On a NATS store: how long a cluster's lease lives unrenewed (default 15 s). */
  leaseTtlMs?: number;
  /** On a NATS store: the API URL other hosts forward requests to (default: the address it listens on; give it when that is 0.0.0.0 or behind NAT). */
  advertiseUrl?: string;
  plugins: PluginHost;
  token: string;
  logger: Logger;
  host?: string;
  port?: number;
  natsUrl?: string;
  intervalMs?: number;
  concurrency?: number;
  /** How long stop() waits for in-flight reconciles and requests. */
  graceMs?: number;
  reconcile?: ReconcileOptions;
  /** Called with the API's URL once it listens and before the daemon logs "ready": whoever reads that line finds what this did (the CLI writes daemon.json). */
  onListening?: (url: string) => void;
}

export interface Daemon {
  url: string;
  stop(): Promise<void>;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { logger, plugins } = options;
  const graceMs = options.graceMs ?? 10_000;
  // The outbox only fills when something drains it.
  // The data dir holds the store and the API token: its user's alone (an existing one is narrowed to 0700).
  makePrivateDir(options.dataDir);
  const outbox = options.natsUrl !== undefined;
  // On a shared store every pass's commits and plugin calls are fenced by this host's lease of the
  // cluster, and by its connection: while it is down this host does nothing (connection-watch.ts).
  let leases: LeaseKeeper | undefined;
  let link: ConnectionWatch | undefined;
  const acting = (clusterId: string) => (link?.connected ?? true) && (leases?.holds(clusterId) ?? false);
  const fence = (clusterId: string) => {
    if (link && !link.connected) throw kadendeError('KADENDE_ERR_STORE_DISCONNECTED', link.url, link.state().downSince!);
    if (!leases) throw new Error('leases are not running yet');
    leases.fence(clusterId);
  };
  const inner: Store = options.storeUrl
    ? await NatsStore.open(options.storeUrl, { outbox, fence, inPass: () => LeasedPasses.inPass() !== undefined, publishing: () => leases?.holdsPublisher() ?? false })
    : await LevelStore.open(join(options.dataDir, 'store'), { outbox });
  const store = new FeedStore(inner);
  const hostId = options.hostId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const fleet: Fleet | undefined = inner instanceof NatsStore ? { hostId, holders: new LeaseHolders(inner.connection) } : undefined;
  // Configurations posted to the API are parsed in a thread of their own: /healthz and other clients are answered meanwhile.
  const parser = new ConfigParser();
  const loadConfig = (text: string, file: string) => parser.load(text, file);
  const service = new KadendeService(store, plugins, { ...options.reconcile, loadConfig, ...(fleet ? { guard: fence, holders: fleet.holders } : {}) });
  // Start what the first passes need before they need it: the stored clusters' plugin pools (PluginHost `warm`).
  store.listClusters().then((clusters) => plugins.warm(clusters.flatMap((cluster) => Object.values(cluster.pins))), () => {});
  const metrics = new DaemonMetrics({ store, plugins, outbox: options.natsUrl !== undefined });
  const schedulerLogger = logger.child({ component: 'scheduler' });
  const passes = new ServicePasses(service, { onDeleted: (clusterId, cluster) => schedulerLogger.info({ cluster, clusterId }, 'finished deleting the cluster') });
  let reconciler: ClusterReconciler = passes;
  if (inner instanceof NatsStore) {
    const leaseLogger = logger.child({ component: 'leases', hostId });
    const watch = (link = new ConnectionWatch(inner.connection, inner.url, (state) =>
      state.connected ? leaseLogger.info('the NATS store is reachable again: resuming work') : leaseLogger.warn({ reason: link?.notReadyReason() }, 'not ready'),
    ));
    const leaseMetrics = new LeaseMetrics(metrics.registry, () => leases?.heldClusters().length ?? 0);
    leases = await LeaseKeeper.open(inner.connection, {
      hostId,
      leaseTtlMs: options.leaseTtlMs,
      clusters: async () => (await inner.listClusters()).map((c) => c.id),
      publisher: outbox,
      active: () => watch.connected,
      onChange: (gained, lost) => leaseLogger.info({ gained, lost, held: leases?.heldClusters().length }, 'cluster leases changed'),
      onLease: (change) => {
        leaseMetrics.observe(change);
        // Its resources are the new holder's to report.
        if (change.kind !== 'taken') metrics.forgetCluster(change.clusterId);
        if (change.from) leaseLogger.info({ clusterId: change.clusterId, from: change.from }, 'took the cluster over from a host whose lease expired');
      },
    });
    reconciler = new LeasedPasses(passes, { holds: acting });
  }
  const scheduler = new Scheduler(reconciler, {
    logger: schedulerLogger,
    intervalMs: options.intervalMs,
    concurrency: options.concurrency,
    onPass: metrics.passObserver(store),
  });
  let publisher: OutboxPublisher | undefined;
  if (options.natsUrl) {
    publisher = new OutboxPublisher({
      servers: options.natsUrl,
      store,
      feed: store.feed,
      logger: logger.child({ component: 'publisher' }),
      onPublished: (n) => metrics.eventsPublished(n),
      // On a shared store other hosts' commits wake nothing here: the publisher looks more often.
      ...(inner instanceof NatsStore ? { pollMs: 100 } : {}),
    });
  } else {
    logger.info('no NATS URL (--nats or KADENDE_NATS_URL): running on the embedded default, events are kept in the local store only');
  }

  let ready = false;
  const api = await buildApi({
    service,
    feed: store.feed,
    token: options.token,
    logger,
    scheduler,
    metrics,
    fleet,
    readiness: () => {
      const reason = link?.notReadyReason();
      return {
        ready: ready && reason === undefined,
        ...(reason ? { reason } : {}),
        scheduler: { running: scheduler.running },
        nats: publisher ? publisher.status() : 'not configured',
        ...(link ? { store: { url: link.url, ...link.state() } } : {}),
      };
    },
  });
  try {
    await api.app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 7461 });
  } catch (error) {
    await parser.close();
    await plugins.close();
    await store.close();
    throw error;
  }
  const address = api.app.server.address() as { address: string; port: number };
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  options.onListening?.(url);
  if (leases) {
    leases.url = options.advertiseUrl ?? url;
    await leases.tick().catch((error: Error) => logger.warn({ err: { message: error.message } }, 'first lease round failed; retrying'));
    leases.start();
  }
  // The first passes read every cluster's records: one scan now instead of one read per cluster then.
  await store.warmRecords().catch((error: Error) => logger.warn({ err: { message: error.message } }, 'could not read the records ahead; passes read them as they go'));
  scheduler.start();
  publisher?.start();
  ready = true;
  logger.info({ url, ui: `${url}/ui/`, nats: options.natsUrl ?? null, intervalSeconds: (options.intervalMs ?? 30_000) / 1000 }, 'kadende daemon ready');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      ready = false;
      logger.info('stopping: no new work; finishing what is in flight');
      api.endStreams();
      const closing = api.app.close();
      const finished = await scheduler.stop(graceMs);
      if (!finished) logger.warn({ graceMs }, 'reconciles still running after the grace period are abandoned (their intent records stay)');
      const timer = setTimeout(() => api.app.server.closeAllConnections(), graceMs);
      await closing;
      clearTimeout(timer);
      // Released only once no pass runs here any more: another host takes over at once. Bounded:
      // a lease round stuck on NATS must not keep the process from exiting (the leases then expire).
      if (leases) await Promise.race([leases.stop(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
      await publisher?.stop(graceMs);
      const left = options.natsUrl ? await store.countOutbox() : 0;
      if (left > 0) logger.warn({ left }, 'events not yet delivered to NATS stay in the outbox for the next start');
      await parser.close();
      await plugins.close();
      await store.close();
      logger.info('stopped');
    })());
  return { url, stop };
}
