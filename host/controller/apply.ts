/**
 * Applying a configuration: load and validate it, resolve and pin each
 * group's plugin, check resourceProperties against the plugin's schema, and
 * store the next ClusterRecord. Nothing is written unless everything is valid.
 */
import { isAbsolute, resolve } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { checkResourceProperties, ConfigError, loadClusterConfigPartially, formatPath, type LoadedConfig } from '../config/index.js';
import type { ClusterRecord, ClusterSpec, ConfigIssue, LeafGroup, PluginPin } from '../../model/index.js';
import { makeEvent } from '../events/index.js';
import { canonicalPluginName, type PluginHost, type ResolvedPlugin } from '../plugins/index.js';
import type { Store } from '../store/index.js';
import { nextClusterRecord } from './next-cluster.js';
import { specHash } from './spec-hash.js';
import { tagLimitProblems } from './tag-limits.js';
import { kadendeError } from '../../errors/index.js';

export interface ApplyResult {
  cluster: ClusterRecord;
  created: boolean;
  /** The configuration or a pin differs from what was stored. */
  changed: boolean;
}

export interface PreparedConfig {
  spec: ClusterSpec;
  existing?: ClusterRecord;
  pins: Record<string, PluginPin>;
  loaded: LoadedConfig;
}

export interface ApplyOptions {
  /** Re-resolve every plugin to the newest version the configuration allows. */
  upgradePlugins?: boolean;
  /**
   * The configuration file's folder (absolute): relative path properties (the file plugin's
   * `directory`, any property whose schema says `"x-kadende-path": true`) are resolved against it
   * once, here, and stored absolute, so they do not move with the shell a later command runs in.
   */
  baseDir?: string;
  /** How the text becomes a LoadedConfig: in this thread by default; the daemon parses in a worker thread (ConfigParser). */
  loadConfig?: (text: string, file: string) => LoadedConfig | Promise<LoadedConfig>;
}

