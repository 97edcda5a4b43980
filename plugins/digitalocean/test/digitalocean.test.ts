import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Resource } from '@kadende/plugin-sdk';
import { startFakeDigitalOcean, type FakeDigitalOcean } from '../../../test/fake-clouds/digitalocean.js';
import { contextFor, kadendeTags, rejection } from '../../../test/fake-clouds/context.js';
import { decodeTag, decodeTags, encodeTag } from '../src/tags.js';
import { sizeSlug, type DoProperties } from '../src/properties.js';
import { apiFor } from '../src/client.js';
import { createDroplet, LISTING_GRACE_MS, type Clock } from '../src/droplets.js';
import plugin from '../src/index.js';

// axios honours HTTP(S)_PROXY even for 127.0.0.1.
process.env.NO_PROXY = '127.0.0.1,localhost';
process.env.no_proxy = '127.0.0.1,localhost';

const properties = { instanceType: 'standard', memory: 1, sshKey: 'mwas' };
let api: FakeDigitalOcean;
let env: Record<string, string>;
// A create needs room for DO's listing grace (15 s) within its deadline, as the manifest's 60 s allows.
const ctx = (timeoutMs = 30_000) => contextFor(env, timeoutMs);
const tagsFor = (cluster: string, token: string, group = 'group2/sub-group2') => kadendeTags(cluster, token, group);
const create = (cluster: string, props: Record<string, unknown> = properties, token = randomUUID(), group?: string) =>
  plugin.create({ properties: props, tags: tagsFor(cluster, token, group), token }, ctx());
const actions = (name: string) => api.requests.filter((r) => r.action === name);

beforeEach(async () => {
  api = await startFakeDigitalOcean({ pendingMs: 30, token: 'good-token', maxPageSize: 5 });
  env = { DIGITALOCEAN_TOKEN: 'good-token', KADENDE_DIGITALOCEAN_ENDPOINT: `${api.url}/v2` };
});
afterEach(() => api.close());

describe('digitalocean tag encoding', () => {
  it('is valid for DO, lowercase, and reversible', () => {
    const tag = encodeTag('kadende.group', 'group2/Sub_Group:1')!;
    expect(tag).toBe('kadende_2egroup:group2_2f_53ub_5f_47roup_3a1');
    expect(tag).toMatch(/^[a-z0-9_:-]{1,255}$/);
    expect(decodeTag(tag)).toEqual(['kadende.group', 'group2/Sub_Group:1']);
    expect(encodeTag('k', 'A')).not.toBe(encodeTag('k', 'a'));
    expect(encodeTag('k', 'x'.repeat(300))).toBeUndefined();
    expect(decodeTags(['web', 'env:prod', 'kadende_2ecluster:c1', 'bad:_zz'])).toEqual({ env: 'prod', 'kadende.cluster': 'c1' });
  });

  it('maps instanceType + memory to size slugs', () => {
    expect(sizeSlug({ instanceType: 'standard', memory: 1 })).toBe('s-1vcpu-1gb');
    expect(sizeSlug({ instanceType: 'cpu', memory: 8 })).toBe('c-4');
    expect(sizeSlug({ size: 's-2vcpu-2gb', memory: 1 })).toBe('s-2vcpu-2gb');
    expect(sizeSlug({})).toBe('s-1vcpu-1gb');
    expect(sizeSlug({ instanceType: 'general' })).toBe('g-2vcpu-8gb');
    expect(() => sizeSlug({ instanceType: 'standard', memory: 3 })).toThrow(/0.5, 1, 2, 4, 8, 16/);
  });
});

