/**
 * The invariants, checked at every step on what the provider truly holds and
 * what the store has committed, never on Kadende's own reports or plans:
 *
 *   surge          never more than size + maxSurge resources during a rolling update (or an
 *                  unhealthy replacement), never more than max(old, new size) during a resize;
 *   availability   never fewer than size - maxUnavailable ready resources during a rolling
 *                  update that started from a converged group;
 *   one-per-record never two live resources for one record;
 *   foreign-delete never a delete of a resource without this cluster's and group's tags;
 *   intent         never a create whose record was not committed (in `creating`) first;
 *   event          every create and delete has its event committed before it reaches the provider;
 *   convergence    after faults stop, converged within 80 + 20 x size passes.
 *
 * Resources a non-idempotent provider made on its own (a second one for a
 * token) are its doing: they count for convergence (Kadende must delete them),
 * not against surge or one-per-record.
 */
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, TAG_SPEC } from '@kadende/plugin-sdk';
import type { LeafGroup } from '../../model/index.js';
import { specHash } from '../../host/controller/spec-hash.js';
import type { Change } from '../../host/store/types.js';
import type { ResourceRecord } from '../../model/index.js';
import { CLUSTER, GROUP, PIN, type Truth, type World } from './world.js';

export type InvariantName = 'surge' | 'availability' | 'one-per-record' | 'foreign-delete' | 'intent' | 'event' | 'convergence';

export interface Violation {
  invariant: InvariantName;
  message: string;
}

interface Window {
  /** Most resources allowed at once. */
  bound: number;
  /** A spec change or an unhealthy replacement is going on: surge is allowed. */
  rolling: boolean;
  /** Started from a converged group, and only the spec changed since: availability holds. */
  availability: boolean;
}

const effectiveSurge = (g: LeafGroup) => {
  const surge = Number(g.policy.maxSurge);
  return surge === 0 && Number(g.policy.maxUnavailable) === 0 ? 1 : surge;
};

export class Checker {
  violation?: Violation;
  private config!: LeafGroup;
  private window: Window = { bound: 0, rolling: false, availability: false };
  /** Record ids with a committed `creating` event; provider ids with a committed `deleting` event. */
  private readonly creatingEvents = new Set<string>();
  private readonly deletingEvents = new Set<string>();

  constructor(private readonly world: World) {}

  fail(invariant: InvariantName, message: string): void {
    if (this.violation) return;
    this.violation = { invariant, message };
    this.world.log(`VIOLATION ${invariant}: ${message}`);
  }

  private specOf?: { properties: unknown; hash: string };
  private get spec(): string {
    if (this.specOf?.properties !== this.config.properties) this.specOf = { properties: this.config.properties, hash: specHash(PIN, this.config.properties) };
    return this.specOf.hash;
  }

  onConfig(group: LeafGroup): void {
    const previous = this.config;
    this.config = group;
    if (previous === undefined) {
      this.window = { bound: group.size, rolling: false, availability: false };
      return;
    }
    const specChanged = specHash(PIN, previous.properties) !== specHash(PIN, group.properties);
    const rolling = this.window.rolling || specChanged;
    const availability = this.window.availability && previous.size === group.size;
    this.window = {
      rolling,
      availability,
      bound: Math.max(this.window.bound, group.size + (rolling ? effectiveSurge(group) : 0), previous.size + (rolling ? effectiveSurge(previous) : 0)),
    };
  }

  onHealthFault(): void {
    this.window = { bound: Math.max(this.window.bound, this.config.size + effectiveSurge(this.config)), rolling: true, availability: false };
  }

  onCommitted(change: Change): void {
    for (const e of change.events ?? []) {
      if (e.type === 'io.kadende.resource.creating' && e.data.resourceId) this.creatingEvents.add(e.data.resourceId);
      if (e.type === 'io.kadende.resource.deleting' && e.data.providerId) this.deletingEvents.add(e.data.providerId);
    }
  }

  private record(id: string): ResourceRecord | undefined {
    const json = this.world.state.resources.get(CLUSTER)?.get(GROUP)?.get(id);
    return json === undefined ? undefined : (JSON.parse(json) as ResourceRecord);
  }

