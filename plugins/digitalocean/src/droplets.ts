/**
 * Droplets <-> Kadende resources: state mapping, tag look-ups with page
 * following, SSH key names, and create/delete with retries inside the deadline.
 */
import { createHash } from 'node:crypto';
import { TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, withRetry, type PluginContext, type Resource, type ResourceStatus, type Tags } from '@kadende/plugin-sdk';
import type { DoApi } from './client.js';
import { DoPluginError, RETRY, status } from './errors.js';
import { DEFAULT_REGION, imageSlug, sizeSlug, type DoProperties } from './properties.js';
import { decodeTags, encodeTag } from './tags.js';

interface Droplet {
  id: number;
  name: string;
  status: string;
  created_at: string;
  tags: string[];
  size_slug?: string;
  region?: { slug?: string } | string;
  networks?: { v4?: { ip_address: string; type: string }[] };
}

/** Droplet status -> Kadende status. `off` does no work: unhealthy, so it gets replaced. */
export const STATUS: Record<string, ResourceStatus> = {
  new: 'pending',
  active: 'active',
  off: 'unhealthy',
  archive: 'terminated',
};

const PER_PAGE = 200; // DO's largest page

export function toResource(droplet: Droplet): Resource {
  const v4 = droplet.networks?.v4 ?? [];
  const address = (v4.find((n) => n.type === 'public') ?? v4.find((n) => n.type === 'private'))?.ip_address;
  const resource: Resource = {
    id: String(droplet.id),
    status: STATUS[droplet.status] ?? 'unhealthy',
    tags: decodeTags(droplet.tags ?? []),
    properties: {
      name: droplet.name,
      size: droplet.size_slug,
      region: typeof droplet.region === 'string' ? droplet.region : droplet.region?.slug,
    },
  };
  if (droplet.created_at) resource.createdAt = new Date(droplet.created_at).toISOString();
  if (address) resource.address = address;
  return resource;
}

function encodeAll(tags: Tags): string[] {
  return Object.entries(tags).map(([key, value]) => {
    const tag = encodeTag(key, value);
    if (!tag) throw new DoPluginError('DO_ERR_VALIDATION', `Tag ${key}=${value.slice(0, 40)}... does not fit in a DigitalOcean tag (255 characters once encoded)`);
    return tag;
  });
}

/** The page number in a links.pages.next URL. */
function nextPage(next: string | undefined): number | undefined {
  if (!next) return undefined;
  const page = Number(new URL(next, 'http://x').searchParams.get('page'));
  return Number.isInteger(page) && page > 0 ? page : undefined;
}

/**
 * Droplets carrying every tag. DO filters by one tag only: the most selective
 * one Kadende gives (resource, then group, then cluster) goes to the API, the
 * rest are matched here.
 */
export async function listDroplets(api: DoApi, tags: Tags, context: PluginContext): Promise<Resource[]> {
  encodeAll(tags);
  const key = [TAG_RESOURCE, TAG_GROUP, TAG_CLUSTER].find((k) => tags[k] !== undefined) ?? Object.keys(tags)[0];
  const tagName = key === undefined ? undefined : encodeTag(key, tags[key]!);
  const resources: Resource[] = [];
  let page: number | undefined = 1;
  while (page !== undefined) {
    const current: number = page;
    const { data } = await withRetry(context, RETRY, () => api.droplet.listDroplets({ tag_name: tagName, page: current, per_page: PER_PAGE }));
    for (const droplet of data.droplets) resources.push(toResource(droplet as unknown as Droplet));
    page = nextPage(data.links?.pages?.next);
    // A broken next link must not loop forever.
    if (page !== undefined && page <= current) page = undefined;
  }
  return resources.filter((r) => Object.entries(tags).every(([k, v]) => r.tags[k] === v));
}

/** SSH key names -> ids, from the account's keys (numbers and fingerprints pass through). */
async function sshKeyIds(api: DoApi, properties: DoProperties, context: PluginContext): Promise<(string | number)[]> {
  const wanted = [...(properties.sshKey !== undefined ? [properties.sshKey] : []), ...(properties.sshKeys ?? [])];
  const names = wanted.filter((k): k is string => typeof k === 'string' && !/^\d+$/.test(k) && !/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(k));
  const byName = new Map<string, number>();
  if (names.length > 0) {
    let page: number | undefined = 1;
    while (page !== undefined) {
      const current: number = page;
      const { data } = await withRetry(context, RETRY, () => api.sshKey.listSshKeys({ page: current, per_page: PER_PAGE }));
      for (const key of data.ssh_keys) byName.set(key.name, key.id);
      page = nextPage(data.links?.pages?.next);
      if (page !== undefined && page <= current) page = undefined;
    }
  }
  return wanted.map((k) => {
    if (typeof k === 'number' || /^\d+$/.test(k)) return Number(k);
    if (!names.includes(k)) return k; // a fingerprint
    const id = byName.get(k);
    if (id === undefined) throw new DoPluginError('DO_ERR_CONFIG', `No SSH key named "${k}" on this DigitalOcean account`);
    return id;
  });
}

/** Droplet names must be hostnames; one derived from group and token helps people find them. */
export function dropletName(token: string, group: string | undefined): string {
  const hash = createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 12);
  const slug = (group ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+/, '').slice(0, 40).replace(/-+$/, '');
  return slug ? `kd-${slug}-${hash}` : `kd-${hash}`;
}

/**
 * DO has no idempotency key, so every attempt first looks for a droplet
 * tagged with this create's kadende.resource tag: a retry after a lost answer
 * (here, or by the host later) finds the droplet the lost attempt made.
 */
export async function createDroplet(api: DoApi, properties: DoProperties, tags: Tags, token: string, context: PluginContext): Promise<Resource> {
  const resourceTags: Tags = { ...tags, [TAG_RESOURCE]: tags[TAG_RESOURCE] ?? token };
  const encoded = encodeAll(resourceTags);
  const size = sizeSlug(properties);
  const sshKeys = await sshKeyIds(api, properties, context);
  const lookup = { [TAG_RESOURCE]: resourceTags[TAG_RESOURCE]! };
  return withRetry(context, RETRY, async () => {
    const [existing] = await listDroplets(api, lookup, context);
    if (existing) return existing;
    const { data } = await api.droplet.createDroplet({
      name: dropletName(token, tags[TAG_GROUP]),
      region: properties.region ?? DEFAULT_REGION,
      size,
      image: imageSlug(properties.image),
      ssh_keys: sshKeys.length > 0 ? sshKeys : undefined,
      tags: [...new Set([...(properties.tags ?? []), ...encoded])],
      user_data: properties.userData,
      vpc_uuid: properties.vpcUuid,
      monitoring: properties.monitoring,
      ipv6: properties.ipv6,
      backups: properties.backups,
    });
    return toResource(data.droplet as unknown as Droplet);
  });
}

export async function deleteDroplet(api: DoApi, id: string, context: PluginContext): Promise<void> {
  try {
    await withRetry(context, RETRY, () => api.droplet.deleteDroplet({ droplet_id: Number(id) }));
  } catch (error) {
    // Already gone is what delete wants.
    if (error instanceof DoPluginError && status(error.cause) === 404) return;
    throw error;
  }
}
