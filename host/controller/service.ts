/**
 * The operations Kadende offers, one code path for every front end: the CLI
 * calls them in-process, the daemon's HTTP API calls the same methods.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import { checkResourceProperties, ConfigError, loadClusterConfigPartially, formatPath, type ConfigIssue, type LeafGroup } from '../config/index.js';
import { KadendeError, conflict, notFound } from '../errors.js';
import { makeEvent, type KadendeEvent } from '../events/event.js';
import type { PluginHost } from '../plugins/host.js';
import { canonicalPluginName, type ResolvedPlugin } from '../plugins/resolve.js';
import type { ClusterRecord, EventQuery, PluginPin, ResourceRecord, RetiredGroup, Store } from '../store/types.js';
import { Reconciler, type ReconcileOptions, type ReconcileReport } from './reconcile.js';

export interface ApplyResult {
  cluster: ClusterRecord;
  created: boolean;
  /** The configuration or a pin differs from what was stored. */
  changed: boolean;
}

export interface ClusterSummary {
  id: string;
  name: string;
  generation: number;
  groups: number;
  resources: number;
  deleting: boolean;
  updatedAt: string;
}

/** How long a reconcile with wait, and a cluster delete, keep trying by default. */
const DEFAULT_WAIT_MS = 300_000;

export interface WaitOptions {
  wait?: boolean;
  /** With wait: give up after this long. */
  timeoutMs?: number;
  /** With wait: pause between passes. */
  intervalMs?: number;
  /** Drop records of failed creates first, so they are tried again. */
  retryFailed?: boolean;
}

/**
 * Groups that no further pass will fix: nothing to do but not converged,
 * because creates failed for good or remediation halted, or a plugin that
 * does not load.
 */
function stuckGroups(report: ReconcileReport): string[] {
  return report.groups.flatMap((g) => {
    // A plugin that cannot load will not load on the next pass either.
    if (g.error?.code === 'KADENDE_ERR_PLUGIN_LOAD') return [`${g.path}: ${g.error.message}`];
    if (!g.status || g.status.converged || g.actions.some((a) => a.kind !== 'halt')) return [];
    if (g.status.halted) return [`${g.path}: remediation halted (${g.actions.find((a) => a.kind === 'halt')?.cause})`];
    if (g.status.failed > 0) return [`${g.path}: ${g.status.failed} create(s) failed for good (see \`kadende events\`; retry with --retry-failed)`];
    return [];
  });
}

export class KadendeService {
  readonly reconciler: Reconciler;
  private readonly lastPasses = new Map<string, { report: ReconcileReport; finishedAt: string }>();

  constructor(
    readonly store: Store,
    readonly plugins: PluginHost,
    options: ReconcileOptions = {},
  ) {
    this.reconciler = new Reconciler(store, plugins, options);
  }

  /** Finds a cluster by id or by name. */
  async cluster(ref: string): Promise<ClusterRecord> {
    const cluster = (await this.store.getCluster(ref)) ?? (await this.store.findClusterByName(ref));
    if (!cluster) throw notFound('KADENDE_ERR_CLUSTER_NOT_FOUND', `no cluster with id or name "${ref}" (see \`kadende get clusters\`)`);
    return cluster;
  }

  /**
   * Validates a configuration, resolves and pins each group's plugin, checks
   * resourceProperties against the plugin's schema, and stores the cluster.
   * Nothing is written unless everything is valid.
   */
  async apply(text: string, file: string, options: { upgradePlugins?: boolean } = {}): Promise<ApplyResult> {
    const prepared = await this.prepare(text, file, options);
    const { spec, existing, pins } = prepared;
    const now = new Date().toISOString();
    const id = existing?.id ?? spec.id ?? uuidv7();
    const retired: Record<string, RetiredGroup> = { ...(existing?.retired ?? {}) };
    const paths = new Set(spec.groups.map((g) => g.path));
    for (const group of existing?.spec.groups ?? []) {
      if (!paths.has(group.path)) retired[group.path] = { pin: existing!.pins[group.path]!, properties: group.properties };
    }
    for (const path of paths) delete retired[path];
    const candidate = { spec: { ...spec, id }, pins };
    const changed = !existing || !isDeepStrictEqual({ spec: existing.spec, pins: existing.pins }, candidate);
    const cluster: ClusterRecord = {
      id,
      name: spec.name,
      generation: (existing?.generation ?? 0) + (changed ? 1 : 0),
      createdAt: existing?.createdAt ?? now,
      updatedAt: changed ? now : existing!.updatedAt,
      ...candidate,
      source: { file, text },
      retired,
    };
    if (existing && existing.name.toLowerCase() !== spec.name.toLowerCase()) {
      // A rename frees the old name: the batch below writes the new one.
      await this.store.commit({ deleteClusters: [existing] });
    }
    await this.store.commit({
      putClusters: [cluster],
      events: changed
        ? [
            makeEvent('io.kadende.cluster.applied', {
              clusterId: id,
              cause: existing ? `configuration updated to generation ${cluster.generation} from ${file}` : `cluster created from ${file}`,
              generation: cluster.generation,
              pins,
            }),
          ]
        : [],
    });
    return { cluster, created: !existing, changed };
  }

