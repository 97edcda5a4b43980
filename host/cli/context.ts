/** Opens what a command needs (the store, the plugin host, the service) and closes it afterwards. */
import { join, resolve } from 'node:path';
import envPaths from 'env-paths';
import { clientToken, ApiClient, type KadendeOperations } from '../api/index.js';
import { KadendeService } from '../controller/index.js';
import { PluginHost, PluginResolver, distributionSources, type DistributionOptions } from '../plugins/index.js';
import { LevelStore } from '../store/index.js';

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
  const store = await LevelStore.open(join(dataDir(options), 'store'));
  const plugins = new PluginHost(new PluginResolver(distributionSources(options).sources));
  try {
    return await run(new KadendeService(store, plugins, backoffFromEnv()));
  } finally {
    await plugins.close();
    await store.close();
  }
}

/** KADENDE_CREATE_BACKOFF_MS tunes the first create retry delay, for the CLI and the daemon alike (tests shorten it). */
export function backoffFromEnv(): { createBackoffMs?: number } {
  const raw = process.env.KADENDE_CREATE_BACKOFF_MS;
  return raw !== undefined && /^\d+$/.test(raw) ? { createBackoffMs: Number(raw) } : {};
}
