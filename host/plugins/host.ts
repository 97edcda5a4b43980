/** Keeps one pool per pinned plugin for the life of the process, and closes them all at the end. */
import type { PluginPin } from '../../model/index.js';
import type { PluginFolder } from './manifest.js';
import { PluginPool } from './pool.js';
import type { PluginResolver } from './resolve.js';

export class PluginHost {
  private readonly pools = new Map<string, Promise<PluginPool>>();

  constructor(readonly resolver: PluginResolver) {}

  pool(pin: PluginPin): Promise<PluginPool> {
    const key = `${pin.source}:${pin.name}@${pin.version}`;
    let pool = this.pools.get(key);
    if (!pool) {
      // The pool's first use loads the module: a plugin that cannot load says so once, here.
      pool = this.resolver.load(pin, { check: false }).then(async (folder: PluginFolder) => {
        const created = new PluginPool(folder);
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

  /** Every pool's call counters, for metrics. */
  async stats(): Promise<Array<{ plugin: string; calls: number; errors: number }>> {
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