  private records(): ResourceRecord[] {
    return [...(this.world.state.resources.get(CLUSTER)?.get(GROUP)?.values() ?? [])].map((json) => JSON.parse(json) as ResourceRecord);
  }

  onCreateArrives(request: Record<string, unknown>): void {
    const tags = request.tags as Record<string, string>;
    const id = tags[TAG_RESOURCE]!;
    const record = this.record(id);
    if (record === undefined || record.state !== 'creating') {
      this.fail('intent', `a create for record ${id} reached the provider while its committed record is ${record ? record.state : 'absent'}`);
    }
    if (!this.creatingEvents.has(id)) this.fail('event', `a create for record ${id} reached the provider with no committed creating event`);
  }

  onDeleteArrives(id: string): void {
    const truth = this.world.alive.get(id) ?? this.world.gone.get(id)?.truth;
    if (!truth || truth.tags[TAG_CLUSTER] !== CLUSTER || truth.tags[TAG_GROUP] !== GROUP) {
      this.fail('foreign-delete', `a delete of ${id}, which ${truth ? `carries tags ${JSON.stringify(truth.tags)}` : 'the provider never had'}`);
      return;
    }
    if (!this.deletingEvents.has(id)) this.fail('event', `a delete of ${id} reached the provider with no committed deleting event`);
  }

  private ours(): Truth[] {
    return [...this.world.alive.values()].filter((t) => t.tags[TAG_CLUSTER] === CLUSTER && t.tags[TAG_GROUP] === GROUP);
  }

  /**
   * Resources held that Kadende asked for: one per create token. Extra ones for a token are
   * the non-idempotent provider's doing (whichever of them Kadende ended up binding to).
   */
  private asked(): Truth[] {
    const tokens = new Set<string>();
    return this.ours().filter((t) => {
      const token = t.token ?? t.id;
      if (tokens.has(token)) return false;
      tokens.add(token);
      return true;
    });
  }

  count(): number {
    return this.asked().length;
  }

  /** The provider holds exactly the group as configured, and the store agrees. */
  settled(): boolean {
    const ours = this.ours();
    if (ours.length !== this.config.size) return false;
    if (ours.some((t) => t.tags[TAG_SPEC] !== this.spec || this.world.statusOf(t) !== 'active')) return false;
    const records = this.records();
    if (records.length !== ours.length || records.some((r) => r.state !== 'active')) return false;
    const ids = new Set(ours.map((t) => t.id));
    return records.every((r) => r.providerId !== undefined && ids.has(r.providerId));
  }

  describeTruth(): string {
    const ours = this.ours().map((t) => `${t.id}(${this.world.statusOf(t)}${t.tags[TAG_SPEC] === this.spec ? '' : ', outdated'}${t.duplicate ? ', dup' : ''})`);
    const records = this.records().map((r) => `${r.id}:${r.state}${r.providerId ? `->${r.providerId}` : ''}`);
    return `size ${this.config.size}; provider holds [${ours.join(' ')}]; records [${records.join(' ')}]`;
  }

  check(): void {
    if (this.violation) return;
    const asked = this.asked();
    const perRecord = new Map<string, number>();
    for (const t of asked) {
      const id = t.tags[TAG_RESOURCE] ?? '';
      perRecord.set(id, (perRecord.get(id) ?? 0) + 1);
      if (perRecord.get(id)! > 1) {
        this.fail('one-per-record', `two live resources for record ${id} (${this.describeTruth()})`);
        return;
      }
    }
    // After one-per-record: a second resource for one record is also one too many, and the more precise finding.
    if (asked.length > this.window.bound) {
      this.fail('surge', `the provider holds ${asked.length} resources, more than ${this.window.bound} allowed (${this.describeTruth()})`);
      return;
    }
    if (this.window.availability && this.window.rolling) {
      const ready = asked.filter((t) => this.world.statusOf(t) === 'active').length;
      const floor = this.config.size - Number(this.config.policy.maxUnavailable);
      if (ready < floor) {
        this.fail('availability', `${ready} ready resources during a rolling update, fewer than size - maxUnavailable = ${floor} (${this.describeTruth()})`);
        return;
      }
    }
    if (this.settled()) {
      // Converged: the next window starts here.
      this.window = { bound: this.config.size, rolling: false, availability: true };
    }
  }
}
