/**
 * Droplets <-> Kadende resources: state mapping, tag look-ups with page
 * following, SSH key names, and create/delete with retries inside the deadline.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, TAG_CLUSTER, TAG_GROUP, TAG_RESOURCE, withRetry, type PluginContext, type Resource, type ResourceStatus, type Tags } from '@kadende/plugin-sdk';
import type { DoApi } from './client.js';
import { ambiguous, DoPluginError, retryable, retryAfterMs, RETRY, status, translate } from './errors.js';
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

/**
 * Droplet status -> Kadende status. DO's droplet `status` is one of new, active, off,
 * archive (API reference, Droplets). `off` still exists and does no work: unhealthy, so it
 * counts against maxUnhealthy and is replaced; `archive` is a destroyed droplet.
 */
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
 * one Kadende gives goes to the API, the rest are matched here. The resource
 * tag names one droplet; then the cluster tag, which is unique to one cluster,
 * where a group path (`web`) is shared by every cluster that has such a group.
 */
export async function listDroplets(api: DoApi, tags: Tags, context: PluginContext): Promise<Resource[]> {
  encodeAll(tags);
  const key = [TAG_RESOURCE, TAG_CLUSTER, TAG_GROUP].find((k) => tags[k] !== undefined) ?? Object.keys(tags)[0];
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

/** The account's SSH keys by name, listed once per worker per minute: creates come in batches. */
const KEY_CACHE_MS = 60_000;
const keyListings = new Map<string, { expires: number; byName: Promise<Map<string, number>> }>();

function accountKeys(api: DoApi, context: PluginContext): Promise<Map<string, number>> {
  const cacheKey = JSON.stringify([context.env.KADENDE_DIGITALOCEAN_ENDPOINT, context.env.DIGITALOCEAN_TOKEN]);
  const cached = keyListings.get(cacheKey);
  if (cached && cached.expires > Date.now()) return cached.byName;
  const byName = (async () => {
    const names = new Map<string, number>();
    let page: number | undefined = 1;
    while (page !== undefined) {
      const current: number = page;
      const { data } = await withRetry(context, RETRY, () => api.sshKey.listSshKeys({ page: current, per_page: PER_PAGE }));
      for (const key of data.ssh_keys) names.set(key.name, key.id);
      page = nextPage(data.links?.pages?.next);
      if (page !== undefined && page <= current) page = undefined;
    }
    return names;
  })();
  keyListings.set(cacheKey, { expires: Date.now() + KEY_CACHE_MS, byName });
  byName.catch(() => keyListings.delete(cacheKey));
  return byName;
}

/** SSH key names -> ids, from the account's keys (numbers and fingerprints pass through). */
async function sshKeyIds(api: DoApi, properties: DoProperties, context: PluginContext): Promise<(string | number)[]> {
  const wanted = [...(properties.sshKey !== undefined ? [properties.sshKey] : []), ...(properties.sshKeys ?? [])];
  const names = wanted.filter((k): k is string => typeof k === 'string' && !/^\d+$/.test(k) && !/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(k));
  let byName = new Map<string, number>();
  if (names.length > 0) {
    byName = await accountKeys(api, context);
    // A key added since the listing: look again once.
    if (names.some((n) => !byName.has(n))) {
      keyListings.clear();
      byName = await accountKeys(api, context);
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
 * How long after a create DO's tag listing may still leave the droplet out; the manifest's
 * listingGraceMs says the same. DO documents no bound: 15 s is well above the 3-6 s seen.
 */
export const LISTING_GRACE_MS = 15_000;
const POLL_MS = 1_000;
const MARGIN_MS = 500;

/** Time as createDroplet sees it; tests pass a virtual one. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}
export const realClock: Clock = { now: () => Date.now(), sleep: (ms, signal) => sleep(ms, undefined, { signal }) };

export interface CreateOptions {
  /** A client whose requests time out after the given ms (the POST's must leave room for the grace). */
  apiWithTimeout?: (timeoutMs: number) => DoApi;
  clock?: Clock;
  graceMs?: number;
}

/**
 * DO has no idempotency key, so a create first looks for a droplet tagged with
 * its kadende.resource tag. That look-up lags behind DO's creates, so a POST
 * whose answer is lost (a dropped connection, a timeout, a 5xx: the droplet may
 * exist) is never followed by another POST until the listing grace has passed
 * since it without the droplet appearing. The POST gets its own timeout, short
 * enough to leave the grace before the call's deadline, so the call ends with
 * the droplet or an error only once no earlier POST of this token can still
 * appear: a later retry's look-up (here or by the host) is then reliable.
 */
export async function createDroplet(api: DoApi, properties: DoProperties, tags: Tags, token: string, context: PluginContext, options: CreateOptions = {}): Promise<Resource> {
  const clock = options.clock ?? realClock;
  const graceMs = options.graceMs ?? LISTING_GRACE_MS;
  const resourceTags: Tags = { ...tags, [TAG_RESOURCE]: tags[TAG_RESOURCE] ?? token };
  const encoded = encodeAll(resourceTags);
  const size = sizeSlug(properties);
  const sshKeys = await sshKeyIds(api, properties, context);
  const find = async () => (await listDroplets(api, { [TAG_RESOURCE]: resourceTags[TAG_RESOURCE]! }, context))[0];
  const existing = await find();
  if (existing) return existing;
  for (let attempt = 0; ; attempt++) {
    const room = context.deadline - clock.now() - graceMs - MARGIN_MS;
    if (room <= 0) throw new DoPluginError('DO_ERR_TIMEOUT', `Not enough time left in this call to create a droplet and wait out DigitalOcean's listing (${graceMs} ms) should its answer be lost`);
    try {
      const post = options.apiWithTimeout?.(room) ?? api;
      const { data } = await post.droplet.createDroplet({
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
    } catch (error) {
      if (!ambiguous(error)) {
        // Refused for sure (a 429, a 4xx): nothing was made. Wait as DO asks, within the deadline.
        const delay = retryAfterMs(error, clock.now()) ?? backoffDelay(attempt, 100, 5_000);
        if (!retryable(error) || context.signal.aborted || clock.now() + delay + graceMs + MARGIN_MS >= context.deadline) throw translate(error, context.signal);
        await clock.sleep(delay, context.signal);
        continue;
      }
      // The droplet may exist: look for it until the listing grace has passed since the POST.
      const postedAt = clock.now();
      while (clock.now() - postedAt < graceMs) {
        await clock.sleep(Math.min(POLL_MS, graceMs - (clock.now() - postedAt)), context.signal);
        const made = await find();
        if (made) return made;
      }
    }
  }
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
