/**
 * The operations Kadende offers, one code path for every front end: the CLI
 * calls them in-process, the daemon's HTTP API calls the same methods. Each
 * use case lives in its own module (apply.ts, wait.ts, delete.ts); this class
 * holds what they share (the store, the plugins, the reconciler) and the
 * last pass of each cluster for status pollers.
 */
import type { ClusterRecord, KadendeEvent, ResourceRecord } from '../../model/index.js';
import type { PluginHost } from '../plugins/index.js';
import type { EventQuery, Holder, HolderLookup, Store } from '../store/index.js';
import { hasCode, kadendeError } from '../../errors/index.js';
import { applyConfig, draftCluster, prepareConfig, type ApplyOptions, type ApplyResult } from './apply.js';
import { deleteCluster, finishDelete, type DeleteOptions, type DeleteResult } from './delete.js';
import { Reconciler, systemClock, type ReconcileOptions, type ReconcileReport } from './reconcile.js';
import { KeyedLock } from './keyed-lock.js';
import { reconcileCluster, type WaitContext, type WaitOptions } from './wait.js';

export interface ClusterSummary {
  id: string;
  name: string;
  generation: number;
  groups: number;
  resources: number;
  deleting: boolean;
  updatedAt: string;
}

export interface ServiceOptions extends ReconcileOptions {
  /** How configurations are parsed (apply.ts): the daemon parses them off its event loop. */
  loadConfig?: ApplyOptions['loadConfig'];
  /** On a NATS store: who holds each cluster's lease (absent: one host, no leases). */
  holders?: HolderLookup;
  /**
   * Refuse to reconcile or delete a cluster a host holds (a command run outside the fleet's daemons,
   * on their store): only the lease holder acts, or two reconcilers race each other's plugin calls.
   */
  refuseHeldClusters?: boolean;
}

export class KadendeService {
  readonly reconciler: Reconciler;
  private readonly lastPasses = new Map<string, { report: ReconcileReport; finishedAt: string }>();
  private readonly waiting: WaitContext;
  /** Per cluster: an apply's or a delete's check and write, one at a time (their preconditions hold until the write). */
  private readonly writes = new KeyedLock();

  private readonly loadConfig: ApplyOptions['loadConfig'];
  private readonly holders?: HolderLookup;
  private readonly refuseHeldClusters: boolean;

  constructor(
    readonly store: Store,
    readonly plugins: PluginHost,
    options: ServiceOptions = {},
  ) {
    this.loadConfig = options.loadConfig;
    this.holders = options.holders;
    this.refuseHeldClusters = options.refuseHeldClusters ?? false;
    this.reconciler = new Reconciler(store, plugins, options);
    this.waiting = {
      store,
      reconciler: this.reconciler,
      plugins,
      now: options.now ?? (() => (options.clock ?? systemClock).now()),
      lookup: (id) => this.cluster(id),
      writes: this.writes,
      onPass: (report) => this.lastPasses.set(report.clusterId, { report, finishedAt: new Date().toISOString() }),
    };
  }

  /** Finds a cluster by id or by name. */
  async cluster(ref: string): Promise<ClusterRecord> {
    const cluster = (await this.store.getCluster(ref)) ?? (await this.store.findClusterByName(ref));
    if (!cluster) throw kadendeError('KADENDE_ERR_CLUSTER_NOT_FOUND', `no cluster with id or name "${ref}"`).hint(' (see `kadende get clusters`)', ' (GET /v1/clusters lists them)');
    return cluster;
  }

  /** The host holding the cluster's lease on a NATS store; undefined on LevelDB, or while nobody holds it. */
  async holder(ref: string): Promise<Holder | undefined> {
    if (!this.holders) return undefined;
    return this.holders.holder((await this.cluster(ref)).id);
  }

  /** Validates a configuration, pins each group's plugin and stores the cluster (apply.ts). */
  apply(text: string, file: string, options: ApplyOptions = {}): Promise<ApplyResult> {
    return applyConfig(this.store, this.plugins, text, file, { loadConfig: this.loadConfig, ...options }, this.writes);
  }

  /** Loads, validates and resolves a configuration without storing anything. */
  prepare(text: string, file: string, options: ApplyOptions = {}) {
    return prepareConfig(this.store, this.plugins, text, file, { loadConfig: this.loadConfig, ...options });
  }

  /** What a reconcile would do now, without doing it: for a stored cluster, or a configuration not yet applied. */
  async plan(ref: string | { text: string; file: string; baseDir?: string }): Promise<ReconcileReport> {
    if (typeof ref === 'string') return this.reconciler.reconcile(await this.cluster(ref), { dryRun: true });
    const { cluster } = draftCluster(await this.prepare(ref.text, ref.file, { baseDir: ref.baseDir }), ref);
    return this.reconciler.reconcile(cluster, { dryRun: true });
  }

  /**
   * What this process's last reconcile pass of a cluster found, if it made one:
   * a status to show without asking every plugin to describe again (the
   * daemon passes every cluster on its interval).
   */
  lastPass(clusterId: string): { report: ReconcileReport; finishedAt: string } | undefined {
    return this.lastPasses.get(clusterId);
  }

  /**
   * One reconcile pass, or (wait) passes until converged (wait.ts). A cluster being deleted
   * (`delete cluster --wait=false`, an interrupted delete) whose resources are all gone is
   * forgotten here, without waiting: when its plugin's listing grace has not passed yet, a
   * later pass does it (`deleted` says whether this one did).
   */
  async reconcile(ref: string, options: WaitOptions = {}): Promise<ReconcileReport> {
    const cluster = await this.cluster(ref);
    await this.refuseIfHeld(cluster);
    const report = await reconcileCluster(this.waiting, cluster, options);
    if (!cluster.deleting || !report.converged) return report;
    try {
      await finishDelete(this.waiting, await this.cluster(cluster.id), { deadline: 0, intervalMs: 0 });
    } catch (error) {
      if (hasCode(error, 'KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE')) return report;
      throw error;
    }
    this.lastPasses.delete(cluster.id);
    return { ...report, deleted: true };
  }

  /** Deletes every resource of the cluster (its groups reconciled to zero), then the cluster (delete.ts). */
  async deleteCluster(ref: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    const cluster = await this.cluster(ref);
    await this.refuseIfHeld(cluster);
    const result = await deleteCluster(this.waiting, cluster, options);
    if (result.deleted) this.lastPasses.delete(result.clusterId);
    return result;
  }

  private async refuseIfHeld(cluster: ClusterRecord): Promise<void> {
    if (!this.refuseHeldClusters || !this.holders) return;
    const holder = await this.holders.holder(cluster.id);
    if (holder) throw kadendeError('KADENDE_ERR_CLUSTER_HELD', cluster.name, holder.hostId, holder.address);
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
    if (events.length === 0 && !cluster && query.after === undefined && query.before === undefined && query.type === undefined && query.group === undefined) {
      throw kadendeError('KADENDE_ERR_CLUSTER_NOT_FOUND', `no cluster or events for "${ref}"`);
    }
    return events;
  }
}
