/**
 * The fleet benches' world: an in-memory provider whose describe answers from a
 * map (so a pass's figure is Kadende's own cost, not a plugin's), and a store
 * seeded with converged clusters: every record active and observed, every
 * resource listed with the tags Kadende put on it.
 */
import { performance } from 'node:perf_hooks';
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, TAG_SPEC, type PluginMethod, type Resource } from '@kadende/plugin-sdk';
import { KadendeService } from '../../host/controller/service.js';
import { specHash } from '../../host/controller/spec-hash.js';
import type { PluginCaller, PluginSource } from '../../host/controller/reconcile.js';
import type { PluginHost } from '../../host/plugins/host.js';
import { PluginHost as RealPluginHost } from '../../host/plugins/host.js';
import { localSources, PluginResolver } from '../../host/plugins/resolve.js';
import type { Store } from '../../host/store/types.js';
import type { ClusterRecord, ResourceRecord } from '../../model/index.js';

/** describe from memory, keyed by cluster and group; counts the time describe itself takes. */
export class MemoryProvider implements PluginSource, PluginCaller {
  readonly byGroup = new Map<string, Resource[]>();
  describeMs = 0;
  describes = 0;

  async pool(): Promise<PluginCaller> {
    return this;
  }

  async call<T>(method: PluginMethod, request: unknown): Promise<T> {
    if (method !== 'describe') throw new Error(`the fleet bench's provider only describes (asked to ${method})`);
    const start = performance.now();
    const { tags } = request as { tags: Record<string, string> };
    const resources = this.byGroup.get(`${tags[TAG_CLUSTER]}/${tags[TAG_GROUP]}`) ?? [];
    this.describes += 1;
    this.describeMs += performance.now() - start;
    return { resources } as T;
  }
}

/**
 * A cluster template made by a real apply (YAML, validation, pins: the file plugin's),
 * cloned under new ids and names: applying 10,000 configurations one by one would measure
 * apply, not the pass.
 */
export async function template(store: Store, yaml: string): Promise<ClusterRecord> {
  const plugins = new RealPluginHost(new PluginResolver(localSources()));
  try {
    const service = new KadendeService(store, plugins);
    const { cluster } = await service.apply(yaml, 'fleet.yaml');
    await store.commit({ deleteClusters: [cluster] });
    return cluster;
  } finally {
    await plugins.close();
  }
}

const pad = (n: number) => String(n).padStart(6, '0');

/** Seeds `count` converged clusters like `base`, committed in batches. */
export async function seed(store: Store, provider: MemoryProvider, base: ClusterRecord, count: number, batch = 100): Promise<string[]> {
  const ids: string[] = [];
  const now = new Date().toISOString();
  for (let start = 0; start < count; start += batch) {
    const clusters: ClusterRecord[] = [];
    const records: ResourceRecord[] = [];
    for (let i = start; i < Math.min(count, start + batch); i += 1) {
      const id = `019a0000-0000-7000-8000-${pad(i)}000000`;
      const cluster: ClusterRecord = { ...base, id, name: `fleet-${pad(i)}`, spec: { ...base.spec, id, name: `fleet-${pad(i)}` } };
      clusters.push(cluster);
      ids.push(id);
      for (const group of cluster.spec.groups) {
        const hash = specHash(cluster.pins[group.path]!, group.properties);
        const listed: Resource[] = [];
        for (let r = 0; r < group.size; r += 1) {
          const recordId = `r-${pad(i)}-${group.path}-${pad(r)}`;
          const providerId = `i-${pad(i)}-${group.path}-${pad(r)}`;
          records.push({ id: recordId, clusterId: id, groupPath: group.path, state: 'active', specHash: hash, createdAt: now, updatedAt: now, providerId, observedAt: now, status: 'active', attempts: 1 });
          listed.push({ id: providerId, status: 'active', createdAt: now, tags: { [TAG_CLUSTER]: id, [TAG_GROUP]: group.path, [TAG_RESOURCE]: recordId, [TAG_SPEC]: hash } });
        }
        provider.byGroup.set(`${id}/${group.path}`, listed);
      }
    }
    await store.commit({ putClusters: clusters, putResources: records });
  }
  return ids;
}

/** The service the daemon builds, on the in-memory provider. */
export const serviceOn = (store: Store, provider: MemoryProvider) => new KadendeService(store, provider as unknown as PluginHost);
