/**
 * Plugin resolution: a configuration's PluginRef (name + version/range or URL)
 * becomes one exact PluginPin and a folder on disk. Sources are tried in order;
 * the first that knows the name answers. Local sources (plugin folders on disk:
 * KADENDE_PLUGIN_PATH, then the built-in plugins shipped with Kadende) are here;
 * the registry and URL sources live beside them.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import semver from 'semver';
import { latestOf } from '../../registry/index.js';
import type { PluginRef, PluginPin } from '../../model/index.js';
import { readPluginFolder, type PluginFolder } from './manifest.js';
import { builtinIntegrity, verifyBuiltin } from './builtin-index.js';
import { checkPluginLoads } from './load-check.js';
import { kadendeError } from '../../errors/index.js';

/** Names the specification's sample uses for built-in plugins. */
const ALIASES: Record<string, string> = { gcd: 'gcp', google: 'gcp', gce: 'gcp', ec2: 'aws', do: 'digitalocean' };

export function canonicalPluginName(name: string): string {
  const lower = name.toLowerCase();
  return ALIASES[lower] ?? lower;
}

export interface ResolvedPlugin {
  pin: PluginPin;
  folder: PluginFolder;
}

export interface PluginSource {
  /** Resolves a reference, or answers undefined when this source does not have the plugin at all. */
  resolve(ref: PluginRef): Promise<ResolvedPlugin | undefined>;
  /** Finds the folder of an exact pin this source made, or undefined. */
  load(pin: PluginPin): Promise<PluginFolder | undefined>;
}

/** Picks the version a reference asks for: `latest` is the highest release, a range its highest match. */
export function pickVersion(versions: string[], wanted: string): string | undefined {
  if (wanted === 'latest') return latestOf(versions);
  if (semver.valid(wanted)) return versions.find((v) => semver.eq(v, wanted));
  // A prerelease only when asked for exactly.
  return semver.maxSatisfying(versions, wanted) ?? undefined;
}

/** Plugin folders found in directories: each child folder with a `kadende` manifest is a plugin. */
export class LocalPluginSource implements PluginSource {
  private scanned?: Promise<PluginFolder[]>;

  constructor(
    private readonly directories: string[],
    private readonly kind: 'builtin' | 'local',
  ) {}

  private folders(): Promise<PluginFolder[]> {
    this.scanned ??= (async () => {
      const found: PluginFolder[] = [];
      for (const directory of this.directories) {
        if (!existsSync(directory)) continue;
        for (const child of readdirSync(directory).sort()) {
          const dir = join(directory, child);
          if (!existsSync(join(dir, 'package.json'))) continue;
          // A folder that is not a built plugin yet (no manifest, or no main) is not a candidate.
          const folder = await readPluginFolder(dir).catch(() => undefined);
          if (folder) found.push(folder);
        }
      }
      return found;
    })();
    return this.scanned;
  }

  async resolve(ref: PluginRef): Promise<ResolvedPlugin | undefined> {
    if (ref.url) return undefined;
    const name = canonicalPluginName(ref.name);
    const candidates = (await this.folders()).filter((f) => f.manifest.name === name);
    if (candidates.length === 0) return undefined;
    const version = pickVersion(
      candidates.map((f) => f.manifest.version),
      ref.version,
    );
    const folder = candidates.find((f) => f.manifest.version === version);
    if (!folder) {
      throw kadendeError('KADENDE_ERR_PLUGIN_NO_MATCHING_VERSION', `plugin ${name}: no version matches "${ref.version}" (${this.kind} has ${candidates.map((f) => f.manifest.version).join(', ')})`);
    }
    if (this.kind === 'builtin') await verifyBuiltin(this.directories[0]!, folder);
    const integrity = this.kind === 'builtin' ? builtinIntegrity(this.directories[0]!, name, folder.manifest.version) : undefined;
    return { pin: { name, version: folder.manifest.version, source: this.kind, ...(integrity ? { integrity } : {}), requested: { name: ref.name, version: ref.version } }, folder };
  }

  async load(pin: PluginPin): Promise<PluginFolder | undefined> {
    if (pin.source !== this.kind) return undefined;
    const folder = (await this.folders()).find((f) => f.manifest.name === pin.name && f.manifest.version === pin.version);
    if (folder && this.kind === 'builtin') await verifyBuiltin(this.directories[0]!, folder);
    return folder;
  }
}

/** The built-in plugins shipped in this repository's plugins/ folder. */
export function builtinPluginsDir(): string {
  return join(PROJECT_ROOT, 'plugins');
}

export class PluginResolver {
  constructor(private readonly sources: PluginSource[]) {}

  /**
   * Resolves a reference to a pin and a folder whose plugin loads (checked once per process, in a
   * worker). Built-in plugins are not checked: the build bundles and tests them, and loading the
   * cloud ones (megabytes of SDK) in an extra worker on every apply would cost seconds.
   */
  async resolve(ref: PluginRef): Promise<ResolvedPlugin> {
    for (const source of this.sources) {
      const resolved = await source.resolve(ref);
      if (resolved) {
        if (resolved.pin.source !== 'builtin') await checkPluginLoads(resolved.folder);
        return resolved;
      }
    }
    throw kadendeError('KADENDE_ERR_PLUGIN_NOT_FOUND', ref.url ? `plugin ${ref.name}: nothing can fetch ${ref.url}` : `plugin "${ref.name}" was not found (looked in: built-in plugins, KADENDE_PLUGIN_PATH, configured registries)`);
  }

  /** The folder of a pin; with `check` (the default) its plugin is also checked to load. */
  async load(pin: PluginPin, options: { check?: boolean } = {}): Promise<PluginFolder> {
    for (const source of this.sources) {
      const folder = await source.load(pin);
      if (folder) {
        if ((options.check ?? true) && pin.source !== 'builtin') await checkPluginLoads(folder);
        return folder;
      }
    }
    throw kadendeError('KADENDE_ERR_PLUGIN_PIN_UNAVAILABLE', `plugin ${pin.name}@${pin.version} (${pin.source}) is pinned by the cluster but is not available here; ${unavailableHint(pin)}`);
  }
}

/** What to do about a pin no source has: for a local plugin the path is missing, not the version. */
function unavailableHint(pin: PluginPin, env: NodeJS.ProcessEnv = process.env): string {
  if (pin.source === 'local') {
    const path = env.KADENDE_PLUGIN_PATH;
    return path
      ? `it came from a local plugin folder, and no folder on KADENDE_PLUGIN_PATH (${path}) holds ${pin.name} ${pin.version}: add the folder that contains the plugin's folder to KADENDE_PLUGIN_PATH`
      : "it came from a local plugin folder, and KADENDE_PLUGIN_PATH is not set: set it to the folder that contains the plugin's folder (as when the cluster was applied)";
  }
  if (pin.source === 'registry') return 'configure the registry it came from (--registry or KADENDE_REGISTRY), or re-apply with --upgrade-plugins to re-resolve';
  return 're-apply with --upgrade-plugins to re-resolve';
}

/** Local sources from the environment: KADENDE_PLUGIN_PATH (colon-separated folders of plugin folders), then built-ins. */
export function localSources(env: NodeJS.ProcessEnv = process.env): PluginSource[] {
  const paths = (env.KADENDE_PLUGIN_PATH ?? '').split(':').filter(Boolean);
  return [...(paths.length ? [new LocalPluginSource(paths, 'local')] : []), new LocalPluginSource([builtinPluginsDir()], 'builtin')];
}
