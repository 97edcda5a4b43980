/**
 * One reconcile pass over a cluster: per group, observe (describe by tags),
 * plan (pure), act, record. Groups run concurrently; each plugin's pool bounds
 * how many calls run at once. Intent is written before every create and delete,
 * and each record change goes into the store atomically with its event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { v7 as uuidv7 } from 'uuid';
import { TAG_CLUSTER, TAG_GROUP, TAG_INSTALLATION, TAG_RESOURCE, TAG_SPEC, exponentialBackoff, type PluginMethod, type Resource } from '@kadende/plugin-sdk';
import { DEFAULT_POLICY } from '../config/index.js';
import type { GroupPolicy } from '../../model/index.js';
import { makeEvent } from '../events/index.js';
import type { EventData, EventType, KadendeEvent } from '../../model/index.js';
import type { Change, Store } from '../store/index.js';
import type { ClusterRecord, PluginPin, ResourceRecord, RetiredGroup } from '../../model/index.js';
import { describeFailed, planGroup, type Action, type GroupStatus, type GroupTarget, type UnobservedStatus } from './plan/index.js';
import { specHash } from './spec-hash.js';
import { errorCode, errorMessage } from '../../errors/index.js';

export interface ReconcileOptions {
  /** Create attempts before a record is marked failed. */
  createAttempts?: number;
  /** First retry delay; doubles each attempt. */
  createBackoffMs?: number;
  /** Observe and plan only. */
  dryRun?: boolean;
  now?: () => Date;
  /** Time as the reconciler sees it: `now` and the create-retry pause (the simulator's virtual clock). Default: the real one. */
  clock?: Clock;
  /** New record and event ids (default uuid v7: time-ordered, which the event log's order relies on). */
  newId?: () => string;
  /** Checked before every plugin call of a cluster's pass: throws when this host may no longer work on it (its lease, on a shared store). */
  guard?: (clusterId: string) => void;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date(), sleep: (ms) => sleep(ms) };

/** The plugin seam: one pinned plugin's calls (a PluginPool, or an in-process fake in tests and the simulator). */
export interface PluginCaller {
  call<T>(method: PluginMethod, request: unknown): Promise<T>;
  /** How long the provider's listing may lag behind a create (the plugin's manifest); default: the planner's. */
  readonly listingGraceMs?: number;
}

/** Where the reconciler gets a pin's caller: a PluginHost, or a fake. */
export interface PluginSource {
  pool(pin: PluginPin): Promise<PluginCaller>;
}

export interface GroupReport {
  path: string;
  plugin: string;
  retired: boolean;
  /** Why the group is or is not converged: read `reason` and `message`, not the counts. */
  status?: GroupStatus | UnobservedStatus;
  actions: Array<{ kind: Action['kind']; cause: string }>;
  /** Why the group could not be reconciled (its plugin failed to describe, ...); status says describe-failed with the same message. */
  error?: { code: string; message: string };
  /** Earlier placements in which nothing of the group is left: the cluster drops them. */
  emptyPlacements?: RetiredGroup[];
  /** Plugin calls of this pass that failed: a create that gave up, a delete refused. The pass is not a success. */
  failures?: CallFailure[];
}

/** One plugin call of a pass that failed: which resource, and the error. */
export interface CallFailure {
  call: 'create' | 'delete' | 'delete-orphan';
  /** The record (for a create, the token); an orphan's from its tag, if it has one. */
  resourceId?: string;
  providerId?: string;
  code: string;
  message: string;
}