  /** Loads, validates and resolves a configuration without storing anything. */
  async prepare(text: string, file: string, options: { upgradePlugins?: boolean } = {}) {
    // Every problem at once: the structure's, then the plugins' and properties' of the valid groups.
    const loaded = loadClusterConfigPartially(text, file);
    const { spec } = loaded;
    // The cluster holding this name; without an id in the file, that is the one being updated.
    const holder = await this.store.findClusterByName(spec.name);
    const existing = spec.id ? await this.store.getCluster(spec.id) : holder;
    if (holder && existing && holder.id !== existing.id) {
      throw conflict('KADENDE_ERR_CLUSTER_NAME_TAKEN', `${file}: cluster name "${spec.name}" is already used by cluster ${holder.id}`);
    }
    if (holder && spec.id && holder.id !== spec.id) {
      throw conflict('KADENDE_ERR_CLUSTER_NAME_TAKEN', `${file}: cluster name "${spec.name}" is already used by cluster ${holder.id}, not ${spec.id}`);
    }
    if (existing?.deleting) {
      throw conflict('KADENDE_ERR_CLUSTER_DELETING', `cluster ${existing.name} is being deleted; wait until \`kadende delete cluster\` finishes`);
    }
    const issues: ConfigIssue[] = [...loaded.issues];
    const pins: Record<string, PluginPin> = {};
    const schemas = new Map<string, object>();
    await Promise.all(
      spec.groups.map(async (group) => {
        try {
          const resolved = await this.pinFor(group, existing, options.upgradePlugins ?? false);
          pins[group.path] = resolved.pin;
          schemas.set(group.path, resolved.folder.manifest.propertiesSchema);
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
    return { spec, existing, pins: ordered, loaded };
  }

  private async pinFor(group: LeafGroup, existing: ClusterRecord | undefined, upgrade: boolean): Promise<ResolvedPlugin> {
    const requested = { name: group.plugin.name, version: group.plugin.version, ...(group.plugin.url ? { url: group.plugin.url } : {}) };
    const previous = existing?.pins[group.path] ?? existing?.retired[group.path]?.pin;
    const sameRequest =
      previous &&
      canonicalPluginName(previous.requested.name) === canonicalPluginName(requested.name) &&
      previous.requested.version === requested.version &&
      previous.requested.url === requested.url;
    if (previous && sameRequest && !upgrade) {
      return { pin: previous, folder: await this.plugins.resolver.load(previous) };
    }
    const resolved = await this.plugins.resolver.resolve(group.plugin);
    return { pin: { ...resolved.pin, requested }, folder: resolved.folder };
  }

  /** What a reconcile would do now, without doing it: for a stored cluster, or a configuration not yet applied. */
  async plan(ref: string | { text: string; file: string }): Promise<ReconcileReport> {
    if (typeof ref === 'string') return this.reconciler.reconcile(await this.cluster(ref), { dryRun: true });
    const { spec, existing, pins } = await this.prepare(ref.text, ref.file);
    const now = new Date().toISOString();
    const id = existing?.id ?? spec.id ?? 'not-applied-yet';
    const draft: ClusterRecord = {
      id,
      name: spec.name,
      generation: existing?.generation ?? 0,
      createdAt: now,
      updatedAt: now,
      spec: { ...spec, id },
      source: { file: ref.file, text: ref.text },
      pins,
      retired: existing?.retired ?? {},
    };
    return this.reconciler.reconcile(draft, { dryRun: true });
  }

  /**
   * What this process's last reconcile pass of a cluster found, if it made one:
   * a status to show without asking every plugin to describe again (the
   * daemon passes every cluster on its interval).
   */
  lastPass(clusterId: string): { report: ReconcileReport; finishedAt: string } | undefined {
    return this.lastPasses.get(clusterId);
  }

  /** One reconcile pass, or (wait) passes until converged. */
  async reconcile(ref: string, options: WaitOptions = {}): Promise<ReconcileReport> {
    let cluster = await this.cluster(ref);
    if (options.retryFailed) await this.dropFailed(cluster);
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const report = await this.reconciler.reconcile(cluster);
      this.lastPasses.set(cluster.id, { report, finishedAt: new Date().toISOString() });
      cluster = await this.settleRetired(cluster, report);
      if (!options.wait || report.converged) return report;
      const stuck = stuckGroups(report);
      if (stuck.length > 0) {
        throw new KadendeError('KADENDE_ERR_RECONCILE_STUCK', `cluster ${cluster.name} cannot converge without an operator: ${stuck.join('; ')}`, {
          details: report,
        });
      }
      if (Date.now() >= deadline) {
        throw new KadendeError('KADENDE_ERR_RECONCILE_TIMEOUT', `cluster ${cluster.name} did not converge within ${Math.round(timeoutMs / 1000)} s`, {
          details: report,
        });
      }
      await sleep(options.intervalMs ?? 1000);
      cluster = await this.cluster(cluster.id);
    }
  }

  /** Retired groups that reached zero are dropped from the cluster. */
  private async settleRetired(cluster: ClusterRecord, report: ReconcileReport): Promise<ClusterRecord> {
    const empty = report.groups.filter((g) => g.retired && g.status?.actual === 0 && g.actions.length === 0).map((g) => g.path);
    const settled = empty.filter((path) => path in cluster.retired);
    if (settled.length === 0) return cluster;
    const fresh = await this.cluster(cluster.id);
    const retired = { ...fresh.retired };
    for (const path of settled) delete retired[path];
    const updated = { ...fresh, retired };
    await this.store.commit({ putClusters: [updated] });
    return updated;
  }

  private async dropFailed(cluster: ClusterRecord): Promise<void> {
    const failed = (await this.store.listResources(cluster.id)).filter((r) => r.state === 'failed');
    if (failed.length === 0) return;
    await this.store.commit({
      deleteResources: failed,
      events: failed.map((r) =>
        makeEvent('io.kadende.resource.deleted', { clusterId: r.clusterId, groupPath: r.groupPath, resourceId: r.id, cause: 'dropped a failed create so that it is tried again (--retry-failed)' }),
      ),
    });
  }

  async listClusters(): Promise<ClusterSummary[]> {
    const clusters = await this.store.listClusters();
    return Promise.all(
      clusters.map(async (c) => ({
        id: c.id,
        name: c.name,
        generation: c.generation,
        groups: c.spec.groups.length,
        resources: (await this.store.listResources(c.id)).length,
        deleting: c.deleting ?? false,
        updatedAt: c.updatedAt,
      })),
    );
  }

  async listResources(ref: string): Promise<ResourceRecord[]> {
    return this.store.listResources((await this.cluster(ref)).id);
  }

  async listEvents(ref: string, query: EventQuery = {}): Promise<KadendeEvent[]> {
    // Events outlive their cluster: a deleted cluster's id still lists them.
    const cluster = (await this.store.getCluster(ref)) ?? (await this.store.findClusterByName(ref));
    const events = await this.store.listEvents(cluster?.id ?? ref, query);
    if (events.length === 0 && !cluster && query.after === undefined) {
      throw notFound('KADENDE_ERR_CLUSTER_NOT_FOUND', `no cluster or events for "${ref}"`);
    }
    return events;
  }

  /** Deletes every resource of the cluster (its groups reconciled to zero), then the cluster. */
  async deleteCluster(ref: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<ReconcileReport> {
    let cluster = await this.cluster(ref);
    if (!cluster.deleting) {
      cluster = { ...cluster, deleting: true, updatedAt: new Date().toISOString() };
      await this.store.commit({
        putClusters: [cluster],
        events: [makeEvent('io.kadende.cluster.deleting', { clusterId: cluster.id, cause: 'kadende delete cluster: deleting every resource' })],
      });
    }
    const report = await this.reconcile(cluster.id, { wait: true, timeoutMs: options.timeoutMs, intervalMs: options.intervalMs });
    const left = await this.store.listResources(cluster.id);
    if (left.length > 0) {
      throw new KadendeError('KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE', `cluster ${cluster.name}: ${left.length} resource(s) could not be deleted yet; run the delete again`, {
        details: report,
      });
    }
    this.lastPasses.delete(cluster.id);
    await this.store.commit({
      deleteClusters: [cluster],
      events: [makeEvent('io.kadende.cluster.deleted', { clusterId: cluster.id, cause: `cluster ${cluster.name} and all its resources deleted` })],
    });
    return report;
  }
}
