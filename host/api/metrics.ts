/**
 * Prometheus metrics of the daemon. Pass outcomes and durations are counted as
 * they happen; resources by state are what each cluster's last pass left (a
 * scrape reads no record: at fleet scale reading every record per scrape cost
 * more than the passes); plugin calls and the outbox are read from their
 * owners when /metrics is scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PassOutcome, SchedulerOptions } from '../controller/index.js';
import type { PluginHost } from '../plugins/index.js';
import type { Store } from '../store/index.js';
import type { ResourceRecord } from '../../model/index.js';

/** A cluster's records by group and state, as its last pass left them. */
interface Tally {
  name: string;
  counts: Map<string, { group: string; state: string; n: number }>;
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly reconciles: Counter<'outcome'>;
  private readonly durations: Histogram<'outcome'>;
  private readonly published: Counter;
  private readonly tallies = new Map<string, Tally>();

  constructor(deps: { store: Store; plugins: PluginHost; outbox: boolean }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'kadende_' });
    this.reconciles = new Counter({
      name: 'kadende_reconciles_total',
      help: 'Reconcile passes by outcome (converged, progressing, failed, error).',
      labelNames: ['outcome'],
      registers,
    });
    this.durations = new Histogram({
      name: 'kadende_reconcile_duration_seconds',
      help: 'Duration of reconcile passes.',
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.published = new Counter({ name: 'kadende_events_published_total', help: 'Events acknowledged by NATS JetStream.', registers });
    const pluginCounter = (name: string, help: string, field: 'calls' | 'errors' | 'throttled') =>
      new Counter({
        name,
        help,
        labelNames: ['plugin'],
        registers,
        async collect() {
          // The pools keep their own totals: report them as they are.
          this.reset();
          for (const stats of await deps.plugins.stats()) this.inc({ plugin: stats.plugin }, stats[field]);
        },
      });
    pluginCounter('kadende_plugin_calls_total', 'Plugin calls by plugin@version.', 'calls');
    pluginCounter('kadende_plugin_errors_total', 'Plugin calls that failed, by plugin@version.', 'errors');
    // The provider's throttling (issue 15): answers it throttled, and the limit each account adapted to.
    pluginCounter('kadende_plugin_throttled_total', "Plugin answers that were the provider's throttling (retried by the host under a lowered limit), by plugin@version.", 'throttled');
    this.inFlightLimits(deps.plugins, registers);
    const resources = new Gauge({
      name: 'kadende_resources',
      help: 'Resource records by cluster, group and state.',
      labelNames: ['cluster', 'group', 'state'],
      registers,
      collect: () => {
        resources.reset();
        for (const { name, counts } of this.tallies.values()) {
          for (const { group, state, n } of counts.values()) resources.inc({ cluster: name, group, state }, n);
        }
      },
    });
    new Gauge({
      name: 'kadende_outbox_depth',
      help: 'Events waiting in the outbox for NATS (0 without a NATS URL).',
      registers,
      async collect() {
        this.set(deps.outbox ? await deps.store.countOutbox() : 0);
      },
    });
  }

  /** The calls-in-flight limit of each provider account (issue 15). */
  private inFlightLimits(plugins: PluginHost, registers: Registry[]): void {
    new Gauge({
      name: 'kadende_plugin_in_flight_limit',
      help: "Calls a plugin may have in flight against one provider account (plugin name, credentials digest): the adaptive limit, or the operator's.",
      labelNames: ['plugin', 'account'],
      registers,
      collect() {
        this.reset();
        for (const limiter of plugins.limiterStats()) this.set({ plugin: limiter.plugin, account: limiter.key.split(':')[1] ?? '' }, limiter.limit);
      },
    });
  }

  observePass(outcome: PassOutcome | 'error', durationMs: number): void {
    this.reconciles.inc({ outcome });
    this.durations.observe({ outcome }, durationMs / 1000);
  }

  /** The scheduler's onPass: counts the pass, and keeps the cluster's records by state (read once per pass, not per scrape). */
  passObserver(store: Store): NonNullable<SchedulerOptions['onPass']> {
    return (clusterId, outcome, durationMs, result) => {
      this.observePass(outcome, durationMs);
      void this.refreshTally(store, clusterId, result?.report?.deleted === true).catch(() => {});
    };
  }

  /** A cluster this host no longer works on (another host's lease now): its gauge is that host's to report. */
  forgetCluster(clusterId: string): void {
    this.tallies.delete(clusterId);
  }

  private async refreshTally(store: Store, clusterId: string, deleted: boolean): Promise<void> {
    const cluster = deleted ? undefined : await store.getCluster(clusterId);
    if (!cluster) return this.forgetCluster(clusterId);
    this.tallies.set(clusterId, { name: cluster.name, counts: countByState(await store.listResources(clusterId)) });
  }

  eventsPublished(count: number): void {
    this.published.inc(count);
  }
}

function countByState(records: ResourceRecord[]): Tally['counts'] {
  const counts: Tally['counts'] = new Map();
  for (const record of records) {
    const key = `${record.groupPath}\0${record.state}`;
    const entry = counts.get(key) ?? { group: record.groupPath, state: record.state, n: 0 };
    entry.n += 1;
    counts.set(key, entry);
  }
  return counts;
}