export interface ReconcileReport {
  clusterId: string;
  clusterName: string;
  groups: GroupReport[];
  /** Every group converged and nothing was done. */
  converged: boolean;
  /** The cluster passed was being deleted (`kadende delete cluster`): the daemon removes it once empty. */
  deleting?: boolean;
  durationMs: number;
  /** A cluster being deleted was forgotten after this pass: nothing of it is left. */
  deleted?: boolean;
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

/** What describe found of a group: here, and in its earlier placements. */
interface Observation {
  pool: PluginCaller;
  observed: Resource[];
  places: Map<string, Place>;
  emptyPlacements: RetiredGroup[];
}

/** Actions that only write down what describe showed: no plugin call. */
const BOOKKEEPING: ReadonlySet<Action['kind']> = new Set(['observe', 'forget']);

/** Where a resource was found: the pool and properties to delete it with. */
interface Place {
  pool: PluginCaller;
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

/** What an action handler works on: the group, its plugin, the bookkeeping batch, and the plugin calls to run after it. */
interface ActContext {
  work: WorkGroup;
  /** The group's plugin where it is now. */
  pool: PluginCaller;
  /** Where a resource was found (an earlier placement of a moved group), to delete it there. */
  placeOf: (providerId: string | undefined) => Place;
  batch: Required<Pick<Change, 'putResources' | 'deleteResources' | 'events'>>;
  /** Each says how it failed, if it did. */
  calls: Array<() => Promise<CallFailure | undefined>>;
}

type ActionHandlers = { [K in Action['kind']]: (action: Extract<Action, { kind: K }>, act: ActContext) => void };

function dispatch<K extends Action['kind']>(handlers: ActionHandlers, action: Extract<Action, { kind: K }>, act: ActContext): void {
  (handlers[action.kind as K] as (action: Extract<Action, { kind: K }>, act: ActContext) => void)(action, act);
}

/** What an event is about: a record (or an orphan's tags), or only its group. */
interface EventRef {
  clusterId: string;
  groupPath: string;
  id?: string;
  providerId?: string;
}

const groupRef = (work: WorkGroup): EventRef => ({ clusterId: work.target.clusterId, groupPath: work.target.path });

/** Every event's data is built here: who it is about, why, and what else the event type carries. */
export function eventData(ref: EventRef, cause: string, extra: Partial<EventData> = {}): EventData {
  const data: EventData = { clusterId: ref.clusterId, groupPath: ref.groupPath, cause };
  if (ref.id !== undefined) data.resourceId = ref.id;
  if (ref.providerId !== undefined) data.providerId = ref.providerId;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete data[key];
    else data[key] = value;
  }
  return data;
}

/** A caller that checks the guard before every call: no plugin call starts once the host knows it lost the cluster. */
function guarded(pool: PluginCaller, clusterId: string, guard?: (clusterId: string) => void): PluginCaller {
  if (!guard) return pool;
  return {
    listingGraceMs: pool.listingGraceMs,
    call<T>(method: PluginMethod, request: unknown): Promise<T> {
      guard(clusterId);
      return pool.call<T>(method, request);
    },
  };
}

export class Reconciler {
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly now: () => Date;
  private readonly clock: Clock;
  private readonly newId: () => string;
  private readonly guard?: (clusterId: string) => void;
  /** The store's installation id, read once: tagged on every resource, and the planner's test of what is ours. */
  private installation?: string;
  /** Per cluster and group, the last describe failure and how many passes in a row it repeated. */
  private readonly describeFailures = new Map<string, { message: string; count: number }>();

  constructor(
    private readonly store: Store,
    private readonly plugins: PluginSource,
    options: ReconcileOptions = {},
  ) {
    this.attempts = options.createAttempts ?? 3;
    this.backoffMs = options.createBackoffMs ?? 500;
    const clock = options.clock ?? systemClock;
    this.now = options.now ?? (() => clock.now());
    this.clock = clock;
    this.newId = options.newId ?? (() => uuidv7());
    this.guard = options.guard;
  }

  async reconcile(cluster: ClusterRecord, options: { dryRun?: boolean } = {}): Promise<ReconcileReport> {
    const started = this.now().getTime();
    this.installation ??= await this.store.installationId();
    const groups = await Promise.all(workGroups(cluster).map((work) => this.reconcileGroup(cluster, work, options.dryRun ?? false)));
    const converged = groups.every((g) => g.status?.reason === 'converged' || (g.retired && g.status?.actual === 0 && g.actions.length === 0));
    if (!options.dryRun) {
      // Passes that only recorded observations are not worth an event.
      const acted = groups.reduce((n, g) => n + g.actions.filter((a) => a.kind !== 'wait' && a.kind !== 'observe').length, 0);
      if (acted > 0) {
        await this.store.commit({
          events: [
            this.event('io.kadende.reconcile.completed', {
              clusterId: cluster.id,
              cause: `reconcile took ${acted} action(s) over ${groups.length} group(s)`,
              // When the pass started; `groups` hold each group's status as the pass left it (after acting),
              // which the web UI's history charts anchor on at this event's time.
              startedAt: new Date(started).toISOString(),
              groups: groups.map((g) => ({ path: g.path, status: g.status, error: g.error?.message })),
            }),
          ],
        });
      }
    }
    return { clusterId: cluster.id, clusterName: cluster.name, groups, converged, ...(cluster.deleting ? { deleting: true } : {}), durationMs: this.now().getTime() - started };
  }

