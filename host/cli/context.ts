/** Opens what a command needs (the store, the plugin host, the service) and closes it afterwards. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import envPaths from 'env-paths';
import { clientToken, ApiClient, type KadendeOperations } from '../api/index.js';
import { KadendeService } from '../controller/index.js';
import { IN_FLIGHT_FLAG, IN_FLIGHT_VARIABLE, parseMaxInFlight, PluginHost, PluginResolver, distributionSources, type DistributionOptions } from '../plugins/index.js';
import { hasCode, kadendeError } from '../../errors/index.js';
import { LeaseHolders, LevelStore, MemoryStore, NatsStore, type Store } from '../store/index.js';
import { makePrivateDir } from '../../lib/index.js';

export interface GlobalOptions extends DistributionOptions {
  dataDir?: string;
  output?: 'table' | 'wide' | 'json' | 'yaml';
  /** From the context (kadende config): the daemon's API token file. */
  tokenFile?: string;
  /** --context NAME. */
  context?: string;
  /** false with --no-headers. */
  headers?: boolean;
  /** --server URL / KADENDE_SERVER: a running `kadende daemon`. */
  server?: string;
  /** --store nats://HOST:PORT / KADENDE_STORE: the shared NATS store; absent: the embedded LevelDB in the data dir. */
  store?: string;
  /** --plugin-max-in-flight aws=20 / KADENDE_PLUGIN_MAX_IN_FLIGHT: calls in flight per plugin account. */
  pluginMaxInFlight?: string;
}

