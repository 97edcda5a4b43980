/**
 * Plugin install: cold (resolve in a local registry, download, verify, unpack
 * into an empty cache, start the worker pool, first call) and warm (the pinned
 * version from the cache, no network, start the pool, first call). Both
 * include starting a worker thread, which is most of the warm figure.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginCache } from '../host/plugins/cache.js';
import { PluginPool } from '../host/plugins/pool.js';
import { PluginResolver } from '../host/plugins/resolve.js';
import { RegistrySource } from '../host/plugins/sources.js';
import { RegistryClient } from '../registry/client.js';
import { packPlugin } from '../registry/pack.js';
import { createRegistryServer } from '../registry/server.js';
import { percentile, round, type BenchRow } from './harness.js';

const ROUNDS = 10;

export async function run(): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'kadende-bench-install-'));
  const app = await createRegistryServer({ dir: join(root, 'registry'), token: 'bench-token-0123456789' });
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const plugin = join(root, 'echo');
    cpSync(new URL('../test/fixtures/distribution/echo', import.meta.url).pathname, plugin, { recursive: true });
    const packed = await packPlugin(plugin);
    await new RegistryClient(url).publish('echo', packed.bytes, { token: 'bench-token-0123456789' });
    const firstCall = async (pool: PluginPool) => {
      await pool.call('describe', { tags: { bench: '1' }, properties: { directory: join(root, 'resources') } });
      await pool.close();
    };

    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const cache = new PluginCache(join(root, `cache-${i}`));
      let started = performance.now();
      const resolved = await new PluginResolver([new RegistrySource([url], { cache, progress: false })]).resolve({ name: 'echo', version: 'latest' });
      await firstCall(new PluginPool(resolved.folder));
      cold.push(performance.now() - started);

      // A new process's view: a fresh source over the same cache, loading the pin.
      started = performance.now();
      const folder = await new PluginResolver([new RegistrySource([url], { cache, progress: false })]).load(resolved.pin);
      await firstCall(new PluginPool(folder));
      warm.push(performance.now() - started);
    }
    const note = `${ROUNDS} rounds, ${packed.bytes.length}-byte tarball, registry on 127.0.0.1`;
    return [
      { benchmark: 'plugin install', metric: 'cold: registry -> first call p50', value: round(percentile(cold, 50)), unit: 'ms', note },
      { benchmark: 'plugin install', metric: 'cold: registry -> first call max', value: round(Math.max(...cold)), unit: 'ms' },
      { benchmark: 'plugin install', metric: 'warm: cache -> first call p50', value: round(percentile(warm, 50)), unit: 'ms', note: 'pinned version, no network' },
      { benchmark: 'plugin install', metric: 'warm: cache -> first call max', value: round(Math.max(...warm)), unit: 'ms' },
    ];
  } finally {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  }
}