  private async reconcileGroup(cluster: ClusterRecord, work: WorkGroup, dryRun: boolean): Promise<GroupReport> {
    const { target, pin, properties } = work;
    const report: GroupReport = { path: target.path, plugin: `${pin.name}@${pin.version}`, retired: work.retired, actions: [] };
    let seen: Observation;
    try {
      seen = await this.observe(cluster, work);
    } catch (error) {
      const code = errorCode(error) ?? 'KADENDE_ERR_DESCRIBE';
      const message = errorMessage(error);
      report.error = { code, message };
      report.status = describeFailed(target.size, message);
      // Without an observation nothing can be decided safely: this group waits for the next pass.
      if (!dryRun) {
        // The same failure pass after pass is one event, repeated only at 10, 100, 1000... passes, with its count.
        const key = `${cluster.id}\u0000${target.path}`;
        const before = this.describeFailures.get(key);
        const count = before?.message === message ? before.count + 1 : 1;
        this.describeFailures.set(key, { message, count });
        if (/^10*$/.test(String(count))) {
          const cause = count === 1 ? message : `${message} (the same failure ${count} passes in a row)`;
          await this.store.commit({
            events: [this.event('io.kadende.group.describe-failed', eventData(groupRef(work), cause, { code, count }))],
          });
        }
      }
      return report;
    }
    if (!dryRun) this.describeFailures.delete(`${cluster.id}\u0000${target.path}`);
    const { pool, places, emptyPlacements } = seen;
    const records = await this.store.listResources(cluster.id, target.path);
    const plan = this.plan(target, records, seen);
    report.status = plan.status;
    report.actions = plan.actions.map((a) => ({ kind: a.kind, cause: a.cause }));
    // A placement is empty once nothing live is found there and no record is of an older spec
    // (one may still be on its way to being listed there).
    report.emptyPlacements = records.every((r) => r.specHash === target.specHash) ? emptyPlacements : [];
    if (dryRun || plan.actions.every((a) => a.kind === 'wait')) return report;
    const { failures, called } = await this.act(plan.actions, work, { pool, properties }, places);
    if (failures.length > 0) report.failures = failures;
    const after = await this.statusAfterActing(cluster, work, seen, called, plan.status);
    report.status = after.status;
    // Placements the acting emptied are dropped with this pass's report, as a converged pass would.
    if (after.emptyPlacements) report.emptyPlacements = after.emptyPlacements;
    return report;
  }

  /** describe where the group is, and where it was (earlier placements). */
  private async observe(cluster: ClusterRecord, work: WorkGroup): Promise<Observation> {
    const { target, pin, properties } = work;
    const places = new Map<string, Place>();
    const emptyPlacements: RetiredGroup[] = [];
    const tags = { [TAG_CLUSTER]: cluster.id, [TAG_GROUP]: target.path };
    const pool = guarded(await this.plugins.pool(pin), cluster.id, this.guard);
    let { resources: observed } = await pool.call<{ resources: Resource[] }>('describe', { tags, properties });
    // A moved group: what is left where it was is part of it too (outdated, so it is replaced).
    for (const placement of work.placements) {
      const old = guarded(await this.plugins.pool(placement.pin), cluster.id, this.guard);
      const { resources } = await old.call<{ resources: Resource[] }>('describe', { tags, properties: placement.properties });
      const seen = new Set(observed.map((r) => r.id));
      const left = resources.filter((r) => !seen.has(r.id));
      for (const resource of left) places.set(resource.id, { pool: old, properties: placement.properties });
      observed = [...observed, ...left];
      if (!left.some((r) => !GONE.has(r.status))) emptyPlacements.push(placement);
    }
    return { pool, observed, places, emptyPlacements };
  }