describe('digitalocean plugin', () => {
  it('creates a droplet from the sample properties: size slug, key id by name, encoded tags', async () => {
    const token = randomUUID();
    const created = await create('c1', properties, token);
    expect(created.status).toBe('pending');
    expect(created.tags).toEqual(tagsFor('c1', token));
    const droplet = api.instances.get(Number(created.id))!;
    expect(droplet.created_at).toBe(created.createdAt!.replace(/\.\d{3}Z$/, 'Z'));
    expect(droplet.request).toMatchObject({ size: 's-1vcpu-1gb', ssh_keys: [512189], region: 'nyc3', image: 'ubuntu-24-04-x64' });
    expect(droplet.tags).toContain('kadende_2egroup:group2_2fsub-group2');
    expect(droplet.name).toMatch(/^kd-group2-sub-group2-[0-9a-f]{12}$/);
  });

  it('passes image, region, user data, VPC and extra tags; an unknown key name fails before creating', async () => {
    const created = await create('c1', { size: 's-2vcpu-4gb', image: 'debian', region: 'ams3', userData: '#cloud-config', tags: ['web'], vpcUuid: '5a4981aa-9653-4bd1-bef5-d6bff52042e4' });
    expect(api.instances.get(Number(created.id))!.request).toMatchObject({
      size: 's-2vcpu-4gb',
      image: 'debian-12-x64',
      region: 'ams3',
      user_data: '#cloud-config',
      vpc_uuid: '5a4981aa-9653-4bd1-bef5-d6bff52042e4',
    });
    expect(api.instances.get(Number(created.id))!.tags).toContain('web');
    const error = await rejection(create('c1', { ...properties, sshKey: 'nobody' }));
    expect(error.code).toBe('DO_ERR_CONFIG');
    expect(actions('droplets.create')).toHaveLength(1);
  });

  it('describe follows links.pages.next and matches all tags', async () => {
    for (let i = 0; i < 12; i++) await create('paged');
    await create('other');
    const before = actions('droplets.list').length;
    const { resources } = await plugin.describe({ tags: { 'kadende.cluster': 'paged' }, properties }, ctx());
    expect(resources).toHaveLength(12);
    const pages = actions('droplets.list').slice(before);
    expect(pages.map((r) => r.params.page)).toEqual(['1', '2', '3']);
    expect(pages[0]!.params.tag_name).toBe('kadende_2ecluster:paged');
    // Filtered by the cluster tag on the API (unique to a cluster), by the group here.
    const { resources: none } = await plugin.describe({ tags: { 'kadende.cluster': 'nope', 'kadende.group': 'group2/sub-group2' }, properties }, ctx());
    expect(none).toEqual([]);
  });

  it('maps droplet statuses, and gives the public address once there is one', async () => {
    const made: Resource[] = [];
    for (let i = 0; i < 4; i++) made.push(await create('states'));
    await new Promise((r) => setTimeout(r, 60));
    (['new', 'active', 'off', 'archive'] as const).forEach((s, i) => (api.instances.get(Number(made[i]!.id))!.status = s));
    const { resources } = await plugin.describe({ tags: { 'kadende.cluster': 'states' }, properties }, ctx());
    const byId = Object.fromEntries(resources.map((r) => [r.id, r]));
    expect(made.map((r) => byId[r.id]!.status)).toEqual(['pending', 'active', 'unhealthy', 'terminated']);
    expect(byId[made[1]!.id]!.address).toMatch(/^192\.0\.2\./);
  });

  it('retries 429 and 5xx answers, then succeeds', async () => {
    api.faults.add('throttle', { count: 2, operation: 'create' }).add('serverError', { count: 2, operation: 'list' });
    await create('retry');
    expect(actions('droplets.create').map((r) => r.status)).toEqual([429, 429, 202]);
    expect(actions('droplets.list').map((r) => r.status).slice(0, 3)).toEqual([500, 500, 200]);
    expect(api.instances.size).toBe(1);
  });

  it('gives up on endless throttling before the deadline, with DO message and a stable code', async () => {
    api.faults.add('throttle', { count: 1000, operation: 'list' });
    const started = Date.now();
    const error = await rejection(plugin.describe({ tags: { 'kadende.cluster': 'x' }, properties }, ctx(1500)));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).toMatchObject({ code: 'PLUGIN_ERR_THROTTLED', providerCode: 'too_many_requests', message: 'API Rate limit exceeded.' });
  });

  it('reports an authentication failure at once, with DO message', async () => {
    env.DIGITALOCEAN_TOKEN = 'revoked';
    const error = await rejection(plugin.describe({ tags: { 'kadende.cluster': 'x' }, properties }, ctx()));
    expect(error).toMatchObject({ code: 'DO_ERR_AUTH', message: 'Unable to authenticate you' });
    expect(api.requests).toHaveLength(1);
    const noToken = await rejection(plugin.describe({ tags: {}, properties }, contextFor({ KADENDE_DIGITALOCEAN_ENDPOINT: `${api.url}/v2` })));
    expect(noToken.code).toBe('DO_ERR_AUTH');
    expect(api.requests).toHaveLength(1);
  });

  it('reports a request DO refuses at once as a validation error', async () => {
    const error = await rejection(create('bad', { size: 's-99vcpu-1tb' }));
    expect(error).toMatchObject({ code: 'DO_ERR_VALIDATION', providerCode: 'unprocessable_entity' });
    expect(error.message).toContain('invalid size');
    expect(actions('droplets.create')).toHaveLength(1);
  });

  it('a create whose answer is lost is found by its tag on retry: one droplet', async () => {
    api.faults.add('loseAnswer');
    const token = randomUUID();
    const created = await create('lost', properties, token);
    expect(actions('droplets.create').map((r) => r.status)).toEqual([0]);
    expect(api.instances.size).toBe(1);
    expect(api.instances.has(Number(created.id))).toBe(true);
    // The host retrying later gets the same droplet, without creating.
    expect((await create('lost', properties, token)).id).toBe(created.id);
    expect(actions('droplets.create')).toHaveLength(1);
  });

  it('delete destroys, and a droplet already gone is success', async () => {
    const created = await create('del');
    await plugin.delete({ id: created.id, properties }, ctx());
    expect(api.instances.size).toBe(0);
    await plugin.delete({ id: created.id, properties }, ctx());
    expect(actions('droplets.delete').map((r) => r.status)).toEqual([204, 404]);
  });

  it('a retried create never makes a second droplet while the tag listing lags 3-6 s behind lost answers', async () => {
    // Virtual time shared by the plugin's waits and the fake's listing lag.
    let t = Date.now();
    const clock: Clock = { now: () => t, sleep: async (ms) => void (t += ms, await new Promise((r) => setImmediate(r))) };
    await api.close();
    api = await startFakeDigitalOcean({ pendingMs: 30, token: 'good-token', now: () => t, listingLagMs: () => 3_000 + Math.random() * 3_000 });
    env.KADENDE_DIGITALOCEAN_ENDPOINT = `${api.url}/v2`;
    api.faults.add('loseAnswer', { count: 6 });
    const context = { ...ctx(60_000), deadline: t + 60_000 };
    const tokens = Array.from({ length: 8 }, () => randomUUID());
    const made = await Promise.all(
      tokens.map((token) => createDroplet(apiFor(context), properties as DoProperties, tagsFor('lag', token), token, context, { clock, apiWithTimeout: (ms) => apiFor(context, ms) })),
    );
    expect(LISTING_GRACE_MS).toBeGreaterThanOrEqual(6_000);
    expect(actions('droplets.create').filter((r) => r.status === 0)).toHaveLength(6);
    // One droplet per token, and each create answered the one its token made.
    const byToken = tokens.map((token) => [...api.instances.values()].filter((d) => decodeTags(d.tags)['kadende.resource'] === token));
    expect(byToken.map((droplets) => droplets.length)).toEqual(tokens.map(() => 1));
    expect(made.map((r) => r.id)).toEqual(byToken.map((droplets) => String(droplets[0]!.id)));
  });

  it('honours Retry-After: no creates sent into a throttled window, and the failure code is the SDK throttle code', async () => {
    api.faults.throttleFor(1_500, { operation: 'create' });
    await create('window');
    const creates = actions('droplets.create');
    expect(creates.filter((r) => r.status === 429)).toHaveLength(1);
    expect(creates.at(-1)!.status).toBe(202);
    // A hint past the deadline ends the call at once, as throttled.
    api.faults.throttleFor(30_000, { operation: 'create' });
    const error = await rejection(create('window'));
    expect(error.code).toBe('PLUGIN_ERR_THROTTLED');
    expect(actions('droplets.create').filter((r) => r.status === 429)).toHaveLength(2);
  });

  it('lists the account SSH keys once for a batch of creates', async () => {
    await Promise.all(Array.from({ length: 5 }, () => create('keys')));
    expect(actions('account.keys')).toHaveLength(1);
    expect(api.instances.size).toBe(5);
  });

  it('describe of a group asks DO for the cluster tag, not the group name other clusters share', async () => {
    for (let i = 0; i < 3; i++) await create('other-cluster');
    await create('mine');
    const before = actions('droplets.list').length;
    const { resources } = await plugin.describe({ tags: { 'kadende.cluster': 'mine', 'kadende.group': 'group2/sub-group2' }, properties }, ctx());
    expect(resources).toHaveLength(1);
    expect(actions('droplets.list').slice(before).map((r) => r.params.tag_name)).toEqual(['kadende_2ecluster:mine']);
  });
});
