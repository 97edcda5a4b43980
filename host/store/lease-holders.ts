/**
 * Who holds a cluster's lease on a NATS store, for operators (`describe cluster`, the cluster
 * JSON's `holder`) and for the API's forwarding: the lease (KV kadende-leases) names the host,
 * the host's announcement (KV kadende-hosts) gives its API address and when it took the lease.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { HOSTS_BUCKET, LEASES_BUCKET, type HostAnnouncement } from './nats-leases.js';

export interface Holder {
  hostId: string;
  /** The holder's API URL, as it announced it. */
  address?: string;
  /** When the holder took the lease (ISO time); its latest renewal's time until it has announced the take. */
  since: string;
}

/** Answers "who holds cluster X" from the buckets, read fresh on every question. */
export interface HolderLookup {
  holder(clusterId: string): Promise<Holder | undefined>;
}

export class LeaseHolders implements HolderLookup {
  private buckets?: Promise<{ leases: KV; hosts: KV }>;

  constructor(private readonly nc: NatsConnection) {}

  async holder(clusterId: string): Promise<Holder | undefined> {
    const buckets = await (this.buckets ??= this.open());
    const lease = await buckets.leases.get(clusterId).catch((error: Error) => {
      // No daemon has run on this store yet: nobody holds anything.
      if (/stream not found/i.test(error.message)) return null;
      throw error;
    });
    if (!lease || lease.operation !== 'PUT') return undefined;
    const hostId = lease.string();
    const host = await buckets.hosts.get(hostId).catch(() => null);
    const announced = host && host.operation === 'PUT' ? host.json<HostAnnouncement>() : undefined;
    return { hostId, ...(announced?.url ? { address: announced.url } : {}), since: announced?.leases?.[clusterId] ?? lease.created.toISOString() };
  }

  private async open(): Promise<{ leases: KV; hosts: KV }> {
    const kvm = new Kvm(this.nc);
    return { leases: await kvm.open(LEASES_BUCKET), hosts: await kvm.open(HOSTS_BUCKET) };
  }
}
