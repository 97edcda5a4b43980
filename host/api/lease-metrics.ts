/**
 * Lease metrics of a daemon on a NATS store (a block of their own beside DaemonMetrics):
 * how many cluster leases this host holds, and how many it took, took over from a host
 * whose lease expired, lost (a renewal refused) and released (rebalance, stop).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LeaseChange } from '../store/index.js';

export class LeaseMetrics {
  private readonly counters: Record<LeaseChange['kind'] | 'takeover', Counter>;

  constructor(registry: Registry, held: () => number) {
    const registers = [registry];
    new Gauge({
      name: 'kadende_leases_held',
      help: 'Cluster leases this host holds now (a NATS store).',
      registers,
      collect() {
        this.set(held());
      },
    });
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    this.counters = {
      taken: counter('kadende_leases_taken_total', 'Cluster leases this host took (free, released or expired ones).'),
      takeover: counter('kadende_lease_takeovers_total', 'Leases this host took over from another host whose lease expired (a dead or stalled host).'),
      lost: counter('kadende_lease_losses_total', 'Leases this host lost: a renewal was refused or failed, and it stopped working on the cluster.'),
      released: counter('kadende_leases_released_total', 'Leases this host gave away (above its fair share, a deleted cluster, a stop).'),
    };
  }

  observe(change: LeaseChange): void {
    this.counters[change.kind].inc();
    if (change.from) this.counters.takeover.inc();
  }
}
