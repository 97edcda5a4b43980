/**
 * The daemon's ClusterReconciler on a shared store: passes only for the
 * clusters whose lease this host holds (host/store/nats-leases.ts). The
 * scheduler asks clusterIds() every tick, so a lease gained is scheduled at
 * once and a lease lost is dropped; a pass asked for a cluster whose lease is
 * gone meanwhile ends as terminal (the scheduler forgets it until it is ours
 * again). Inside a pass the lease is checked again before every plugin call
 * and every commit (ReconcileOptions.guard, the NatsStore fence). Every commit
 * made inside a pass is fenced, cluster records included (a pass may settle
 * retired groups or forget a deleted cluster): `LeasedPasses.inPass()` tells
 * the store, through the pass's async context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { TerminalPassError, type ClusterReconciler, type PassRequest, type PassResult } from './pass.js';

export interface LeaseHolder {
  holds(clusterId: string): boolean;
}

const running = new AsyncLocalStorage<string>();

export class LeasedPasses implements ClusterReconciler {
  /** The cluster whose leased pass the caller runs in, if it runs in one. */
  static inPass(): string | undefined {
    return running.getStore();
  }

  constructor(
    private readonly inner: ClusterReconciler,
    private readonly leases: LeaseHolder,
  ) {}

  async clusterIds(): Promise<string[]> {
    return (await this.inner.clusterIds()).filter((id) => this.leases.holds(id));
  }

  async reconcile(request: PassRequest): Promise<PassResult> {
    if (!this.leases.holds(request.clusterId)) throw new TerminalPassError(`cluster ${request.clusterId}: this host does not hold its lease`);
    return running.run(request.clusterId, () => this.inner.reconcile(request));
  }
}
