/**
 * Keeps one pool per pinned plugin for the life of the process, and closes them all at the end.
 * Pools of one plugin given the same credentials share one limiter of calls in flight (limiter.ts):
 * the provider's limits are per account, not per version or group.
 */
import type { PluginPin } from '../../model/index.js';
import { CallLimiters, type LimiterStats } from './limiter.js';
import type { PluginFolder } from './manifest.js';
import { effectiveLimits, hostCeilings, pluginEnv, PluginPool } from './pool.js';
import { canonicalPluginName, type PluginResolver } from './resolve.js';

export interface PluginHostOptions {
  /** The operator's calls-in-flight limit per plugin name (its account's limit): `--plugin-max-in-flight`, KADENDE_PLUGIN_MAX_IN_FLIGHT. */
  maxInFlight?: Record<string, number>;
  /**
   * Start a plugin's pool (its sandbox, every thread, the module loaded) as soon as a cluster pins
   * it or the process starts, not at its first call: for a long-lived process (the daemon).
   */
  warm?: boolean;
}

/**
 * How long a warm host keeps an unused sandbox and its threads (a cold host: the pool's 30 s):
 * longer than any usual reconcile interval, so a group's next pass or scale-up does not start the
 * plugin again, and short enough that a plugin no cluster uses any more (an upgraded pin) goes.
 */
export const WARM_IDLE_MS = 10 * 60_000;

export class PluginHost {
  private readonly pools = new Map<string, Promise<PluginPool>>();
  private readonly limiters = new CallLimiters();

  constructor(
    readonly resolver: PluginResolver,
    private readonly options: PluginHostOptions = {},
  ) {}

  pool(pin: PluginPin): Promise<PluginPool> {
    const key = poolKey(pin);
    let pool = this.pools.get(key);
    if (!pool) {
      // The pool's first use loads the module: a plugin that cannot load says so once, here.
      pool = this.resolver.load(pin, { check: false }).then(async (folder: PluginFolder) => {
        const { manifest } = folder;
        const ceilings = hostCeilings();
        const limiter = this.limiters.get({
          plugin: canonicalPluginName(manifest.name),
          env: pluginEnv(manifest.env),
          ceiling: effectiveLimits(folder.limits, ceilings).concurrency,
          operatorLimit: this.options.maxInFlight?.[canonicalPluginName(manifest.name)],
        });
        const created = new PluginPool(folder, { ceilings, limiter, ...(this.options.warm ? { idleMs: WARM_IDLE_MS } : {}) });
        try {
          await created.probe();
        } catch (error) {
          await created.close().catch(() => {});
          throw error;
        }
        return created;
      });
      this.pools.set(key, pool);
      pool.catch(() => this.pools.delete(key));
    }
    return pool;
  }

  /**
   * Starts the pools of these pins in the background (with `warm`), and brings an existing pool back
   * to every thread if its sandbox or threads were stopped meanwhile; a plugin that fails to load
   * says so at its first call.
   */
  warm(pins: Iterable<PluginPin>): void {
    if (!this.options.warm) return;
    for (const pin of pins) {
      const existing = this.pools.has(poolKey(pin));
      const pool = this.pool(pin);
      if (existing) pool.then((p) => p.probe()).catch(() => {});
      else pool.catch(() => {});
    }
  }

  /** Every provider account's limiter: its adaptive limit, calls in flight and throttling answers, for metrics. */
  limiterStats(): LimiterStats[] {
    return this.limiters.all().map((limiter) => limiter.stats());
  }

  /** Every pool's call counters, for metrics. */
  async stats(): Promise<Array<{ plugin: string; calls: number; errors: number; throttled: number }>> {
    const pools = await Promise.allSettled([...this.pools.values()]);
    return pools.flatMap((p) => (p.status === 'fulfilled' ? [{ plugin: p.value.id, ...p.value.stats }] : []));
  }

  /**
   * Closes every pool. Resolves to how many threads could not be stopped (stuck in a system call,
   * which only ending the process stops): a short-lived process must then end itself hard.
   */
  async close(): Promise<number> {
    const pools = await Promise.allSettled([...this.pools.values()]);
    this.pools.clear();
    await Promise.all(pools.map((p) => (p.status === 'fulfilled' ? p.value.close() : undefined)));
    return pools.reduce((n, p) => n + (p.status === 'fulfilled' ? (p.value.threads?.size ?? 0) + (p.value.threads?.stuck ?? 0) : 0), 0);
  }
}

function poolKey(pin: PluginPin): string {
  return `${pin.source}:${pin.name}@${pin.version}`;
}
