/**
 * Which host reconciles which cluster, when several share one NATS store
 * (docs/ARCHITECTURE.md, "Beyond one machine").
 *
 *   KV kadende-hosts   hostId -> { hostId, url, at }: each host announces itself every renew
 *                      interval; the bucket's max age (hostTtlMs) drops a host that stops.
 *   KV kadende-leases  clusterId -> hostId: a lease, taken with `create` (fails if held),
 *                      renewed with `update(revision)` (fails if anyone wrote it since), released
 *                      with a revision-checked delete. The bucket's max age (leaseTtlMs) expires a
 *                      lease its holder stopped renewing (2.9 ignores per-key TTL; bucket max age works).
 *
 *   KV kadende-roles   publisher -> hostId: the one host that publishes the fleet's events (the
 *                      shared outbox, host/store/nats-outbox.ts), a lease like a cluster's, taken
 *                      only by hosts that publish (`publisher: true`).
 *
 * A host holds a lease for `leaseTtlMs` from the renewal's start, but counts it as its own only
 * for two thirds of that (`holds`): a host whose renewals stall stops itself well before another
 * can take the cluster over. Each host takes up to its fair share ceil(clusters / hosts) and gives
 * away leases above it, so a joining host gets work and a dead host's clusters are spread out.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { kadendeError } from '../../errors/index.js';
import { createBucket } from './nats-buckets.js';
import { isConflict } from './nats-errors.js';

export const LEASES_BUCKET = 'kadende-leases';
export const HOSTS_BUCKET = 'kadende-hosts';
export const ROLES_BUCKET = 'kadende-roles';
export const PUBLISHER_ROLE = 'publisher';

export interface LeaseOptions {
  hostId: string;
  /** What `kadende get hosts` shows for this host (its API URL). */
  url?: string;
  /** How long a lease lives unrenewed (the leases bucket's max age). */
  leaseTtlMs?: number;
  /** How long a silent host still counts (the hosts bucket's max age). */
  hostTtlMs?: number;
  /** The clusters there are. */
  clusters: () => Promise<string[]>;
  onChange?: (gained: string[], lost: string[]) => void;
  /** This host publishes events: it competes for the fleet's publisher role. */
  publisher?: boolean;
  /** False while the store's connection is down: the round is skipped (every write would be refused, and a refused renewal costs the lease). */
  active?: () => boolean;
  /** Each lease taken (`from`: the host it was taken over from, whose lease expired), lost (a renewal refused) or released. */
  onLease?: (change: LeaseChange) => void;
}

export interface LeaseChange {
  clusterId: string;
  kind: 'taken' | 'lost' | 'released';
  /** A take of an expired lease another host announced holding: a takeover. */
  from?: string;
}

export interface HostInfo {
  hostId: string;
  url?: string;
  at: string;
  clusters: string[];
}

/** What a host puts in KV kadende-hosts each round. */
export interface HostAnnouncement {
  hostId: string;
  url?: string;
  at: string;
  /** Cluster id -> when this host took its lease (ISO time). */
  leases?: Record<string, string>;
}

interface Held {
  revision: number;
  /** When the renewal that gave this revision started. */
  since: number;
  /** When this host took the lease. */
  takenAt: number;
}

export class LeaseKeeper {
  readonly hostId: string;
  private readonly leaseTtlMs: number;
  /** Announced with the host (its API URL, once it listens). */
  url?: string;
  private readonly renewMs: number;
  private readonly held = new Map<string, Held>();
  private publisherHeld?: Held;
  /** Cluster id -> the other host that last announced its lease, and when this host saw it. */
  private readonly announced = new Map<string, { hostId: string; seenAt: number }>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  private constructor(
    private readonly leases: KV,
    private readonly hosts: KV,
    private readonly roles: KV,
    private readonly options: LeaseOptions,
  ) {
    this.hostId = options.hostId;
    this.leaseTtlMs = options.leaseTtlMs ?? 15_000;
    this.url = options.url;
    // Renewed three times per lifetime: one lost renewal never costs the lease.
    this.renewMs = Math.max(100, Math.floor(this.leaseTtlMs / 3));
  }

