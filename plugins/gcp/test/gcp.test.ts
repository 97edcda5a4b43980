import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Resource } from '@kadende/plugin-sdk';
import { startFakeGce, type FakeGce } from '../../../test/fake-clouds/gcp.js';
import { contextFor, kadendeTags, rejection } from '../../../test/fake-clouds/context.js';
import { instanceName } from '../src/instances.js';
import plugin from '../src/index.js';

const properties = { key: 'mwas', instanceType: 't2.micro', image: 'amazonlinux', project: 'kadende-test', zone: 'europe-west1-b' };
let gce: FakeGce;
let env: Record<string, string>;
const ctx = (timeoutMs?: number) => contextFor(env, timeoutMs);
const tagsFor = (cluster: string, token: string, group = 'group2/sub-group1') => kadendeTags(cluster, token, group);
const create = (cluster: string, props: Record<string, unknown> = properties, token = randomUUID(), group?: string) =>
  plugin.create({ properties: props, tags: tagsFor(cluster, token, group), token }, ctx());
const actions = (name: string) => gce.requests.filter((r) => r.action === name);
const stored = (id: string) => gce.instances.get(`kadende-test/${id}`)!;

beforeEach(async () => {
  gce = await startFakeGce({ pendingMs: 30, accessToken: 'good-token', maxPageSize: 5 });
  env = { GOOGLE_OAUTH_ACCESS_TOKEN: 'good-token', KADENDE_GCP_ENDPOINT: gce.url };
});
afterEach(() => gce.close());

