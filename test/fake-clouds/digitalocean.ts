/**
 * A fake DigitalOcean API v2 (JSON, bearer token): droplets (list with
 * tag_name, page/per_page and links.pages.next; create 202; get; delete 204;
 * 404 for what is not there) and account SSH keys, with DO's error bodies
 * `{ id, message }` and its tag rules (letters, digits, ':', '-', '_', at most
 * 255 characters).
 *
 *   const doApi = await startFakeDigitalOcean({ pendingMs: 20 });
 *   createApiClient({ token, endpoint: `${doApi.url}/v2` });
 */
import { listingVisibility, serveCloud, page, Timers, type Answer, type FakeCloudBase, type FakeCloudOptions, type Route } from './common.js';

export type DropletStatus = 'new' | 'active' | 'off' | 'archive';

export interface Droplet {
  id: number;
  name: string;
  memory: number;
  vcpus: number;
  disk: number;
  locked: boolean;
  status: DropletStatus;
  created_at: string;
  features: string[];
  backup_ids: number[];
  snapshot_ids: number[];
  volume_ids: string[];
  image: { id: number; slug: string | null; name: string; distribution: string };
  size_slug: string;
  size: { slug: string; memory: number; vcpus: number; disk: number };
  networks: { v4: { ip_address: string; netmask: string; gateway: string; type: 'public' | 'private' }[]; v6: unknown[] };
  region: { slug: string; name: string; available: boolean };
  tags: string[];
  vpc_uuid?: string;
  /** What the create request asked for (not part of DO's droplet answer). */
  request: Record<string, unknown>;
}

export interface SshKey {
  id: number;
  fingerprint: string;
  public_key: string;
  name: string;
}

export interface FakeDigitalOceanOptions extends FakeCloudOptions {
  /** When set, only this bearer token is accepted; others get 401. */
  token?: string;
  /** The account's SSH keys. Default: one key named "mwas". */
  sshKeys?: SshKey[];
}

export interface FakeDigitalOcean extends FakeCloudBase {
  instances: Map<number, Droplet>;
  sshKeys: SshKey[];
}

/** Size slugs the fake accepts, with their memory (MB) and vCPUs. */
export const SIZES: Record<string, { memory: number; vcpus: number; disk: number }> = {
  's-1vcpu-512mb-10gb': { memory: 512, vcpus: 1, disk: 10 },
  's-1vcpu-1gb': { memory: 1024, vcpus: 1, disk: 25 },
  's-1vcpu-2gb': { memory: 2048, vcpus: 1, disk: 50 },
  's-2vcpu-2gb': { memory: 2048, vcpus: 2, disk: 60 },
  's-2vcpu-4gb': { memory: 4096, vcpus: 2, disk: 80 },
  's-4vcpu-8gb': { memory: 8192, vcpus: 4, disk: 160 },
  's-8vcpu-16gb': { memory: 16384, vcpus: 8, disk: 320 },
  'g-2vcpu-8gb': { memory: 8192, vcpus: 2, disk: 25 },
  'g-4vcpu-16gb': { memory: 16384, vcpus: 4, disk: 50 },
  'g-8vcpu-32gb': { memory: 32768, vcpus: 8, disk: 100 },
  'c-2': { memory: 4096, vcpus: 2, disk: 25 },
  'c-4': { memory: 8192, vcpus: 4, disk: 50 },
  'c-8': { memory: 16384, vcpus: 8, disk: 100 },
  'm-2vcpu-16gb': { memory: 16384, vcpus: 2, disk: 50 },
  'm-4vcpu-32gb': { memory: 32768, vcpus: 4, disk: 100 },
};

const DEFAULT_KEYS: SshKey[] = [
  { id: 512189, fingerprint: '3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa', public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample mwas', name: 'mwas' },
];

const TAG = /^[a-zA-Z0-9_:-]{1,255}$/;
const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,253}[a-zA-Z0-9])?$/;

class DoError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
  ) {
    super(message);
  }
}

const json = (status: number, value: unknown, headers?: Record<string, string>): Answer => ({ status, headers, body: JSON.stringify(value) });
const errorAnswer = (status: number, id: string, message: string, headers?: Record<string, string>) => json(status, { id, message }, headers);

