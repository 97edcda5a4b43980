/**
 * Phase 1, match: which observed resources are ours, which record each belongs
 * to, and what to do with the orphans (ours by tags, but with no record).
 */
import { TAG_CLUSTER, TAG_GROUP, TAG_INSTALLATION, TAG_RESOURCE, type Resource } from '@kadende/plugin-sdk';
import type { ResourceRecord } from '../../../model/index.js';
import { ageMs, seconds } from './amounts.js';
import type { Action, GroupTarget } from './types.js';

const GONE = new Set(['terminating', 'terminated']);

export interface Matching {
  /** Record id -> the resource describe saw for it. */
  matched: Map<string, Resource>;
  orphans: Resource[];
  /** Carry this cluster's and group's tags but another installation's id: never deleted, the group halts. */
  foreign: Resource[];
}

export function match(group: GroupTarget, records: ResourceRecord[], observed: Resource[], installation?: string): Matching {
  // Only what carries this cluster's and this group's tags is ours to touch.
  const ours = observed.filter((r) => r.tags[TAG_CLUSTER] === group.clusterId && r.tags[TAG_GROUP] === group.path && !GONE.has(r.status));
  const recordsById = new Map(records.map((r) => [r.id, r]));
  const matched = new Map<string, Resource>();
  const orphans: Resource[] = [];
  const foreign: Resource[] = [];
  for (const resource of ours) {
    // Another installation's (two stores managing one cluster id): not ours, whatever its other tags say.
    // A resource without the tag predates installation ids and is treated as before.
    const made = resource.tags[TAG_INSTALLATION];
    if (installation !== undefined && made !== undefined && made !== installation) {
      foreign.push(resource);
      continue;
    }
    const record = recordsById.get(resource.tags[TAG_RESOURCE] ?? '');
    const taken = record && matched.get(record.id);
    // A second resource for one record (a plugin that was not idempotent) is an orphan too.
    if (record && !taken && (record.providerId === undefined || record.providerId === resource.id)) {
      matched.set(record.id, resource);
    } else {
      orphans.push(resource);
    }
  }
  return { matched, orphans, foreign };
}

/** An orphan is deleted once older than orphanMinAge: a create may be running that has not been recorded yet. */
export function orphanActions(orphans: Resource[], group: GroupTarget, now: number): Action[] {
  const minAge = group.policy.orphanMinAgeSeconds * 1000;
  return orphans.map((orphan): Action => {
    const age = ageMs(orphan.createdAt, now);
    if (age >= minAge) {
      return {
        kind: 'delete-orphan',
        resource: orphan,
        cause: `${orphan.id} carries this cluster's tags but Kadende has no record of it (orphan${orphan.createdAt ? `, ${seconds(age)} old` : ''})`,
      };
    }
    return { kind: 'wait', cause: `orphan ${orphan.id} is ${seconds(age)} old; it is deleted once ${group.policy.orphanMinAgeSeconds} s old` };
  });
}

/** The other installations the foreign resources belong to, sorted. */
export function foreignInstallations(foreign: Resource[]): string[] {
  return [...new Set(foreign.map((r) => r.tags[TAG_INSTALLATION]!))].sort();
}

/** The halt of a group another installation also manages: nothing is created or deleted until an operator decides. */
export function foreignHalt(foreign: Resource[], installation: string): Action {
  const others = foreignInstallations(foreign);
  return {
    kind: 'halt',
    unhealthy: 0,
    allowed: 0,
    cause: `${foreign.length} resource(s) with this cluster's tags belong to installation ${others.join(', ')}, not this one (${installation}): two installations manage this cluster id; nothing is created or deleted until one of them stops`,
  };
}