  private plan(target: GroupTarget, records: ResourceRecord[], seen: Observation) {
    // The plugin declares how long its provider's listing may lag behind a create.
    return planGroup({ group: target, records, observed: seen.observed, now: this.now().getTime(), lostGraceMs: seen.pool.listingGraceMs, installation: this.installation });
  }

  /**
   * The group as this pass left it, which is what its report says: the planner's status over the
   * records after acting and, when plugins were called, a describe after acting (a create's or a
   * delete's effect is the provider's to show).
   *
   * When that describe leaves only bookkeeping to do (creates it now lists, deletes it no longer
   * does), the bookkeeping is committed here, as the next pass's first step would commit it: a
   * scale-up whose creates have all answered and are listed ready reports converged from this pass,
   * and `reconcile --wait` or the daemon does not wait another interval to confirm it. Anything
   * else (a create, a delete) is left to the next pass.
   */
  private async statusAfterActing(
    cluster: ClusterRecord,
    work: WorkGroup,
    before: Observation,
    called: boolean,
    planned: GroupStatus | UnobservedStatus,
  ): Promise<{ status: GroupStatus | UnobservedStatus; emptyPlacements?: RetiredGroup[] }> {
    let seen = before;
    if (called) {
      try {
        seen = await this.observe(cluster, work);
      } catch (error) {
        return { status: { ...planned, message: `${planned.message} (as planned, before acting: the describe after acting failed: ${errorMessage(error)})` } };
      }
    }
    let records = await this.store.listResources(cluster.id, work.target.path);
    let plan = this.plan(work.target, records, seen);
    const bookkeeping = plan.actions.filter((a) => a.kind !== 'wait');
    if (called && bookkeeping.length > 0 && bookkeeping.every((a) => BOOKKEEPING.has(a.kind))) {
      await this.act(bookkeeping, work, { pool: seen.pool, properties: work.properties }, seen.places);
      records = await this.store.listResources(cluster.id, work.target.path);
      plan = this.plan(work.target, records, seen);
    }
    const emptyPlacements = records.every((r) => r.specHash === work.target.specHash) ? seen.emptyPlacements : undefined;
    return { status: plan.status, emptyPlacements };
  }

  /** Runs the plan: returns the plugin calls that failed, and whether any call was made. */
  private async act(actions: Action[], work: WorkGroup, here: Place, places: Map<string, Place>): Promise<{ failures: CallFailure[]; called: boolean }> {
    // Bookkeeping first, in one batch (what describe confirmed, what is gone); then the plugin calls.
    const placeOf = (providerId: string | undefined) => (providerId !== undefined ? places.get(providerId) : undefined) ?? here;
    const act: ActContext = { work, pool: here.pool, placeOf, batch: { putResources: [], deleteResources: [], events: [] }, calls: [] };
    for (const action of actions) dispatch(this.handlers, action, act);
    const { batch } = act;
    if (batch.putResources.length + batch.deleteResources.length + batch.events.length > 0) await this.store.commit(batch);
    // The group's own bound (policy maxInFlight), within the plugin account's limit the pool keeps.
    const { maxInFlight } = work.target.policy;
    const limit = maxInFlight === undefined ? undefined : pLimit(maxInFlight);
    const bounded = <T>(call: () => Promise<T>): Promise<T> => (limit ? limit(call) : call());
    const outcomes = await Promise.all(act.calls.map((call) => bounded(call)));
    return { failures: outcomes.filter((failure) => failure !== undefined), called: act.calls.length > 0 };
  }