/** The properties of a plugin's schema that hold a filesystem path. */
function pathProperties(pluginName: string, schema: object): string[] {
  const properties = ((schema as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, { 'x-kadende-path'?: unknown } | undefined>;
  const marked = Object.keys(properties).filter((key) => properties[key]?.['x-kadende-path'] === true);
  // The built-in file plugin's directory, whose manifest predates the mark.
  if (canonicalPluginName(pluginName) === 'file' && 'directory' in properties && !marked.includes('directory')) marked.push('directory');
  return marked;
}

function resolvePaths(spec: ClusterSpec, pins: Record<string, PluginPin>, schemas: Map<string, object>, baseDir: string | undefined): ClusterSpec {
  if (baseDir === undefined || !isAbsolute(baseDir)) return spec;
  const groups = spec.groups.map((group) => {
    const keys = pathProperties(pins[group.path]!.name, schemas.get(group.path) ?? {});
    const relative = keys.filter((key) => typeof group.properties[key] === 'string' && !isAbsolute(group.properties[key] as string));
    if (relative.length === 0) return group;
    const properties = { ...group.properties };
    for (const key of relative) properties[key] = resolve(baseDir, properties[key] as string);
    return { ...group, properties };
  });
  return { ...spec, groups };
}

/** Loads, validates and resolves a configuration without storing anything. */
export async function prepareConfig(store: Store, plugins: PluginHost, text: string, file: string, options: ApplyOptions = {}): Promise<PreparedConfig> {
  // Every problem at once: the structure's, then the plugins' and properties' of the valid groups.
  const loaded = await (options.loadConfig ?? loadClusterConfigPartially)(text, file);
  const { spec } = loaded;
  // The cluster holding this name; without an id in the file, that is the one being updated.
  const holder = await store.findClusterByName(spec.name);
  const existing = spec.id ? await store.getCluster(spec.id) : holder;
  if (holder && existing && holder.id !== existing.id) throw kadendeError('KADENDE_ERR_CLUSTER_NAME_TAKEN', file, spec.name, holder.id);
  if (holder && spec.id && holder.id !== spec.id) throw kadendeError('KADENDE_ERR_CLUSTER_NAME_TAKEN', file, spec.name, holder.id, spec.id);
  // A cluster being deleted takes a fixed configuration (its plugin could not describe where its
  // resources are): the delete goes on with it. Renaming it meanwhile is refused.
  if (existing?.deleting && existing.name.toLowerCase() !== spec.name.toLowerCase()) throw kadendeError('KADENDE_ERR_CLUSTER_DELETING', existing.name, spec.name);
  const issues: ConfigIssue[] = [...loaded.issues];
  const pins: Record<string, PluginPin> = {};
  const schemas = new Map<string, object>();
  await Promise.all(
    spec.groups.map(async (group) => {
      try {
        const resolved = await pinFor(plugins, group, existing, options.upgradePlugins ?? false);
        pins[group.path] = resolved.pin;
        schemas.set(group.path, resolved.folder.manifest.propertiesSchema);
        // The tags every resource of the group will carry must fit the plugin's provider (a generated id is a UUIDv7, as long as any).
        const clusterId = spec.id ?? existing?.id ?? uuidv7();
        const problems = tagLimitProblems(resolved.folder.manifest.tagLimits, { clusterId, groupPath: group.path, specHash: specHash(resolved.pin, group.properties) }, resolved.pin.name);
        const at = loaded.documentPath(group.path) ?? ['groups'];
        for (const message of problems) issues.push({ file, ...loaded.locate(at), path: formatPath(at), message });
      } catch (error) {
        const at = [...(loaded.documentPath(group.path) ?? ['groups']), 'resourcePlugin'];
        issues.push({ file, ...loaded.locate(at), path: formatPath(at), message: (error as Error).message });
      }
    }),
  );
  issues.push(...checkResourceProperties(loaded, file, (group) => schemas.get(group.path)));
  if (issues.length > 0) throw new ConfigError(issues);
  // Keep pins in the file's order, whatever order resolution finished in.
  const ordered = Object.fromEntries(spec.groups.map((g) => [g.path, pins[g.path]!]));
  return { spec: resolvePaths(spec, ordered, schemas, options.baseDir), existing, pins: ordered, loaded };
}

/** A group keeps its pin while the configuration asks for the same plugin, unless upgrading. */
async function pinFor(plugins: PluginHost, group: LeafGroup, existing: ClusterRecord | undefined, upgrade: boolean): Promise<ResolvedPlugin> {
  const requested = { name: group.plugin.name, version: group.plugin.version, ...(group.plugin.url ? { url: group.plugin.url } : {}) };
  const previous = existing?.pins[group.path] ?? existing?.retired[group.path]?.pin;
  const sameRequest =
    previous &&
    canonicalPluginName(previous.requested.name) === canonicalPluginName(requested.name) &&
    previous.requested.version === requested.version &&
    previous.requested.url === requested.url;
  if (previous && sameRequest && !upgrade) {
    return { pin: previous, folder: await plugins.resolver.load(previous) };
  }
  const resolved = await plugins.resolver.resolve(group.plugin);
  return { pin: { ...resolved.pin, requested }, folder: resolved.folder };
}

/** The next record of a prepared configuration; a cluster not applied yet gets a new id. */
export function draftCluster(prepared: PreparedConfig, source: { file: string; text: string }, now = new Date().toISOString()) {
  return nextClusterRecord({ spec: prepared.spec, pins: prepared.pins, existing: prepared.existing, source, newId: uuidv7(), now });
}

export async function applyConfig(store: Store, plugins: PluginHost, text: string, file: string, options: ApplyOptions = {}): Promise<ApplyResult> {
  const prepared = await prepareConfig(store, plugins, text, file, options);
  // The first pass will need these plugins' threads: start them now, while the cluster is stored.
  plugins.warm(Object.values(prepared.pins));
  const { existing } = prepared;
  const { cluster, changed } = draftCluster(prepared, { file, text });
  if (existing && existing.name.toLowerCase() !== cluster.name.toLowerCase()) {
    // A rename frees the old name: the batch below writes the new one.
    await store.commit({ deleteClusters: [existing] });
  }
  await store.commit({
    putClusters: [cluster],
    events: changed
      ? [
          makeEvent('io.kadende.cluster.applied', {
            clusterId: cluster.id,
            cause: existing
              ? `configuration updated to generation ${cluster.generation} from ${file}${cluster.deleting ? '; the cluster is being deleted, and the delete goes on with it' : ''}`
              : `cluster created from ${file}`,
            generation: cluster.generation,
            pins: cluster.pins,
          }),
        ]
      : [],
  });
  return { cluster, created: !existing, changed };
}
