/**
 * Records and resources for planner tests: one group's, healthy, observed a
 * minute ago and an hour old, unless a test says otherwise.
 */
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, TAG_SPEC, type Resource } from '@kadende/plugin-sdk';
import type { ResourceRecord } from '../../model/index.js';

export function planFixtures(defaults: { now: number; clusterId?: string; groupPath: string; specHash: string }) {
  const clusterId = defaults.clusterId ?? 'c1';
  const iso = (msAgo: number) => new Date(defaults.now - msAgo).toISOString();
  const tags = (id: string, spec = defaults.specHash, cluster = clusterId, group = defaults.groupPath) => ({
    [TAG_CLUSTER]: cluster,
    [TAG_GROUP]: group,
    [TAG_RESOURCE]: id,
    [TAG_SPEC]: spec,
  });
  const record = (id: string, over: Partial<ResourceRecord> = {}): ResourceRecord => ({
    id,
    clusterId,
    groupPath: defaults.groupPath,
    state: 'active',
    specHash: defaults.specHash,
    createdAt: iso(3_600_000),
    updatedAt: iso(3_600_000),
    providerId: `p-${id}`,
    observedAt: iso(60_000),
    status: 'active',
    attempts: 1,
    ...over,
  });
  const resource = (id: string, over: Partial<Resource> = {}): Resource => ({ id: `p-${id}`, status: 'active', tags: tags(id), createdAt: iso(3_600_000), ...over });
  return { iso, tags, record, resource };
}