  /** One handler per action kind: a kind without one does not compile. */
  private readonly handlers: ActionHandlers = {
    observe: ({ record, resource, cause }, { batch }) => {
      const confirmed = record.state === 'creating' || record.state === 'failed';
      batch.putResources.push({
        ...record,
        state: 'active',
        providerId: resource.id,
        status: resource.status,
        address: resource.address,
        observedAt: this.now().toISOString(),
        updatedAt: this.now().toISOString(),
      });
      if (confirmed || record.status !== resource.status) {
        batch.events.push(
          this.event(confirmed ? 'io.kadende.resource.created' : 'io.kadende.resource.observed', eventData(record, cause, { providerId: resource.id, status: resource.status })),
        );
      }
    },
    forget: ({ record, reason, cause }, { batch }) => {
      batch.deleteResources.push(record);
      // A record dropped before describe ever listed its resource: the resource may still appear
      // (listing lag); `delete cluster` waits out the plugin's grace from this time (sweep.ts).
      const dropped = reason === 'lost' || reason === 'surplus';
      const unobserved = dropped && record.observedAt === undefined ? { unobservedSince: record.updatedAt } : {};
      batch.events.push(this.event(reason === 'lost' ? 'io.kadende.resource.lost' : 'io.kadende.resource.deleted', eventData(record, cause, unobserved)));
    },
    halt: ({ cause, unhealthy, allowed }, { work, batch }) => {
      batch.events.push(this.event('io.kadende.group.halted', eventData(groupRef(work), cause, { unhealthy, allowed })));
    },
    wait: () => {},
    create: ({ cause }, { work, pool, calls }) => {
      calls.push(() => this.create(work, pool, cause));
    },
    'resume-create': ({ record }, { work, pool, calls }) => {
      calls.push(() => this.runCreate(work, pool, record));
    },
    delete: (action, { placeOf, batch, calls }) => {
      // The record as this pass's bookkeeping left it (an observation made just now), not as planned.
      const record = batch.putResources.find((r) => r.id === action.record.id) ?? action.record;
      calls.push(() => this.delete(placeOf(action.providerId), { ...action, record }));
    },
    'delete-orphan': ({ resource, cause }, { work, placeOf, calls }) => {
      calls.push(() => this.deleteOrphan(work, placeOf(resource.id), resource, cause));
    },
  };

  private async create(work: WorkGroup, pool: PluginCaller, cause: string): Promise<CallFailure | undefined> {
    const now = this.now().toISOString();
    const record: ResourceRecord = {
      id: this.newId(),
      clusterId: work.target.clusterId,
      groupPath: work.target.path,
      state: 'creating',
      specHash: work.target.specHash,
      createdAt: now,
      updatedAt: now,
      attempts: 0,
      createSentAt: now,
    };
    // Intent before action: a crash from here on leaves a record to resume, never an untracked resource.
    // Durable (fsync), so a power loss cannot lose it either; concurrent creates share one sync.
    await this.store.commit({ putResources: [record], events: [this.event('io.kadende.resource.creating', eventData(record, cause))], durable: true });
    return this.runCreate(work, pool, record, true);
  }

  /** Create attempts with backoff; the token is the record id, so a retry never makes a second resource. */
  private async runCreate(work: WorkGroup, pool: PluginCaller, start: ResourceRecord, fresh = false): Promise<CallFailure | undefined> {
    let record = start;
    while (record.attempts < this.attempts) {
      if (record.attempts > 0) await this.clock.sleep(exponentialBackoff(record.attempts - 1, this.backoffMs));
      const attempt = record.attempts + 1;
      if (!(fresh && attempt === 1)) {
        // A retry or a resumed create (a fresh one's intent already says): record when it is sent, so that
        // a successor does not remove its resource while it may still land (the simulator's find, seed 5584).
        record = { ...record, createSentAt: this.now().toISOString() };
        await this.store.commit({ putResources: [record], durable: true });
      }
      try {
        const resource = await pool.call<Resource>('create', {
          properties: work.properties,
          token: record.id,
          tags: {
            [TAG_CLUSTER]: record.clusterId,
            [TAG_GROUP]: record.groupPath,
            [TAG_RESOURCE]: record.id,
            [TAG_SPEC]: record.specHash,
            ...(this.installation ? { [TAG_INSTALLATION]: this.installation } : {}),
          },
        });
        const now = this.now().toISOString();
        // Answered: no create of this record is in flight any more.
        record = { ...record, state: 'active', attempts: attempt, providerId: resource.id, status: resource.status, address: resource.address, updatedAt: now, lastError: undefined, createSentAt: undefined };
        await this.store.commit({
          putResources: [record],
          events: [
            this.event(
              'io.kadende.resource.created',
              eventData(record, `created ${resource.id}${attempt > 1 ? ` on attempt ${attempt}` : ''}`, { providerId: resource.id, status: resource.status }),
            ),
          ],
        });
        return undefined;
      } catch (error) {
        const message = errorMessage(error);
        const gaveUp = attempt >= this.attempts;
        record = { ...record, attempts: attempt, lastError: message, updatedAt: this.now().toISOString(), state: gaveUp ? 'failed' : 'creating' };
        const events = [
          this.event('io.kadende.resource.create-failed', eventData(record, `attempt ${attempt} of ${this.attempts}: ${message}`, { providerId: undefined, code: errorCode(error) })),
        ];
        if (gaveUp) {
          events.push(this.event('io.kadende.resource.failed', eventData(record, `gave up after ${attempt} create attempts; last error: ${message}`, { providerId: undefined })));
        }
        await this.store.commit({ putResources: [record], events });
        if (gaveUp) return { call: 'create', resourceId: record.id, code: errorCode(error) ?? 'KADENDE_ERR_UNEXPECTED', message: `gave up after ${attempt} attempts: ${message}` };
      }
    }
    return undefined;
  }