/** --plugin-max-in-flight, else KADENDE_PLUGIN_MAX_IN_FLIGHT: the operator's limits per plugin name, checked. */
export function pluginMaxInFlight(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Record<string, number> {
  if (options.pluginMaxInFlight !== undefined) return parseMaxInFlight(options.pluginMaxInFlight, IN_FLIGHT_FLAG);
  return parseMaxInFlight(env[IN_FLIGHT_VARIABLE], IN_FLIGHT_VARIABLE);
}

/** --data-dir, else KADENDE_DATA_DIR, else the XDG data dir (~/.local/share/kadende). */
export function dataDir(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(options.dataDir ?? env.KADENDE_DATA_DIR ?? envPaths('kadende', { suffix: '' }).data);
}

/** --store, else KADENDE_STORE: a NATS URL, or undefined for the embedded LevelDB store (the default). */
export function storeUrl(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = options.store ?? (env.KADENDE_STORE || undefined);
  if (url === undefined) return undefined;
  if (!/^(nats|tls):\/\/[^\s/]+(\/?)$/.test(url)) {
    throw kadendeError('KADENDE_ERR_ARGUMENT', `--store (or KADENDE_STORE) takes a NATS URL such as nats://127.0.0.1:4222, got "${url}"`);
  }
  return url;
}

/** The store a command works on: NATS with --store, else LevelDB in the data dir. */
/** The store the options name: NATS JetStream (--store nats://...), else the embedded LevelDB of the data dir. `create`: it may be made (apply, plan -f, the daemon); a lookup never makes one. */
export async function openStore(options: GlobalOptions, create = true): Promise<Store> {
  const url = storeUrl(options);
  return url ? NatsStore.open(url) : openLevelStore(options, create);
}

/** --server, else KADENDE_SERVER: a running daemon to talk to, if any. */
export function serverUrl(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return options.server ?? (env.KADENDE_SERVER || undefined);
}

/**
 * `create`: the command may make the store (apply, plan -f); a lookup never does.
 * `emptyWhenMissing`: without a store, work on an empty one in memory (a dry run stores nothing, not even a store).
 */
export async function withService<T>(
  options: GlobalOptions,
  run: (service: KadendeOperations) => Promise<T>,
  { create = false, emptyWhenMissing = false }: { create?: boolean; emptyWhenMissing?: boolean } = {},
): Promise<T> {
  const server = serverUrl(options);
  if (server) {
    // A running daemon holds the store: every command goes through its API.
    const client = new ApiClient(server, clientToken({ tokenFile: options.tokenFile, dataDir: dataDir(options) }));
    try {
      return await run(client);
    } finally {
      await client.close();
    }
  }
  const local = await openLocal(options, ['service'], { create, emptyWhenMissing });
  try {
    return await run(local.service);
  } finally {
    await local.close();
  }
}

/** Plugin threads this process could not stop (openLocal's close): the process must be ended hard (main.ts). */
export let stuckPluginThreads = 0;

/** What a command can ask openLocal for. */
export interface Local {
  /** The plugin sources the global flags name (local folders, registries, URLs) and the cache. */
  distribution: ReturnType<typeof distributionSources>;
  resolver: PluginResolver;
  plugins: PluginHost;
  store: Store;
  service: KadendeService;
}

/**
 * The one place the CLI opens the local store and builds the plugin host.
 * Only what `needs` names is made: the store is locked while open, and the
 * plugin sources read --trusted-keys. close() closes the plugin host, then
 * the store; without either there is nothing to close.
 */
export async function openLocal<N extends keyof Local>(
  options: GlobalOptions,
  needs: readonly N[],
  { create = true, warm = false, emptyWhenMissing = false }: { create?: boolean; warm?: boolean; emptyWhenMissing?: boolean } = {},
): Promise<Pick<Local, N> & { close(): Promise<void> }> {
  const wants = (need: keyof Local) => (needs as readonly string[]).includes(need);
  // Everything but the bare store needs the plugin sources.
  const distribution = needs.some((need) => need !== 'store') ? distributionSources(options) : undefined;
  const resolver = distribution && new PluginResolver(distribution.sources);
  const plugins = resolver && (wants('plugins') || wants('service')) ? new PluginHost(resolver, { maxInFlight: pluginMaxInFlight(options), warm }) : undefined;
  const opening = wants('store') || wants('service') ? openStore(options, create) : undefined;
  const store = emptyWhenMissing ? await opening?.catch((error: unknown) => (hasCode(error, 'KADENDE_ERR_STORE_NOT_FOUND') ? new MemoryStore() : Promise.reject(error))) : await opening;
  // On a NATS store, `describe cluster` shows which host holds the cluster's lease.
  const holders = store instanceof NatsStore ? new LeaseHolders(store.connection) : undefined;
  const service = store && plugins && wants('service') ? new KadendeService(store, plugins, { ...backoffFromEnv(), holders, refuseHeldClusters: true }) : undefined;
  const close = async () => {
    const stuck = (await plugins?.close()) ?? 0;
    await store?.close();
    stuckPluginThreads += stuck;
  };
  return { distribution, resolver, plugins, store, service, close } as Pick<Local, N> & { close(): Promise<void> };
}

async function openLevelStore(options: GlobalOptions, create: boolean): Promise<LevelStore> {
  // The data dir holds the store and the API token: its user's alone (an existing one is narrowed to 0700).
  if (create) makePrivateDir(dataDir(options));
  const directory = join(dataDir(options), 'store');
  try {
    return await openWaitingForShortHolders(directory, create, runningDaemon(dataDir(options)) === undefined);
  } catch (error) {
    // Held by a daemon of this data dir: say where it answers.
    const url = hasCode(error, 'KADENDE_ERR_STORE_LOCKED') ? runningDaemon(dataDir(options))?.url : undefined;
    if (url) throw kadendeError('KADENDE_ERR_STORE_LOCKED', directory, url).with({ cause: error });
    throw error;
  }
}

/** How long a command waits for a store another command holds: `get --watch` opens it for each look, an apply meanwhile must not fail. */
const SHORT_HOLD_MS = 3000;

/** Without a daemon on the data dir, the holder is another command, done in a moment: wait for it a little. */
async function openWaitingForShortHolders(directory: string, create: boolean, waitForHolder: boolean): Promise<LevelStore> {
  const deadline = Date.now() + (waitForHolder ? SHORT_HOLD_MS : 0);
  for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
    try {
      return await LevelStore.open(directory, { createIfMissing: create });
    } catch (error) {
      if (!hasCode(error, 'KADENDE_ERR_STORE_LOCKED') || Date.now() + pause > deadline) throw error;
      await sleep(pause);
    }
  }
}

/** Where a daemon writes its URL while it runs: `<dataDir>/daemon.json`. */
const daemonFile = (directory: string) => join(directory, 'daemon.json');

export function writeDaemonFile(directory: string, url: string): () => void {
  const file = daemonFile(directory);
  writeFileSync(file, `${JSON.stringify({ url, pid: process.pid, startedAt: new Date().toISOString() })}\n`);
  return () => rmSync(file, { force: true });
}

/** The daemon running on this data dir, if its file says so and its process is alive. */
export function runningDaemon(directory: string): { url: string; pid: number } | undefined {
  try {
    const found = JSON.parse(readFileSync(daemonFile(directory), 'utf8')) as { url?: unknown; pid?: unknown };
    if (typeof found.url !== 'string' || typeof found.pid !== 'number') return undefined;
    process.kill(found.pid, 0);
    return { url: found.url, pid: found.pid };
  } catch {
    return undefined;
  }
}

/** KADENDE_CREATE_BACKOFF_MS tunes the first create retry delay, for the CLI and the daemon alike (tests shorten it). */
export function backoffFromEnv(): { createBackoffMs?: number } {
  const raw = process.env.KADENDE_CREATE_BACKOFF_MS;
  return raw !== undefined && /^\d+$/.test(raw) ? { createBackoffMs: Number(raw) } : {};
}
