/**
 * The full chain of plugin sources, from options and the environment:
 * KADENDE_PLUGIN_PATH folders, the built-in plugins, the registries
 * (--registry or KADENDE_REGISTRY, comma-separated, tried in order), then
 * tarball URLs. The first source that knows a name answers, so a built-in
 * plugin never needs a registry.
 */
import { resolve } from 'node:path';
import envPaths from 'env-paths';
import { PluginCache } from './cache.js';
import { localSources, type PluginSource } from './resolve.js';
import { RegistrySource, UrlSource } from './sources.js';
import { readTrustedKeys } from './verify.js';

export interface DistributionOptions {
  cacheDir?: string;
  /** Comma-separated registry URLs. */
  registry?: string;
  /** A file of Ed25519 public keys (PEM). */
  trustedKeys?: string;
  /** See DownloadOptions: the daemon's policy for plugin URLs (daemonUrlPolicy). */
  allowFileUrls?: boolean;
  opaqueUrlErrors?: boolean;
}

/**
 * Plugin URLs in the daemon, which takes configurations from API clients: http(s)
 * only unless KADENDE_ALLOW_FILE_PLUGIN_URLS=1, and one answer for every failed
 * install, so that the answers do not tell a client which files exist on the
 * daemon's machine.
 */
export function daemonUrlPolicy(env: NodeJS.ProcessEnv = process.env): Pick<DistributionOptions, 'allowFileUrls' | 'opaqueUrlErrors'> {
  return { allowFileUrls: env.KADENDE_ALLOW_FILE_PLUGIN_URLS === '1', opaqueUrlErrors: true };
}

/** --cache-dir, else KADENDE_CACHE_DIR, else the XDG cache dir (~/.cache/kadende/plugins). */
export function cacheDir(options: DistributionOptions, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(options.cacheDir ?? env.KADENDE_CACHE_DIR ?? `${envPaths('kadende', { suffix: '' }).cache}/plugins`);
}

export function registries(options: DistributionOptions, env: NodeJS.ProcessEnv = process.env): string[] {
  return (options.registry ?? env.KADENDE_REGISTRY ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
}

export function pluginCache(options: DistributionOptions, env: NodeJS.ProcessEnv = process.env): PluginCache {
  return new PluginCache(cacheDir(options, env));
}

export function distributionSources(options: DistributionOptions, env: NodeJS.ProcessEnv = process.env): { sources: PluginSource[]; cache: PluginCache; registry?: RegistrySource; url: UrlSource } {
  const cache = pluginCache(options, env);
  const keysFile = options.trustedKeys ?? env.KADENDE_TRUSTED_KEYS;
  const download = { cache, trustedKeys: keysFile ? readTrustedKeys(keysFile) : undefined, allowFileUrls: options.allowFileUrls, opaqueUrlErrors: options.opaqueUrlErrors };
  const urls = registries(options, env);
  const registry = urls.length > 0 ? new RegistrySource(urls, download) : undefined;
  const url = new UrlSource(download);
  return { sources: [...localSources(env), ...(registry ? [registry] : []), url], cache, registry, url };
}
