/**
 * One reconcile pass over a cluster: per group, observe (describe by tags),
 * plan (pure), act, record. Groups run concurrently; each plugin's pool bounds
 * how many calls run at once. Intent is written before every create and delete,
 * and each record change goes into the store atomically with its event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, TAG_SPEC, type Resource } from '@kadende/plugin-sdk';
import { DEFAULT_POLICY, type GroupPolicy } from '../config/types.js';
import { makeEvent, type EventData, type EventType, type KadendeEvent } from '../events/event.js';
import type { PluginHost } from '../plugins/host.js';
import type { PluginPool } from '../plugins/pool.js';
import type { ClusterRecord, PluginPin, ResourceRecord, RetiredGroup, Store } from '../store/types.js';
import { planGroup, type Action, type GroupStatus, type GroupTarget } from './plan.js';
import { specHash } from './spec-hash.js';

export interface ReconcileOptions {
  /** Create attempts before a record is marked failed. */
  createAttempts?: number;
  /** First retry delay; doubles each attempt. */
  createBackoffMs?: number;
  /** Observe and plan only. */
  dryRun?: boolean;
  now?: () => Date;
}

export interface GroupReport {
  path: string;
  plugin: string;
  retired: boolean;
  status?: GroupStatus;
  actions: Array<{ kind: Action['kind']; cause: string }>;
  /** Why the group could not be reconciled (its plugin failed to describe, ...). */
  error?: { code: string; message: string };
  /** Earlier placements in which nothing of the group is left: the cluster drops them. */
  emptyPlacements?: RetiredGroup[];
}

export interface ReconcileReport {
  clusterId: string;
  clusterName: string;
  groups: GroupReport[];
  /** Every group converged and nothing was done. */
  converged: boolean;
  durationMs: number;
}

/** A group as the reconciler handles it: from the spec, or retired (reconciled to zero). */
interface WorkGroup {
  target: GroupTarget;
  pin: PluginPin;
  properties: Record<string, unknown>;
  retired: boolean;
  /** Earlier placements (pins and properties) still described until empty. */
  placements: RetiredGroup[];
}

/** Where a resource was found: the pool and properties to delete it with. */
interface Place {
  pool: PluginPool;
  properties: Record<string, unknown>;
}

const GONE = new Set(['terminating', 'terminated']);
const RETIRED_POLICY: GroupPolicy = { ...DEFAULT_POLICY, orphanMinAgeSeconds: 0 };

export function workGroups(cluster: ClusterRecord): WorkGroup[] {
  const active: WorkGroup[] = cluster.deleting
    ? []
    : cluster.spec.groups.map((group) => {
        const pin = cluster.pins[group.path]!;
        return {
          target: { clusterId: cluster.id, path: group.path, size: group.size, specHash: specHash(pin, group.properties), policy: group.policy },
          pin,
          properties: group.properties,
          retired: false,
          placements: cluster.retiredPlacements?.[group.path] ?? [],
        };
      });
  const retiring = cluster.deleting
    ? [...cluster.spec.groups.map((g) => [g.path, { pin: cluster.pins[g.path]!, properties: g.properties }] as const), ...Object.entries(cluster.retired)]
    : Object.entries(cluster.retired);
  const retired: WorkGroup[] = retiring.map(([path, { pin, properties }]) => ({
    target: { clusterId: cluster.id, path, size: 0, specHash: specHash(pin, properties), policy: RETIRED_POLICY },
    pin,
    properties,
    retired: true,
    placements: cluster.retiredPlacements?.[path] ?? [],
  }));
  return [...active, ...retired];
}