export async function startFakeDigitalOcean(options: FakeDigitalOceanOptions = {}): Promise<FakeDigitalOcean> {
  const pendingMs = options.pendingMs ?? 50;
  const maxPage = options.maxPageSize ?? 200;
  const timers = new Timers();
  const instances = new Map<number, Droplet>();
  const sshKeys = options.sshKeys ?? DEFAULT_KEYS.map((key) => ({ ...key }));
  const visibility = listingVisibility(options);
  let nextId = 3_164_444;
  let origin = '';

  /** DO's page links are absolute URLs carrying every query parameter. */
  function links(path: string, query: URLSearchParams, current: number, perPage: number, total: number) {
    const last = Math.max(1, Math.ceil(total / perPage));
    const at = (n: number) => {
      const q = new URLSearchParams(query);
      q.set('page', String(n));
      q.set('per_page', String(perPage));
      return `${origin}${path}?${q}`;
    };
    const pages: Record<string, string> = {};
    if (current > 1) Object.assign(pages, { first: at(1), prev: at(current - 1) });
    if (current < last) Object.assign(pages, { next: at(current + 1), last: at(last) });
    return { pages };
  }

  function paging(query: URLSearchParams) {
    const pageNumber = Number(query.get('page') ?? '1');
    const perPage = Math.min(Number(query.get('per_page') ?? '20'), maxPage);
    if (!Number.isInteger(pageNumber) || pageNumber < 1 || !Number.isInteger(perPage) || perPage < 1) {
      throw new DoError(400, 'bad_request', 'page and per_page must be positive integers');
    }
    return { pageNumber, perPage };
  }

  function listDroplets(path: string, query: URLSearchParams): Answer {
    const { pageNumber, perPage } = paging(query);
    const tag = query.get('tag_name');
    // The listing lags behind creates (options.listingLagMs); a get by id does not.
    const matching = [...instances.values()].filter((d) => (!tag || d.tags.includes(tag)) && visibility.listed(d));
    const { items } = page(matching, (pageNumber - 1) * perPage, perPage, maxPage);
    return json(200, {
      droplets: items.map(({ request: _request, ...droplet }) => droplet),
      links: links(path, query, pageNumber, perPage, matching.length),
      meta: { total: matching.length },
    });
  }

  function createDroplet(body: string): Answer {
    const spec = JSON.parse(body || '{}') as Record<string, unknown>;
    const name = String(spec.name ?? '');
    if (!HOSTNAME.test(name)) throw new DoError(422, 'unprocessable_entity', `Name is not a valid hostname: ${name}`);
    const sizeSlug = String(spec.size ?? '');
    const size = SIZES[sizeSlug];
    if (!size) throw new DoError(422, 'unprocessable_entity', 'You specified an invalid size for Droplet creation.');
    if (spec.image === undefined || spec.image === '') throw new DoError(422, 'unprocessable_entity', 'You specified an invalid image for Droplet creation.');
    const tags = (spec.tags as string[] | undefined) ?? [];
    for (const tag of tags) {
      if (!TAG.test(tag)) {
        throw new DoError(422, 'unprocessable_entity', `Tag names may only contain letters, numbers, colons, dashes, and underscores; at most 255 characters: ${tag}`);
      }
    }
    for (const key of (spec.ssh_keys as (string | number)[] | undefined) ?? []) {
      if (!sshKeys.some((k) => k.id === Number(key) || k.fingerprint === key)) {
        throw new DoError(422, 'unprocessable_entity', `SSH key ${key} is not a valid key id or fingerprint on this account.`);
      }
    }
    const id = nextId++;
    const regionSlug = String(spec.region ?? 'nyc3');
    const droplet: Droplet = {
      id,
      name,
      memory: size.memory,
      vcpus: size.vcpus,
      disk: size.disk,
      locked: false,
      status: 'new',
      created_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      features: [],
      backup_ids: [],
      snapshot_ids: [],
      volume_ids: [],
      image: { id: 106_569_146, slug: typeof spec.image === 'string' ? spec.image : null, name: String(spec.image), distribution: 'Ubuntu' },
      size_slug: sizeSlug,
      size: { slug: sizeSlug, ...size },
      // DO assigns addresses as the droplet comes up.
      networks: { v4: [], v6: [] },
      region: { slug: regionSlug, name: regionSlug, available: true },
      tags: [...tags],
      vpc_uuid: spec.vpc_uuid as string | undefined,
      request: spec,
    };
    instances.set(id, droplet);
    visibility.created(droplet);
    timers.after(pendingMs, () => {
      if (droplet.status !== 'new') return;
      droplet.status = 'active';
      droplet.networks.v4 = [
        { ip_address: `10.116.0.${id % 250}`, netmask: '255.255.240.0', gateway: '10.116.0.1', type: 'private' },
        { ip_address: `192.0.2.${id % 250}`, netmask: '255.255.240.0', gateway: '192.0.2.1', type: 'public' },
      ];
    });
    const { request: _request, ...answer } = droplet;
    return json(202, { droplet: answer, links: { actions: [{ id: id * 10, rel: 'create', href: `${origin}/v2/actions/${id * 10}` }] } });
  }

  const dropletOr404 = (raw: string): Droplet => {
    const droplet = /^\d+$/.test(raw) ? instances.get(Number(raw)) : undefined;
    if (!droplet) throw new DoError(404, 'not_found', 'The resource you were accessing could not be found.');
    return droplet;
  };

  const base = await serveCloud(
    {
      // DO's 429: Retry-After (seconds) and ratelimit-reset (Unix epoch seconds of the oldest request's expiry).
      throttled: (retryAfterMs = 1000) =>
        errorAnswer(429, 'too_many_requests', 'API Rate limit exceeded.', {
          'ratelimit-limit': '5000',
          'ratelimit-remaining': '0',
          'ratelimit-reset': String(Math.ceil((Date.now() + retryAfterMs) / 1000)),
          'retry-after': String(Math.ceil(retryAfterMs / 1000)),
        }),
      serverError: () => errorAnswer(500, 'server_error', 'Server was unable to give you a response.'),
      authFailed: () => errorAnswer(401, 'Unauthorized', 'Unable to authenticate you'),
      notFound: () => errorAnswer(404, 'not_found', 'The resource you were accessing could not be found.'),
      route: ({ request, url, body }): Route | Answer => {
        if (options.token !== undefined && request.headers.authorization !== `Bearer ${options.token}`) {
          return errorAnswer(401, 'Unauthorized', 'Unable to authenticate you');
        }
        const method = request.method ?? 'GET';
        const params = Object.fromEntries(url.searchParams);
        const route = (action: string, operation: Route['operation'], run: () => Answer): Route => ({
          action,
          operation,
          params,
          handle: () => {
            try {
              return run();
            } catch (error) {
              if (error instanceof DoError) return errorAnswer(error.status, error.id, error.message);
              throw error;
            }
          },
        });
        if (url.pathname === '/v2/droplets' && method === 'GET') return route('droplets.list', 'list', () => listDroplets(url.pathname, url.searchParams));
        if (url.pathname === '/v2/droplets' && method === 'POST') return route('droplets.create', 'create', () => createDroplet(body));
        const one = /^\/v2\/droplets\/([^/]+)$/.exec(url.pathname);
        if (one && method === 'GET') return route('droplets.get', 'get', () => json(200, { droplet: (({ request: _r, ...d }) => d)(dropletOr404(one[1]!)) }));
        if (one && method === 'DELETE') {
          return route('droplets.delete', 'delete', () => {
            instances.delete(dropletOr404(one[1]!).id);
            return { status: 204 };
          });
        }
        if (url.pathname === '/v2/account/keys' && method === 'GET') {
          return route('account.keys', 'key', () => {
            const { pageNumber, perPage } = paging(url.searchParams);
            const { items } = page(sshKeys, (pageNumber - 1) * perPage, perPage, maxPage);
            return json(200, { ssh_keys: items, links: links(url.pathname, url.searchParams, pageNumber, perPage, sshKeys.length), meta: { total: sshKeys.length } });
          });
        }
        return errorAnswer(404, 'not_found', 'The resource you were accessing could not be found.');
      },
    },
    options,
    timers,
  );
  origin = base.url;
  return { ...base, instances, sshKeys };
}