describe('gcp plugin', () => {
  it('creates a VM from the sample properties and waits for its zone operation', async () => {
    const token = randomUUID();
    const created = await create('c1', properties, token);
    expect(created.id).toBe(`europe-west1-b/${instanceName(token, 'group2/sub-group1')}`);
    expect(created.tags).toEqual(tagsFor('c1', token));
    expect(created.address).toMatch(/^203\.0\.113\./);
    expect(created.createdAt).toBe(new Date(stored(created.id).creationTimestamp).toISOString());
    const vm = stored(created.id);
    expect(vm.machineType).toMatch(/\/zones\/europe-west1-b\/machineTypes\/e2-micro$/);
    expect((vm.disks as { initializeParams: { sourceImage: string } }[])[0]!.initializeParams.sourceImage).toBe(
      'projects/rocky-linux-cloud/global/images/family/rocky-linux-9',
    );
    expect(vm.labels).toMatchObject({ kadende_2ecluster: 'c1', kadende_2egroup: 'group2_2fsub-group1' });
    expect(vm.metadata!.items).toContainEqual({ key: 'kadende-ssh-user', value: 'mwas' });
    // The operation was waited for: insert, then wait until DONE, then get.
    expect(gce.requests.map((r) => r.action).slice(-3)).toEqual(['instances.insert', 'zoneOperations.wait', 'instances.get']);
    expect([...gce.operations.values()][0]!.status).toBe('DONE');
  });

  it('passes network, startup script, ssh key line, extra labels and spot scheduling', async () => {
    const created = await create('c1', {
      ...properties,
      instanceType: 'n2-standard-2',
      image: 'debian',
      key: 'mwas:ssh-ed25519 AAAAC3Nza mwas@laptop',
      subnetwork: 'apps',
      externalIp: false,
      networkTags: ['web'],
      startupScript: 'echo hi',
      labels: { team: 'infra' },
      spot: true,
    });
    const vm = stored(created.id);
    expect(vm.networkInterfaces![0]).toMatchObject({ network: 'global/networks/default', subnetwork: 'regions/europe-west1/subnetworks/apps', accessConfigs: [] });
    expect(vm.metadata!.items).toEqual(
      expect.arrayContaining([
        { key: 'startup-script', value: 'echo hi' },
        { key: 'ssh-keys', value: 'mwas:ssh-ed25519 AAAAC3Nza mwas@laptop' },
      ]),
    );
    expect(vm.labels!.team).toBe('infra');
    expect(vm).toMatchObject({ tags: { items: ['web'] }, scheduling: { provisioningModel: 'SPOT' } });
    // No external IP: the private address.
    expect(created.address).toMatch(/^10\.128\./);
  });

  it('gives back the original tags even when they do not fit in labels', async () => {
    const group = `Team-A/${'very-long-sub-group/'.repeat(5)}Web_Servers`;
    const token = randomUUID();
    await create('c1', properties, token, group);
    const { resources } = await plugin.describe({ tags: { 'kadende.group': group, 'kadende.cluster': 'c1' }, properties }, ctx());
    expect(resources).toHaveLength(1);
    expect(resources[0]!.tags).toEqual(tagsFor('c1', token, group));
    expect((await plugin.describe({ tags: { 'kadende.group': group.toLowerCase() }, properties }, ctx())).resources).toEqual([]);
  });

  it('describe follows every page', async () => {
    for (let i = 0; i < 12; i++) await create('paged');
    await create('other');
    const before = actions('instances.list').length;
    const { resources } = await plugin.describe({ tags: { 'kadende.cluster': 'paged' }, properties }, ctx());
    expect(resources).toHaveLength(12);
    const pages = actions('instances.list').slice(before);
    expect(pages).toHaveLength(3);
    expect(pages.slice(1).every((r) => r.params.pageToken)).toBe(true);
    expect(pages[0]!.params.filter).toBe('(labels.kadende_2ecluster = "paged")');
  });

  it('maps GCE statuses onto Kadende statuses', async () => {
    // No status changes of the fake's own while the test sets them.
    await gce.close();
    gce = await startFakeGce({ pendingMs: 60_000, operationMs: 5, accessToken: 'good-token' });
    env.KADENDE_GCP_ENDPOINT = gce.url;
    const statuses = ['PROVISIONING', 'STAGING', 'RUNNING', 'STOPPING', 'STOPPED', 'TERMINATED', 'SUSPENDING', 'SUSPENDED', 'REPAIRING'] as const;
    const made: Resource[] = [];
    for (let i = 0; i < statuses.length; i++) made.push(await create('states'));
    made.forEach((r, i) => (stored(r.id).status = statuses[i]!));
    const { resources } = await plugin.describe({ tags: { 'kadende.cluster': 'states' }, properties }, ctx());
    const byId = Object.fromEntries(resources.map((r) => [r.id, r.status]));
    // A stopping or stopped VM still exists: unhealthy (counted by maxUnhealthy), never gone.
    expect(made.map((r) => byId[r.id])).toEqual(['pending', 'pending', 'active', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy']);
  });

  it('reports a VM as terminating only while a delete operation on it runs', async () => {
    await gce.close();
    gce = await startFakeGce({ pendingMs: 5, operationMs: 5, accessToken: 'good-token' });
    env.KADENDE_GCP_ENDPOINT = gce.url;
    const [deleted, stopped] = [await create('deleting'), await create('deleting')];
    await gce.close();
    // A slow delete: the VM shows STOPPING (as GCE shows it) until the operation is DONE.
    const kept = gce.instances;
    gce = await startFakeGce({ pendingMs: 5, operationMs: 60_000, accessToken: 'good-token' });
    for (const [key, vm] of kept) gce.instances.set(key, vm);
    env.KADENDE_GCP_ENDPOINT = gce.url;
    const name = deleted.id.split('/')[1];
    const answer = await fetch(`${gce.url}/compute/v1/projects/kadende-test/zones/europe-west1-b/instances/${name}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer good-token' },
    });
    expect(answer.status).toBe(200);
    stored(stopped.id).status = 'STOPPING';
    const { resources } = await plugin.describe({ tags: { 'kadende.cluster': 'deleting' }, properties }, ctx());
    const byId = Object.fromEntries(resources.map((r) => [r.id, r.status]));
    expect(byId).toEqual({ [deleted.id]: 'terminating', [stopped.id]: 'unhealthy' });
  });

  it('retries rate limiting (429) and 5xx answers, then succeeds', async () => {
    gce.faults.add('throttle', { count: 2, operation: 'create' }).add('serverError', { count: 2, operation: 'list' });
    const created = await create('retry');
    expect(actions('instances.insert').map((r) => r.status)).toEqual([429, 429, 200]);
    expect(actions('instances.list').map((r) => r.status)).toEqual([503, 503, 200]);
    // One VM, the one created, carrying its tags.
    expect([...gce.instances.keys()]).toEqual([`kadende-test/${created.id}`]);
    expect(stored(created.id).labels).toMatchObject({ kadende_2ecluster: 'retry' });
  });

  it('gives up on endless throttling before the deadline, with GCE message and a stable code', async () => {
    gce.faults.add('throttle', { count: 1000, operation: 'list' });
    const started = Date.now();
    const error = await rejection(plugin.describe({ tags: { 'kadende.cluster': 'x' }, properties }, ctx(1500)));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).toMatchObject({ code: 'PLUGIN_ERR_THROTTLED', providerCode: 'rateLimitExceeded', message: 'Rate Limit Exceeded' });
  });

  it('reports an authentication failure at once, with GCE message', async () => {
    env.GOOGLE_OAUTH_ACCESS_TOKEN = 'expired-token';
    const error = await rejection(create('auth'));
    expect(error.code).toBe('GCP_ERR_AUTH');
    expect(error.message).toContain('Request had invalid authentication credentials');
    expect(gce.requests).toHaveLength(1);
  });

  it('reports missing credentials or project without calling GCE', async () => {
    const noCredentials = await rejection(plugin.describe({ tags: {}, properties }, contextFor({})));
    expect(noCredentials.code).toBe('GCP_ERR_AUTH');
    const noProject = await rejection(plugin.describe({ tags: {}, properties: { ...properties, project: undefined } }, ctx()));
    expect(noProject.code).toBe('GCP_ERR_CONFIG');
    expect(gce.requests).toHaveLength(0);
  });

  it('reports a request GCE refuses at once as a validation error', async () => {
    const error = await rejection(create('bad', { ...properties, labels: { team: 'Not Valid' } }));
    expect(error.code).toBe('GCP_ERR_VALIDATION');
    expect(error.message).toContain("Invalid value for field 'resource.labels'");
    expect(actions('instances.insert')).toHaveLength(1);
  });

  it('a create whose answer is lost is retried with the same requestId and makes one VM', async () => {
    gce.faults.add('loseAnswer');
    const token = randomUUID();
    const created = await create('lost', properties, token);
    const inserts = actions('instances.insert');
    expect(inserts.map((r) => r.status)).toEqual([0, 200]);
    expect(inserts[1]!.params.requestId).toBe(inserts[0]!.params.requestId);
    expect(gce.instances.size).toBe(1);
    // The host retrying the create later finds it by its kadende.resource label, without inserting.
    expect((await create('lost', properties, token)).id).toBe(created.id);
    expect(actions('instances.insert')).toHaveLength(2);
    expect(gce.instances.size).toBe(1);
  });

  it('a VM with the token name but another owner is a conflict, not a success', async () => {
    const token = randomUUID();
    await create('mine', properties, token);
    const vm = [...gce.instances.values()][0]!;
    vm.labels = {};
    vm.metadata = { items: [{ key: 'kadende-tags', value: JSON.stringify({ 'kadende.resource': 'someone-else' }) }] };
    const error = await rejection(create('mine', properties, token));
    expect(error.code).toBe('GCP_ERR_CONFLICT');
  });

  it('delete waits for the VM to be gone; a VM already gone is success', async () => {
    const created = await create('del');
    await plugin.delete({ id: created.id, properties: { ...properties, zone: 'us-east1-b' } }, ctx());
    expect(gce.instances.size).toBe(0);
    await plugin.delete({ id: created.id, properties }, ctx());
    expect(actions('instances.delete').map((r) => r.status)).toEqual([200, 404]);
  });
});
