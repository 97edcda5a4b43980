/** A KadendeService on a temporary LevelStore with the built-in plugins, for tests of the daemon's parts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KadendeService } from '../../host/controller/service.js';
import { FeedStore } from '../../host/events/feed.js';
import { PluginHost } from '../../host/plugins/host.js';
import { localSources, PluginResolver } from '../../host/plugins/resolve.js';
import { LevelStore } from '../../host/store/level-store.js';

export interface TestService {
  dir: string;
  store: FeedStore;
  plugins: PluginHost;
  service: KadendeService;
  close(): Promise<void>;
}

export async function openTestService(options: { outbox?: boolean } = {}): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), 'kadende-daemon-test-'));
  const store = new FeedStore(await LevelStore.open(join(dir, 'store'), { outbox: options.outbox ?? false }));
  const plugins = new PluginHost(new PluginResolver(localSources()));
  const service = new KadendeService(store, plugins, { createBackoffMs: 10 });
  let closed = false;
  return {
    dir,
    store,
    plugins,
    service,
    async close() {
      if (closed) return;
      closed = true;
      await plugins.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A cluster of `size` file resources in `directory` (an absolute path: plugin workers resolve it themselves). */
export function fileCluster(name: string, directory: string, size = 2): string {
  return [
    'version: "0.0.1"',
    `name: ${name}`,
    'groups:',
    '  web:',
    `    size: ${size}`,
    '    resourcePlugin:',
    '      name: file',
    '    resourceProperties:',
    `      directory: ${JSON.stringify(directory)}`,
    '',
  ].join('\n');
}
