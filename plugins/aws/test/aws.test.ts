import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Resource } from '@kadende/plugin-sdk';
import { startFakeEc2, type FakeEc2 } from '../../../test/fake-clouds/aws.js';
import { contextFor, kadendeTags, rejection } from '../../../test/fake-clouds/context.js';
import plugin from '../src/index.js';

const properties = { key: 'mwas', instanceType: 't2.small', image: 'debian' };
let ec2: FakeEc2;
let env: Record<string, string>;
const ctx = (timeoutMs?: number) => contextFor(env, timeoutMs);
const tagsFor = (cluster: string, token: string, group = 'group2/sub-group1') => kadendeTags(cluster, token, group);
const create = (cluster: string, props: Record<string, unknown> = properties, token = randomUUID()) =>
  plugin.create({ properties: props, tags: tagsFor(cluster, token), token }, ctx());
const actions = (name: string) => ec2.requests.filter((r) => r.action === name);

beforeEach(async () => {
  ec2 = await startFakeEc2({ pendingMs: 30, accessKeyId: 'AKIDTEST', maxPageSize: 5 });
  env = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'us-east-1', KADENDE_AWS_ENDPOINT: ec2.url };
});
afterEach(() => ec2.close());

describe('aws plugin', () => {
  it('creates an instance from the sample properties: newest official Debian AMI, key pair, ClientToken, tags', async () => {
    const token = randomUUID();
    const created = await create('c1', properties, token);
    expect(created.status).toBe('pending');
    expect(created.address).toMatch(/^198\.51\./);
    expect(created.createdAt).toBe(ec2.instances.get(created.id)!.launchTime);
    const instance = ec2.instances.get(created.id)!;
    // Newest of owner 136693071363, never the newer look-alike from another account.
    expect(instance.imageId).toBe('ami-0d1e0000000000002');
    expect(instance).toMatchObject({ keyName: 'mwas', instanceType: 't2.small', clientToken: token });
    expect(instance.tags).toMatchObject(tagsFor('c1', token));
    expect(actions('DescribeImages')[0]!.params).toMatchObject({ 'Owner.1': '136693071363', 'Filter.1.Value.1': 'debian-12-amd64-*' });
  });

  it('resolves amazonlinux and arm64 names, passes an AMI id through, and caches image look-ups', async () => {
    await create('c1', { instanceType: 't4g.small', image: 'debian', architecture: 'arm64' });
    await create('c1', { instanceType: 't2.micro', image: 'amazonlinux' });
    await create('c1', { instanceType: 't2.micro', image: 'amazonlinux' });
    await create('c1', { instanceType: 't2.micro', image: 'ami-0b0b000000000000b' });
    expect([...ec2.instances.values()].map((i) => i.imageId)).toEqual([
      'ami-0d1e0000000000003',
      'ami-0a12023000000000a',
      'ami-0a12023000000000a',
      'ami-0b0b000000000000b',
    ]);
    expect(actions('DescribeImages')).toHaveLength(2);
  });

  it('passes the network knobs, base64 user data and extra tags (Kadende tags win)', async () => {
    const created = await create('c1', {
      ...properties,
      image: 'ubuntu',
      subnetId: 'subnet-0abc',
      securityGroupIds: ['sg-01', 'sg-02'],
      availabilityZone: 'us-east-1c',
      userData: '#!/bin/sh\necho hi\n',
      tags: { team: 'infra', Name: 'web' },
    });
    const instance = ec2.instances.get(created.id)!;
    expect(instance).toMatchObject({ subnetId: 'subnet-0abc', securityGroupIds: ['sg-01', 'sg-02'], availabilityZone: 'us-east-1c' });
    expect(Buffer.from(instance.userData!, 'base64').toString()).toBe('#!/bin/sh\necho hi\n');
    expect(instance.tags).toMatchObject({ team: 'infra', Name: 'web', 'kadende.cluster': 'c1' });
  });

  it('describe follows every page and matches all tags literally', async () => {
    for (let i = 0; i < 12; i++) await create('paged');
    await create('other');
    const { resources } = await plugin.describe({ tags: { 'kadende.cluster': 'paged' }, properties }, ctx());
    expect(resources).toHaveLength(12);
    const pages = actions('DescribeInstances');
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.slice(1).every((r) => r.params.NextToken)).toBe(true);
    // A value holding EC2 wildcards must not match everything.
    const star = await plugin.describe({ tags: { 'kadende.cluster': 'pag*' }, properties }, ctx());
    expect(star.resources).toEqual([]);
  });

  it('maps EC2 states onto Kadende statuses, and leaves terminated instances out', async () => {
    // No state changes of the fake's own while the test sets them.
    await ec2.close();
    ec2 = await startFakeEc2({ pendingMs: 60_000, accessKeyId: 'AKIDTEST' });
    env.KADENDE_AWS_ENDPOINT = ec2.url;
    const made: Resource[] = [];
    for (let i = 0; i < 6; i++) made.push(await create('states'));
    const states = ['pending', 'running', 'shutting-down', 'stopping', 'stopped', 'terminated'] as const;
    made.forEach((r, i) => (ec2.instances.get(r.id)!.state = states[i]!));
    ec2.instances.get(made[1]!.id)!.publicIpAddress = undefined;
    const { resources } = await plugin.describe({ tags: { 'kadende.cluster': 'states' }, properties }, ctx());
    const status = Object.fromEntries(resources.map((r) => [r.id, r.status]));
    expect(status).toEqual({
      [made[0]!.id]: 'pending',
      [made[1]!.id]: 'active',
      [made[2]!.id]: 'terminating',
      [made[3]!.id]: 'unhealthy',
      [made[4]!.id]: 'unhealthy',
    });
    // No public address: the private one.
    expect(resources.find((r) => r.id === made[1]!.id)!.address).toMatch(/^10\.0\./);
  });

  it('retries throttling and 5xx answers, then succeeds', async () => {
    ec2.faults.add('throttle', { count: 2, operation: 'create' }).add('serverError', { count: 2, operation: 'list' });
    const created = await create('retry');
    expect(actions('RunInstances').map((r) => r.status)).toEqual([503, 503, 200]);
    const { resources } = await plugin.describe({ tags: { 'kadende.cluster': 'retry' }, properties }, ctx());
    expect(resources.map((r) => r.id)).toEqual([created.id]);
    expect(actions('DescribeInstances').map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('gives up on endless throttling before the deadline, with EC2 message and a stable code', async () => {
    ec2.faults.add('throttle', { count: 1000, operation: 'list' });
    const started = Date.now();
    const error = await rejection(plugin.describe({ tags: { 'kadende.cluster': 'x' }, properties }, ctx(1500)));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error.code).toBe('PLUGIN_ERR_THROTTLED');
    expect(error.message).toContain('Request limit exceeded');
    expect(actions('DescribeInstances').length).toBeGreaterThan(2);
  });

  it('reports an authentication failure at once, with EC2 message', async () => {
    env.AWS_ACCESS_KEY_ID = 'AKIDWRONG';
    const error = await rejection(create('auth'));
    expect(error.code).toBe('AWS_ERR_AUTH');
    expect(error.message).toContain('AWS was not able to validate the provided access credentials');
    expect(ec2.requests).toHaveLength(1);
  });

  it('reports missing credentials and region without calling EC2', async () => {
    const noKeys = await rejection(plugin.describe({ tags: {}, properties }, contextFor({ AWS_REGION: 'us-east-1', KADENDE_AWS_ENDPOINT: ec2.url })));
    expect(noKeys.code).toBe('AWS_ERR_AUTH');
    delete (env as Record<string, string | undefined>).AWS_REGION;
    expect((await rejection(plugin.describe({ tags: {}, properties }, ctx()))).code).toBe('AWS_ERR_CONFIG');
    expect(ec2.requests).toHaveLength(0);
  });

  it('reports a request EC2 refuses at once as a validation error', async () => {
    const error = await rejection(create('bad', { instanceType: 't2.small', image: 'ami-0000000000000dead' }));
    expect(error.code).toBe('AWS_ERR_VALIDATION');
    expect(error.providerCode).toBe('InvalidAMIID.NotFound');
    expect(actions('RunInstances')).toHaveLength(1);
  });

  it('a create whose answer is lost is retried with the same token and makes one instance', async () => {
    ec2.faults.add('loseAnswer');
    const token = randomUUID();
    const created = await create('lost', properties, token);
    const runs = actions('RunInstances');
    expect(runs.map((r) => r.status)).toEqual([0, 200]);
    expect(runs.every((r) => r.params.ClientToken === token)).toBe(true);
    expect(ec2.instances.size).toBe(1);
    expect(ec2.instances.has(created.id)).toBe(true);
    // And the host retrying the whole create later still gets the same instance.
    expect((await create('lost', properties, token)).id).toBe(created.id);
    expect(ec2.instances.size).toBe(1);
  });

  it('a repeated token with changed parameters answers the instance the token made', async () => {
    const token = randomUUID();
    const first = await create('mismatch', properties, token);
    const again = await create('mismatch', { ...properties, instanceType: 't2.medium' }, token);
    expect(again.id).toBe(first.id);
    expect(actions('RunInstances').map((r) => r.status)).toEqual([200, 400]);
    expect(ec2.instances.size).toBe(1);
  });

  it('delete terminates, and an instance already gone is success', async () => {
    const created = await create('del');
    await plugin.delete({ id: created.id, properties }, ctx());
    expect(['shutting-down', 'terminated']).toContain(ec2.instances.get(created.id)!.state);
    await plugin.delete({ id: 'i-00000000000000000', properties }, ctx());
    expect(actions('TerminateInstances').map((r) => r.status)).toEqual([200, 400]);
  });

  it('creates throttled by the cloud concurrency limit all succeed through backoff', async () => {
    await ec2.close();
    ec2 = await startFakeEc2({ pendingMs: 10, createDurationMs: 40, maxConcurrentCreates: 2 });
    env.KADENDE_AWS_ENDPOINT = ec2.url;
    const made = await Promise.all(Array.from({ length: 6 }, () => create('gate')));
    expect(new Set(made.map((r) => r.id)).size).toBe(6);
    expect(ec2.instances.size).toBe(6);
    expect(ec2.creates.peak).toBe(2);
    expect(ec2.creates.throttled).toBeGreaterThan(0);
  });

  it('resolves a friendly image once for a batch of concurrent creates', async () => {
    const props = { ...properties, region: 'eu-north-1' };
    await Promise.all(Array.from({ length: 6 }, () => create('batch', props)));
    expect(actions('DescribeImages')).toHaveLength(1);
    expect(actions('RunInstances')).toHaveLength(6);
  });
});
