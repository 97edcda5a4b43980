/**
 * What each fake cloud holds, read back as Kadende resources: instances that
 * exist and are not being deleted, with the tags the plugin put on them
 * (decoded with the plugin's own rules: EC2 tags as they are, GCE's
 * `kadende-tags` metadata, DO's escaped tags). Tests and benchmarks count these
 * to prove a cluster has exactly the instances it should.
 */
import type { Tags } from '@kadende/plugin-sdk';
import { originalTags } from '../../plugins/gcp/src/labels.js';
import { decodeTags } from '../../plugins/digitalocean/src/tags.js';
import type { FakeEc2 } from './aws.js';
import type { FakeGce } from './gcp.js';
import type { FakeDigitalOcean } from './digitalocean.js';

export interface Held {
  /** The id the plugin reports for it (EC2 instance id, GCE zone/name, droplet id). */
  id: string;
  tags: Tags;
}

const carrying = (wanted: Tags) => (held: Held) => Object.entries(wanted).every(([key, value]) => held.tags[key] === value);

export function heldByEc2(ec2: FakeEc2, wanted: Tags = {}): Held[] {
  return [...ec2.instances.values()]
    .filter((i) => i.state !== 'shutting-down' && i.state !== 'terminated')
    .map((i) => ({ id: i.instanceId, tags: i.tags }))
    .filter(carrying(wanted));
}

export function heldByGce(gce: FakeGce, wanted: Tags = {}): Held[] {
  // Keyed by project/zone/name; the plugin's id is zone/name.
  // A VM whose delete operation has not finished is on its way out; a stopped VM still exists.
  const deleting = new Set([...gce.operations.values()].filter((o) => o.operationType === 'delete' && o.status !== 'DONE').map((o) => o.targetId));
  return [...gce.instances.entries()]
    .filter(([, i]) => !deleting.has(i.id))
    .map(([key, i]) => ({ id: key.slice(key.indexOf('/') + 1), tags: originalTags(i.labels, i.metadata?.items) }))
    .filter(carrying(wanted));
}

export function heldByDigitalOcean(api: FakeDigitalOcean, wanted: Tags = {}): Held[] {
  return [...api.instances.values()].map((d) => ({ id: String(d.id), tags: decodeTags(d.tags) })).filter(carrying(wanted));
}
