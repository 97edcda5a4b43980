/** Opens what a command needs (the store, the plugin host, the service) and closes it afterwards. */
import { join, resolve } from 'node:path';
import envPaths from 'env-paths';
import { clientToken, ApiClient, type KadendeOperations } from '../api/index.js';
import { KadendeService } from '../controller/index.js';
import { PluginHost, PluginResolver, distributionSources, type DistributionOptions } from '../plugins/index.js';
import { LevelStore } from '../store/index.js';
import { makePrivateDir } from '../../lib/index.js';

export interface GlobalOptions extends DistributionOptions {
  dataDir?: string;
  output?: 'table' | 'json';
  /** --server URL / KADENDE_SERVER: a running `kadende daemon`. */
  server?: string;
}

/** --data-dir, else KADENDE_DATA_DIR, else the XDG data dir (~/.local/share/kadende). */
export function dataDir(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(options.dataDir ?? env.KADENDE_DATA_DIR ?? envPaths('kadende', { suffix: '' }).data);
}

/** --server, else KADENDE_SERVER: a running daemon to talk to, if any. */
export function serverUrl(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return options.server ?? (env.KADENDE_SERVER || undefined);
}

export async function withService<T>(options: GlobalOptions, run: (service: KadendeOperations) => Promise<T>): Promise<T> {
  const server = serverUrl(options);
  if (server) {
    // A running daemon holds the store: every command goes through its API.
    const client = new ApiClient(server, clientToken({ dataDir: dataDir(options) }));
    try {
      return await run(client);
    } finally {
      await client.close();
    }
  }
  const local = await openLocal(options, ['service']);
  try {
    return await run(local.service);
  } finally {
    await local.close();
  }
}

/** What a command can ask openLocal for. */
export interface Local {
  /** The plugin sources the global flags name (local folders, registries, URLs) and the cache. */
  distribution: ReturnType<typeof distributionSources>;
  resolver: PluginResolver;
  plugins: PluginHost;
  store: LevelStore;
  service: KadendeService;
}

/**
 * The one place the CLI opens the local store and builds the plugin host.
 * Only what `needs` names is made: the store is locked while open, and the
 * plugin sources read --trusted-keys. close() closes the plugin host, then
 * the store; without either there is nothing to close.
 */
export async function openLocal<N extends keyof Local>(options: GlobalOptions, needs: readonly N[]): Promise<Pick<Local, N> & { close(): Promise<void> }> {
  const wants = (need: keyof Local) => (needs as readonly string[]).includes(need);
  // Everything but the bare store needs the plugin sources.
  const distribution = needs.some((need) => need !== 'store') ? distributionSources(options) : undefined;
  const resolver = distribution && new PluginResolver(distribution.sources);
  const plugins = resolver && (wants('plugins') || wants('service')) ? new PluginHost(resolver) : undefined;
  const store = wants('store') || wants('service') ? await LevelStore.open(join(makePrivateDir(dataDir(options)), 'store')) : undefined;
  const service = store && plugins && wants('service') ? new KadendeService(store, plugins, backoffFromEnv()) : undefined;
  const close = async () => {
    await plugins?.close();
    await store?.close();
  };
  return { distribution, resolver, plugins, store, service, close } as Pick<Local, N> & { close(): Promise<void> };
}

/** KADENDE_CREATE_BACKOFF_MS tunes the first create retry delay, for the CLI and the daemon alike (tests shorten it). */
export function backoffFromEnv(): { createBackoffMs?: number } {
  const raw = process.env.KADENDE_CREATE_BACKOFF_MS;
  return raw !== undefined && /^\d+$/.test(raw) ? { createBackoffMs: Number(raw) } : {};
}