  private async delete(place: Place, action: Extract<Action, { kind: 'delete' }>): Promise<CallFailure | undefined> {
    let record = action.record;
    const providerId = action.providerId;
    if (record.state !== 'deleting') {
      record = { ...record, state: 'deleting', deleteReason: action.reason, updatedAt: this.now().toISOString() };
      await this.store.commit({
        putResources: [record],
        events: [this.event('io.kadende.resource.deleting', eventData(record, action.cause, { providerId, reason: action.reason }))],
      });
    }
    try {
      if (providerId !== undefined) await place.pool.call('delete', { id: providerId, properties: place.properties });
      // The record stays `deleting` until describe no longer lists the resource: a provider may
      // answer a delete of an id it has not propagated yet with "not found" while it keeps running
      // (EC2's eventual consistency), and the next pass then deletes it again. The planner forgets
      // the record (io.kadende.resource.deleted) once the resource is gone from describe.
      if (record.lastError !== undefined) await this.store.commit({ putResources: [{ ...record, lastError: undefined }] });
      return undefined;
    } catch (error) {
      // The record stays `deleting`: the next pass tries again.
      await this.store.commit({
        putResources: [{ ...record, lastError: errorMessage(error) }],
        events: [this.event('io.kadende.resource.delete-failed', eventData(record, errorMessage(error), { providerId, code: errorCode(error) }))],
      });
      return { call: 'delete', resourceId: record.id, providerId, code: errorCode(error) ?? 'KADENDE_ERR_UNEXPECTED', message: errorMessage(error) };
    }
  }

  private async deleteOrphan(work: WorkGroup, place: Place, resource: Resource, cause: string): Promise<CallFailure | undefined> {
    const ref = { ...groupRef(work), id: resource.tags[TAG_RESOURCE], providerId: resource.id };
    // Intent before action, as for every delete: a crash during the call must not leave a delete without its event (the simulator's find).
    await this.store.commit({ events: [this.event('io.kadende.resource.deleting', eventData(ref, cause, { reason: 'orphan' }))] });
    try {
      await place.pool.call('delete', { id: resource.id, properties: place.properties });
      await this.store.commit({ events: [this.event('io.kadende.resource.deleted', eventData(ref, `deleted orphan: ${cause}`, { reason: 'orphan' }))] });
      return undefined;
    } catch (error) {
      await this.store.commit({
        events: [this.event('io.kadende.resource.delete-failed', eventData(ref, `orphan ${resource.id}: ${errorMessage(error)}`, { code: errorCode(error) }))],
      });
      return { call: 'delete-orphan', resourceId: ref.id, providerId: resource.id, code: errorCode(error) ?? 'KADENDE_ERR_UNEXPECTED', message: errorMessage(error) };
    }
  }

  private event(type: EventType, data: EventData): KadendeEvent {
    return makeEvent(type, data, this.now(), this.newId());
  }
}
