/**
 * The last step of `delete cluster`: a resource whose record was dropped before describe
 * ever listed it (a create whose answer was lost, a listing that had not caught up) may
 * still appear up to its plugin's declared listingGraceMs later. So the cluster is
 * forgotten only once that grace has passed since the newest such record was dropped, and
 * a final describe by the cluster's tag alone (every group, every placement) finds nothing
 * live; whatever it finds meanwhile is deleted.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { TAG_CLUSTER, type Resource } from '@kadende/plugin-sdk';
import type { ClusterRecord, RetiredGroup } from '../../model/index.js';
import { makeEvent } from '../events/index.js';
import type { Store } from '../store/index.js';
import { DEFAULT_LOST_GRACE_MS } from './plan/index.js';
import type { PluginSource } from './reconcile.js';
import { kadendeError } from '../../errors/index.js';

export interface SweepDeps {
  store: Store;
  plugins: PluginSource;
  now: () => Date;
}

const GONE = new Set(['terminating', 'terminated']);

/** Every distinct (pin, properties) the cluster's resources may live under. */
export function placementsOf(cluster: ClusterRecord): RetiredGroup[] {
  const all: RetiredGroup[] = [
    ...cluster.spec.groups.map((g) => ({ pin: cluster.pins[g.path]!, properties: g.properties })),
    ...Object.values(cluster.retired),
    ...Object.values(cluster.retiredPlacements ?? {}).flat(),
  ];
  return all.filter((p, i) => all.findIndex((q) => isDeepStrictEqual(p, q)) === i);
}

/** The newest time a record was dropped before its resource was ever listed (its events say so). */
async function lastUnobservedAt(store: Store, clusterId: string): Promise<number | undefined> {
  let newest: number | undefined;
  let after: string | undefined;
  for (;;) {
    const events = await store.listEvents(clusterId, { limit: 500, after });
    for (const event of events) {
      const since = event.data.unobservedSince;
      if (typeof since === 'string') newest = Math.max(newest ?? 0, Date.parse(since));
    }
    if (events.length < 500) return newest;
    after = events[events.length - 1]!.id;
  }
}

export async function sweepAfterGrace(deps: SweepDeps, cluster: ClusterRecord, options: { deadline: number; intervalMs: number }): Promise<void> {
  const placements = placementsOf(cluster);
  const pools = await Promise.all(placements.map((p) => deps.plugins.pool(p.pin)));
  const graceMs = Math.max(...pools.map((pool) => pool.listingGraceMs ?? DEFAULT_LOST_GRACE_MS));
  const last = await lastUnobservedAt(deps.store, cluster.id);
  const sweepAt = last === undefined ? 0 : last + graceMs;
  const tags = { [TAG_CLUSTER]: cluster.id };
  for (;;) {
    const waiting = deps.now().getTime() < sweepAt;
    // Describe even while waiting: what turns up is deleted at once.
    let live = 0;
    for (const [n, placement] of placements.entries()) {
      const pool = pools[n]!;
      const { resources } = await pool.call<{ resources: Resource[] }>('describe', { tags, properties: placement.properties });
      for (const resource of resources.filter((r) => !GONE.has(r.status) && r.tags[TAG_CLUSTER] === cluster.id)) {
        live += 1;
        await pool.call('delete', { id: resource.id, properties: placement.properties });
        await deps.store.commit({
          events: [
            makeEvent(
              'io.kadende.resource.deleted',
              { clusterId: cluster.id, groupPath: resource.tags['kadende.group'], providerId: resource.id, cause: `final sweep of the deleted cluster: ${resource.id} appeared after its records were gone`, reason: 'orphan' },
              deps.now(),
            ),
          ],
        });
      }
    }
    if (!waiting && live === 0) return;
    if (Date.now() >= options.deadline) {
      const until = new Date(Math.max(sweepAt, deps.now().getTime())).toISOString();
      throw kadendeError(
        'KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE',
        cluster.name,
        `a create it made may still appear in its provider's listing until ${until} (the plugin's listingGraceMs); run the delete again then`,
        // The delete's time ran out (504, like a wait's timeout), not a failure.
      ).with({ statusCode: 504 });
    }
    await sleep(options.intervalMs);
  }
}