  static async open(nc: NatsConnection, options: LeaseOptions): Promise<LeaseKeeper> {
    const { leases, hosts, roles } = await buckets(nc, options.leaseTtlMs ?? 15_000, options.hostTtlMs ?? options.leaseTtlMs ?? 15_000);
    return new LeaseKeeper(leases, hosts, roles, options);
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const run = () => {
      if (this.running) return;
      this.running = this.tick()
        .catch(() => {})
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(run, this.renewMs);
    this.timer.unref();
    run();
  }

  /** Whether this host may work on the cluster now: its lease is held and not close to expiring. */
  holds(clusterId: string): boolean {
    return this.fresh(this.held.get(clusterId));
  }

  /** Whether this host is the fleet's event publisher now (same rule as a cluster's lease). */
  holdsPublisher(): boolean {
    return this.fresh(this.publisherHeld);
  }

  private fresh(held: Held | undefined): boolean {
    return held !== undefined && Date.now() - held.since < (this.leaseTtlMs * 2) / 3;
  }

  /** Throws KADENDE_ERR_LEASE_LOST unless this host holds the cluster's lease: the fence of every write and plugin call of a pass. */
  fence(clusterId: string): void {
    if (!this.holds(clusterId)) throw kadendeError('KADENDE_ERR_LEASE_LOST', clusterId, this.hostId);
  }

  heldClusters(): string[] {
    return [...this.held.keys()].filter((id) => this.holds(id)).sort();
  }

  /** One round: announce this host, renew what it holds, give away above its fair share, take free clusters up to it. */
  async tick(): Promise<void> {
    if (this.options.active && !this.options.active()) return;
    const before = new Set(this.heldClusters());
    const leases = Object.fromEntries([...this.held].map(([id, held]) => [id, new Date(held.takenAt).toISOString()]));
    const announcement: HostAnnouncement = { hostId: this.hostId, url: this.url, at: new Date().toISOString(), leases };
    await this.hosts.put(this.hostId, JSON.stringify(announcement));
    if (this.options.publisher && !this.stopped) await this.keepPublisher();
    const clusters = await this.options.clusters();
    const present = new Set(clusters);
    const hostIds: string[] = [];
    for await (const key of await this.hosts.keys()) hostIds.push(key);
    const hostCount = hostIds.length;
    for (const key of hostIds) if (key !== this.hostId) await this.rememberAnnounced(key);
    const fair = Math.ceil(clusters.length / Math.max(1, hostCount));
    // Renew (and drop leases of clusters that are gone).
    await Promise.all(
      [...this.held.entries()].map(async ([id, held]) => {
        if (!present.has(id)) return this.release(id);
        const since = Date.now();
        try {
          this.held.set(id, { revision: await this.leases.update(id, this.hostId, held.revision), since, takenAt: held.takenAt });
        } catch {
          // Someone wrote it since (it expired and was taken), or NATS is unreachable: not ours until taken again.
          this.held.delete(id);
          this.options.onLease?.({ clusterId: id, kind: 'lost' });
        }
      }),
    );
    // Above the fair share: give away the excess (the last ones, by id), so another host can take them.
    const mine = [...this.held.keys()].sort();
    for (const id of mine.slice(fair)) await this.release(id);
    // Below it: take free clusters, starting at a point that differs per host so hosts do not all race for the same ones.
    if (this.held.size < fair && !this.stopped) {
      const free: string[] = [];
      /** Free because the lease expired (no entry), not released (a delete marker): its last announced holder died or stalled. */
      const expired = new Set<string>();
      for (const id of clusters) {
        if (this.held.has(id)) continue;
        const entry = await this.leases.get(id).catch(() => null);
        if (!entry || entry.operation !== 'PUT') free.push(id);
        if (!entry) expired.add(id);
      }
      const offset = free.length ? hash(this.hostId) % free.length : 0;
      for (const id of [...free.slice(offset), ...free.slice(0, offset)]) {
        if (this.held.size >= fair) break;
        const since = Date.now();
        try {
          this.held.set(id, { revision: await this.leases.create(id, this.hostId), since, takenAt: since });
          const last = expired.has(id) ? this.announced.get(id) : undefined;
          const from = last && last.hostId !== this.hostId && Date.now() - last.seenAt < 2 * this.leaseTtlMs ? last.hostId : undefined;
          this.options.onLease?.({ clusterId: id, kind: 'taken', ...(from ? { from } : {}) });
        } catch (error) {
          if (!isConflict(error)) throw error;
        }
      }
    }
    const after = new Set(this.heldClusters());
    const gained = [...after].filter((id) => !before.has(id));
    const lost = [...before].filter((id) => !after.has(id));
    if (gained.length + lost.length > 0) this.options.onChange?.(gained, lost);
  }

  /** Renews the publisher role, or takes it when free: one publisher in the fleet keeps the events stream in journal order. */
  private async keepPublisher(): Promise<void> {
    const since = Date.now();
    try {
      const revision = this.publisherHeld
        ? await this.roles.update(PUBLISHER_ROLE, this.hostId, this.publisherHeld.revision)
        : await this.roles.create(PUBLISHER_ROLE, this.hostId);
      this.publisherHeld = { revision, since, takenAt: this.publisherHeld?.takenAt ?? since };
    } catch (error) {
      // Held by another host (or taken over after it expired), or NATS is unreachable: not ours now.
      this.publisherHeld = undefined;
      if (!isConflict(error)) throw error;
    }
  }

  private async release(id: string): Promise<void> {
    const held = this.held.get(id);
    this.held.delete(id);
    if (held) {
      this.options.onLease?.({ clusterId: id, kind: 'released' });
      await this.leases.delete(id, { previousSeq: held.revision }).catch(() => {});
    }
  }

  /** Which host last announced holding each cluster: a lease that expires under it is a takeover when taken. */
  private async rememberAnnounced(hostId: string): Promise<void> {
    const entry = await this.hosts.get(hostId).catch(() => null);
    if (!entry || entry.operation !== 'PUT') return;
    const ids = new Set(Object.keys(entry.json<HostAnnouncement>().leases ?? {}));
    // What it no longer announces it gave away (released): not a takeover when taken.
    for (const [id, last] of this.announced) if (last.hostId === hostId && !ids.has(id)) this.announced.delete(id);
    const seenAt = Date.now();
    for (const id of ids) this.announced.set(id, { hostId, seenAt });
  }

  /** Stops renewing and releases every lease, so other hosts take over at once rather than after expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await Promise.all([...this.held.keys()].map((id) => this.release(id)));
    const publisher = this.publisherHeld;
    this.publisherHeld = undefined;
    if (publisher) await this.roles.delete(PUBLISHER_ROLE, { previousSeq: publisher.revision }).catch(() => {});
    await this.hosts.delete(this.hostId).catch(() => {});
  }
}

async function buckets(nc: NatsConnection, leaseTtlMs: number, hostTtlMs: number): Promise<{ leases: KV; hosts: KV; roles: KV }> {
  return {
    leases: await createBucket(nc, LEASES_BUCKET, { history: 1, ttl: leaseTtlMs }),
    hosts: await createBucket(nc, HOSTS_BUCKET, { history: 1, ttl: hostTtlMs }),
    roles: await createBucket(nc, ROLES_BUCKET, { history: 1, ttl: leaseTtlMs }),
  };
}

/** The hosts announced now, each with the clusters whose lease it holds. */
export async function listHosts(nc: NatsConnection): Promise<HostInfo[]> {
  const kvm = new Kvm(nc);
  const hosts = await kvm.open(HOSTS_BUCKET);
  const leases = await kvm.open(LEASES_BUCKET);
  const out = new Map<string, HostInfo>();
  for await (const key of await hosts.keys().catch(() => (async function* () {})())) {
    const entry = await hosts.get(key);
    if (entry && entry.operation === 'PUT') {
      const { hostId, url, at } = entry.json<HostAnnouncement>();
      out.set(hostId, { hostId, url, at, clusters: [] });
    }
  }
  for await (const key of await leases.keys().catch(() => (async function* () {})())) {
    const entry = await leases.get(key);
    if (entry && entry.operation === 'PUT') out.get(entry.string())?.clusters.push(key);
  }
  return [...out.values()].map((h) => ({ ...h, clusters: h.clusters.sort() })).sort((a, b) => a.hostId.localeCompare(b.hostId));
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
