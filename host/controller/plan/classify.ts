/**
 * Phase 2, classify: each record by its state. Deleting records are retried or
 * forgotten, failed ones hold their slot, unconfirmed creates are resumed or
 * confirmed, and an active record whose resource is gone is lost (after a
 * grace period if it was never observed: describe may lag behind create).
 */
import type { Resource } from '@kadende/plugin-sdk';
import type { ResourceRecord } from '../../../model/index.js';
import { ageMs, seconds } from './amounts.js';
import { CREATE_IN_FLIGHT_MS } from './scale.js';
import type { Action, GroupTarget, Live } from './types.js';

export interface Classified {
  actions: Action[];
  /** Records that hold a slot: active or being created. */
  live: Live[];
  /** Creates that failed for good under the current spec: they hold their slot, so they are not retried forever. */
  failed: ResourceRecord[];
  /** Records whose resource is being deleted but still exists: they occupy a slot until the delete is done. */
  draining: ResourceRecord[];
}

export function classify(
  group: GroupTarget,
  records: ResourceRecord[],
  matched: Map<string, Resource>,
  now: number,
  lostGraceMs: number,
): Classified {
  const actions: Action[] = [];
  const live: Live[] = [];
  const failed: ResourceRecord[] = [];
  const draining: ResourceRecord[] = [];
  const unseen = (record: ResourceRecord): Live => ({ record, ready: false, outdated: record.specHash !== group.specHash });
  for (const record of records) {
    const resource = matched.get(record.id);
    switch (record.state) {
      case 'deleting':
        if (resource) {
          actions.push({ kind: 'delete', record, providerId: resource.id, reason: 'retry', cause: `retrying the delete of ${resource.id} (${record.deleteReason ?? 'requested'})` });
          // Issue 9: it still exists until the delete is done, so it still occupies a slot (scale.ts).
          draining.push(record);
        } else if (mayHaveUnlistedTwin(record, now, lostGraceMs)) {
          actions.push({ kind: 'wait', cause: `${record.providerId ?? record.id} is gone; an earlier create attempt may still be listed` });
          draining.push(record);
        } else {
          actions.push({ kind: 'forget', record, reason: 'deleted', cause: `${record.providerId ?? record.id} is gone` });
        }
        continue;
      case 'failed':
        if (resource) {
          // A create that landed although its answer was lost and the retries failed (a simulator find): adopt it.
          actions.push({ kind: 'observe', record, resource, cause: `${resource.id} exists: the create that was given up on did succeed` });
          live.push(assess(record, resource, group, now));
        } else if (record.specHash !== group.specHash && ageMs(record.updatedAt, now) >= lostGraceMs) {
          // Only once describe had the grace period to list a create that landed unanswered (a simulator find).
          actions.push({ kind: 'forget', record, reason: 'superseded', cause: 'the group spec changed since this create failed: trying again with the new spec' });
        } else {
          failed.push(record);
        }
        continue;
      case 'creating':
        if (resource) {
          actions.push({ kind: 'observe', record, resource, cause: `${resource.id} exists: the create is confirmed` });
          live.push(assess(record, resource, group, now));
        } else {
          actions.push({ kind: 'resume-create', record, cause: 'a create was started but never confirmed: asking again with the same token' });
          live.push(unseen(record));
        }
        continue;
      case 'active':
        if (resource) {
          if (resource.status !== record.status || record.observedAt === undefined || resource.address !== record.address) {
            actions.push({ kind: 'observe', record, resource, cause: `${resource.id} is ${resource.status}` });
          }
          live.push(assess(record, resource, group, now));
        } else if ((record.observedAt !== undefined || ageMs(record.updatedAt, now) >= lostGraceMs) && mayHaveUnlistedTwin(record, now, lostGraceMs)) {
          // Replaced (it left the pool), but kept until the grace has passed: see mayHaveUnlistedTwin (seed 17529).
          actions.push({ kind: 'wait', cause: `${record.providerId ?? record.id} no longer exists; an earlier create attempt may still be listed` });
          draining.push(record);
        } else if (record.observedAt !== undefined || ageMs(record.updatedAt, now) >= lostGraceMs) {
          actions.push({ kind: 'forget', record, reason: 'lost', cause: `${record.providerId ?? record.id} no longer exists at the provider: it will be replaced` });
        } else {
          live.push(unseen(record));
          actions.push({ kind: 'wait', cause: `${record.providerId ?? record.id} was created but the provider does not list it yet` });
        }
        continue;
    }
  }
  return { actions, live, failed, draining };
}

/**
 * A record that may have a second resource the provider does not list yet. Once its own resource is
 * gone (deleted, lost) it keeps occupying a slot, and is forgotten later, or the second resource is
 * matched to it once listed (and deleted if the record is being deleted):
 * - its create took more than one attempt, less than the listing grace ago: an earlier attempt's
 *   answer was lost, and a provider that ignored the token may hold a second resource for it (the
 *   simulator's finds, seeds 97894 and 17529);
 * - a create attempt of it was sent less than CREATE_IN_FLIGHT_MS ago and never answered (a host
 *   crashed with a retry in flight, and the next host found the first attempt's resource and
 *   replaced it as unhealthy): that attempt may still land (seed 71522).
 */
function mayHaveUnlistedTwin(record: ResourceRecord, now: number, lostGraceMs: number): boolean {
  if (record.createSentAt !== undefined && ageMs(record.createSentAt, now) < CREATE_IN_FLIGHT_MS) return true;
  return record.attempts > 1 && ageMs(record.createdAt, now) < lostGraceMs;
}

/** Ready when active; unhealthy when the plugin says so, or when still pending past the startup timeout. */
function assess(record: ResourceRecord, resource: Resource, group: GroupTarget, now: number): Live {
  const outdated = record.specHash !== group.specHash;
  if (resource.status === 'unhealthy') {
    return { record, resource, ready: false, outdated, unhealthy: `${resource.id} is unhealthy: replacing it` };
  }
  if (resource.status === 'pending') {
    const age = ageMs(resource.createdAt ?? record.createdAt, now);
    if (age > group.policy.startupTimeoutSeconds * 1000) {
      return {
        record,
        resource,
        ready: false,
        outdated,
        unhealthy: `${resource.id} is still pending after ${seconds(age)} (startupTimeoutSeconds ${group.policy.startupTimeoutSeconds}): replacing it`,
      };
    }
    return { record, resource, ready: false, outdated };
  }
  return { record, resource, ready: true, outdated };
}