export class Reconciler {
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly plugins: PluginHost,
    options: ReconcileOptions = {},
  ) {
    this.attempts = options.createAttempts ?? 3;
    this.backoffMs = options.createBackoffMs ?? 500;
    this.now = options.now ?? (() => new Date());
  }

  async reconcile(cluster: ClusterRecord, options: { dryRun?: boolean } = {}): Promise<ReconcileReport> {
    const started = Date.now();
    const groups = await Promise.all(workGroups(cluster).map((work) => this.reconcileGroup(cluster, work, options.dryRun ?? false)));
    const converged = groups.every((g) => g.status?.converged === true || (g.retired && g.status?.actual === 0 && g.actions.length === 0));
    if (!options.dryRun) {
      // Passes that only recorded observations are not worth an event.
      const acted = groups.reduce((n, g) => n + g.actions.filter((a) => a.kind !== 'wait' && a.kind !== 'observe').length, 0);
      if (acted > 0) {
        await this.store.commit({
          events: [
            this.event('io.kadende.reconcile.completed', {
              clusterId: cluster.id,
              cause: `reconcile took ${acted} action(s) over ${groups.length} group(s)`,
              groups: groups.map((g) => ({ path: g.path, status: g.status, error: g.error?.message })),
            }),
          ],
        });
      }
    }
    return { clusterId: cluster.id, clusterName: cluster.name, groups, converged, durationMs: Date.now() - started };
  }

  private async reconcileGroup(cluster: ClusterRecord, work: WorkGroup, dryRun: boolean): Promise<GroupReport> {
    const { target, pin, properties } = work;
    const report: GroupReport = { path: target.path, plugin: `${pin.name}@${pin.version}`, retired: work.retired, actions: [] };
    let pool: PluginPool;
    let observed: Resource[];
    const places = new Map<string, Place>();
    const emptyPlacements: RetiredGroup[] = [];
    const tags = { [TAG_CLUSTER]: cluster.id, [TAG_GROUP]: target.path };
    try {
      pool = await this.plugins.pool(pin);
      ({ resources: observed } = await pool.call<{ resources: Resource[] }>('describe', { tags, properties }));
      // A moved group: what is left where it was is part of it too (outdated, so it is replaced).
      for (const placement of work.placements) {
        const old = await this.plugins.pool(placement.pin);
        const { resources } = await old.call<{ resources: Resource[] }>('describe', { tags, properties: placement.properties });
        const seen = new Set(observed.map((r) => r.id));
        const left = resources.filter((r) => !seen.has(r.id));
        for (const resource of left) places.set(resource.id, { pool: old, properties: placement.properties });
        observed = [...observed, ...left];
        if (!left.some((r) => !GONE.has(r.status))) emptyPlacements.push(placement);
      }
    } catch (error) {
      const { code = 'KADENDE_ERR_DESCRIBE', message } = error as { code?: string; message: string };
      report.error = { code, message };
      // Without an observation nothing can be decided safely: this group waits for the next pass.
      if (!dryRun) {
        await this.store.commit({
          events: [this.event('io.kadende.group.describe-failed', { clusterId: cluster.id, groupPath: target.path, cause: message, code })],
        });
      }
      return report;
    }
    const records = await this.store.listResources(cluster.id, target.path);
    // The plugin declares how long its provider's listing may lag behind a create.
    const lostGraceMs = pool.folder.manifest.listingGraceMs;
    const plan = planGroup({ group: target, records, observed, now: this.now().getTime(), lostGraceMs });
    report.status = plan.status;
    report.actions = plan.actions.map((a) => ({ kind: a.kind, cause: a.cause }));
    // A placement is empty once nothing live is found there and no record is of an older spec
    // (one may still be on its way to being listed there).
    report.emptyPlacements = records.every((r) => r.specHash === target.specHash) ? emptyPlacements : [];
    if (!dryRun) await this.act(plan.actions, work, { pool, properties }, places);
    return report;
  }

  private async act(actions: Action[], work: WorkGroup, here: Place, places: Map<string, Place>): Promise<void> {
    const pool = here.pool;
    const placeOf = (providerId: string | undefined) => (providerId !== undefined ? places.get(providerId) : undefined) ?? here;
    const { clusterId, path } = work.target;
    const about = (record: ResourceRecord, extra: Partial<EventData> = {}): EventData => ({
      clusterId,
      groupPath: path,
      resourceId: record.id,
      providerId: record.providerId,
      cause: '',
      ...extra,
    });

    // Bookkeeping first, in one batch: what describe confirmed, what is gone.
    const puts: ResourceRecord[] = [];
    const deletes: ResourceRecord[] = [];
    const events: KadendeEvent[] = [];
    for (const action of actions) {
      if (action.kind === 'observe') {
        const { record, resource } = action;
        const confirmed = record.state === 'creating';
        puts.push({
          ...record,
          state: 'active',
          providerId: resource.id,
          status: resource.status,
          address: resource.address,
          observedAt: this.now().toISOString(),
          updatedAt: this.now().toISOString(),
        });
        if (confirmed || record.status !== resource.status) {
          events.push(
            this.event(confirmed ? 'io.kadende.resource.created' : 'io.kadende.resource.observed', about(record, { providerId: resource.id, cause: action.cause, status: resource.status })),
          );
        }
      } else if (action.kind === 'forget') {
        deletes.push(action.record);
        // A record dropped before describe ever listed its resource: the resource may still appear
        // (listing lag); `delete cluster` waits out the plugin's grace from this time (sweep.ts).
        const unobserved = action.record.observedAt === undefined && action.record.state !== 'failed' ? { unobservedSince: action.record.updatedAt } : {};
        events.push(this.event(action.reason === 'lost' ? 'io.kadende.resource.lost' : 'io.kadende.resource.deleted', about(action.record, { cause: action.cause, ...unobserved })));
      } else if (action.kind === 'halt') {
        events.push(this.event('io.kadende.group.halted', { clusterId, groupPath: path, cause: action.cause, unhealthy: action.unhealthy, allowed: action.allowed }));
      }
    }
    if (puts.length + deletes.length + events.length > 0) await this.store.commit({ putResources: puts, deleteResources: deletes, events });

    const calls: Array<Promise<void>> = [];
    for (const action of actions) {
      if (action.kind === 'create') calls.push(this.create(work, pool, action.cause));
      else if (action.kind === 'resume-create') calls.push(this.runCreate(work, pool, action.record));
      else if (action.kind === 'delete') calls.push(this.delete(placeOf(action.providerId), action));
      else if (action.kind === 'delete-orphan') calls.push(this.deleteOrphan(work, placeOf(action.resource.id), action.resource, action.cause));
    }
    await Promise.all(calls);
  }

  private async create(work: WorkGroup, pool: PluginPool, cause: string): Promise<void> {
    const now = this.now().toISOString();
    const record: ResourceRecord = {
      id: uuidv7(),
      clusterId: work.target.clusterId,
      groupPath: work.target.path,
      state: 'creating',
      specHash: work.target.specHash,
      createdAt: now,
      updatedAt: now,
      attempts: 0,
    };
    // Intent before action: a crash from here on leaves a record to resume, never an untracked resource.
    await this.store.commit({
      putResources: [record],
      events: [this.event('io.kadende.resource.creating', { clusterId: record.clusterId, groupPath: record.groupPath, resourceId: record.id, cause })],
    });
    await this.runCreate(work, pool, record);
  }

  /** Create attempts with backoff; the token is the record id, so a retry never makes a second resource. */
  private async runCreate(work: WorkGroup, pool: PluginPool, start: ResourceRecord): Promise<void> {
    let record = start;
    const data = (cause: string, extra: Partial<EventData> = {}): EventData => ({
      clusterId: record.clusterId,
      groupPath: record.groupPath,
      resourceId: record.id,
      cause,
      ...extra,
    });
    while (record.attempts < this.attempts) {
      if (record.attempts > 0) await sleep(this.backoffMs * 2 ** (record.attempts - 1));
      const attempt = record.attempts + 1;
      try {
        const resource = await pool.call<Resource>('create', {
          properties: work.properties,
          token: record.id,
          tags: {
            [TAG_CLUSTER]: record.clusterId,
            [TAG_GROUP]: record.groupPath,
            [TAG_RESOURCE]: record.id,
            [TAG_SPEC]: record.specHash,
          },
        });
        const now = this.now().toISOString();
        record = { ...record, state: 'active', attempts: attempt, providerId: resource.id, status: resource.status, address: resource.address, updatedAt: now, lastError: undefined };
        await this.store.commit({
          putResources: [record],
          events: [this.event('io.kadende.resource.created', data(`created ${resource.id}${attempt > 1 ? ` on attempt ${attempt}` : ''}`, { providerId: resource.id, status: resource.status }))],
        });
        return;
      } catch (error) {
        const message = (error as Error).message;
        const gaveUp = attempt >= this.attempts;
        record = { ...record, attempts: attempt, lastError: message, updatedAt: this.now().toISOString(), state: gaveUp ? 'failed' : 'creating' };
        const events = [this.event('io.kadende.resource.create-failed', data(`attempt ${attempt} of ${this.attempts}: ${message}`, { code: (error as { code?: string }).code }))];
        if (gaveUp) {
          events.push(this.event('io.kadende.resource.failed', data(`gave up after ${attempt} create attempts; last error: ${message}`)));
        }
        await this.store.commit({ putResources: [record], events });
      }
    }
  }

  private async delete(place: Place, action: Extract<Action, { kind: 'delete' }>): Promise<void> {
    let record = action.record;
    const providerId = action.providerId;
    if (record.state !== 'deleting') {
      record = { ...record, state: 'deleting', deleteReason: action.reason, updatedAt: this.now().toISOString() };
      await this.store.commit({
        putResources: [record],
        events: [this.event('io.kadende.resource.deleting', { clusterId: record.clusterId, groupPath: record.groupPath, resourceId: record.id, providerId, cause: action.cause, reason: action.reason })],
      });
    }
    const base = { clusterId: record.clusterId, groupPath: record.groupPath, resourceId: record.id, providerId };
    try {
      if (providerId !== undefined) await place.pool.call('delete', { id: providerId, properties: place.properties });
      // The record stays `deleting` until describe no longer lists the resource: a provider may
      // answer a delete of an id it has not propagated yet with "not found" while it keeps running
      // (EC2's eventual consistency), and the next pass then deletes it again. The planner forgets
      // the record (io.kadende.resource.deleted) once the resource is gone from describe.
      if (record.lastError !== undefined) await this.store.commit({ putResources: [{ ...record, lastError: undefined }] });
    } catch (error) {
      // The record stays `deleting`: the next pass tries again.
      await this.store.commit({
        putResources: [{ ...record, lastError: (error as Error).message }],
        events: [this.event('io.kadende.resource.delete-failed', { ...base, cause: (error as Error).message, code: (error as { code?: string }).code })],
      });
    }
  }

  private async deleteOrphan(work: WorkGroup, place: Place, resource: Resource, cause: string): Promise<void> {
    const base = { clusterId: work.target.clusterId, groupPath: work.target.path, resourceId: resource.tags[TAG_RESOURCE], providerId: resource.id };
    try {
      await place.pool.call('delete', { id: resource.id, properties: place.properties });
      await this.store.commit({ events: [this.event('io.kadende.resource.deleted', { ...base, cause: `deleted orphan: ${cause}`, reason: 'orphan' })] });
    } catch (error) {
      await this.store.commit({
        events: [this.event('io.kadende.resource.delete-failed', { ...base, cause: `orphan ${resource.id}: ${(error as Error).message}`, code: (error as { code?: string }).code })],
      });
    }
  }

  private event(type: EventType, data: EventData): KadendeEvent {
    return makeEvent(type, data, this.now());
  }
}
