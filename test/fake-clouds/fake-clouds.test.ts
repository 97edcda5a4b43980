/**
 * The fake clouds on the wire, without SDKs: the create gate the benchmark
 * relies on (duration + concurrency limit answered with each provider's
 * throttling), and the protocol details the plugins' tests take for granted.
 */
import { describe, expect, it } from 'vitest';
import { startFakeEc2 } from './aws.js';
import { parseFilter, startFakeGce, type GceInstance } from './gcp.js';
import { startFakeDigitalOcean } from './digitalocean.js';

const ec2Form = (params: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ Version: '2016-11-15', ...params }).toString(),
});
const runInstances = (token: string) => ec2Form({ Action: 'RunInstances', ImageId: 'ami-0d1e0000000000001', MinCount: '1', MaxCount: '1', ClientToken: token });

describe('fake clouds', () => {
  it('EC2: creates take createDurationMs, and more than maxConcurrentCreates at once get RequestLimitExceeded', async () => {
    const ec2 = await startFakeEc2({ createDurationMs: 150, maxConcurrentCreates: 4, pendingMs: 10 });
    try {
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => fetch(ec2.url, runInstances(`t${i}`)).then(async (r) => ({ status: r.status, body: await r.text() }))));
      expect(answers.filter((a) => a.status === 200)).toHaveLength(4);
      const throttled = answers.filter((a) => a.status === 503);
      expect(throttled).toHaveLength(2);
      expect(throttled[0]!.body).toContain('<Code>RequestLimitExceeded</Code>');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      expect(ec2.creates).toMatchObject({ peak: 4, throttled: 2, inFlight: 0 });
      // Same ClientToken, same instance.
      const again = await (await fetch(ec2.url, runInstances('t0'))).text();
      expect(ec2.instances.size).toBe(4);
      expect(again).toContain([...ec2.instances.values()].find((i) => i.clientToken === 't0')!.instanceId);
    } finally {
      await ec2.close();
    }
  });

  it('EC2: pending becomes running after pendingMs; DescribeInstances pages with NextToken', async () => {
    const ec2 = await startFakeEc2({ pendingMs: 150 });
    try {
      await Promise.all(Array.from({ length: 7 }, (_, i) => fetch(ec2.url, runInstances(`p${i}`))));
      expect([...ec2.instances.values()].every((i) => i.state === 'pending')).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect([...ec2.instances.values()].every((i) => i.state === 'running')).toBe(true);
      const first = await (await fetch(ec2.url, ec2Form({ Action: 'DescribeInstances', MaxResults: '5' }))).text();
      const token = /<nextToken>([^<]+)<\/nextToken>/.exec(first)![1]!;
      const second = await (await fetch(ec2.url, ec2Form({ Action: 'DescribeInstances', MaxResults: '5', NextToken: token }))).text();
      expect(first.match(/<instanceId>/g)).toHaveLength(5);
      expect(second.match(/<instanceId>/g)).toHaveLength(2);
      expect(second).not.toContain('<nextToken>');
      expect((await fetch(ec2.url, ec2Form({ Action: 'DescribeInstances', MaxResults: '2' }))).status).toBe(400);
    } finally {
      await ec2.close();
    }
  });

  it('GCE: excess inserts get 429 rateLimitExceeded; operations become DONE after operationMs', async () => {
    const gce = await startFakeGce({ createDurationMs: 100, maxConcurrentCreates: 2, operationMs: 50 });
    const insert = (name: string) =>
      fetch(`${gce.url}/compute/v1/projects/p/zones/z/instances`, {
        method: 'POST',
        body: JSON.stringify({ name, machineType: 'zones/z/machineTypes/e2-micro', disks: [{ boot: true, initializeParams: { sourceImage: 'x' } }] }),
      });
    try {
      const answers = await Promise.all(['a', 'b', 'c'].map(insert));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429]);
      const limited = (await answers.find((a) => a.status === 429)!.json()) as { error: { errors: { reason: string }[] } };
      expect(limited.error.errors[0]!.reason).toBe('rateLimitExceeded');
      const operation = (await answers.find((a) => a.status === 200)!.json()) as { name: string; status: string };
      expect(operation.status).toBe('RUNNING');
      const waited = await (await fetch(`${gce.url}/compute/v1/projects/p/zones/z/operations/${operation.name}/wait`, { method: 'POST' })).json();
      expect(waited).toMatchObject({ status: 'DONE' });
      expect((await insert('a')).status).toBe(409);
    } finally {
      await gce.close();
    }
  });

  it('GCE: the list filter handles AND, quotes and !=, and refuses what it does not know', () => {
    const vm = { name: 'kd-1', status: 'RUNNING', labels: { a: 'x', b: 'y' } } as unknown as GceInstance;
    expect(parseFilter('(labels.a = "x") (labels.b = y)')!(vm)).toBe(true);
    expect(parseFilter('(labels.a = "x") AND (labels.b = "z")')!(vm)).toBe(false);
    expect(parseFilter('status != TERMINATED')!(vm)).toBe(true);
    expect(parseFilter('cpuPlatform = "x"')).toBeUndefined();
  });

  it('DigitalOcean: 429 over the create limit, 202 creates, links.pages.next, 404 and 204', async () => {
    const api = await startFakeDigitalOcean({ createDurationMs: 80, maxConcurrentCreates: 1, pendingMs: 10, token: 't' });
    const headers = { authorization: 'Bearer t', 'content-type': 'application/json' };
    const create = (name: string) => fetch(`${api.url}/v2/droplets`, { method: 'POST', headers, body: JSON.stringify({ name, size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', tags: ['a:b'] }) });
    try {
      const answers = await Promise.all([create('one'), create('two')]);
      expect(answers.map((a) => a.status).sort()).toEqual([202, 429]);
      expect(await answers.find((a) => a.status === 429)!.json()).toEqual({ id: 'too_many_requests', message: 'API Rate limit exceeded.' });
      for (let i = 0; i < 4; i++) await create(`n${i}`);
      const first = (await (await fetch(`${api.url}/v2/droplets?tag_name=a:b&per_page=2`, { headers })).json()) as { droplets: unknown[]; links: { pages: { next?: string } }; meta: { total: number } };
      expect(first.droplets).toHaveLength(2);
      expect(first.meta.total).toBe(5);
      expect(new URL(first.links.pages.next!).searchParams.get('page')).toBe('2');
      expect(new URL(first.links.pages.next!).searchParams.get('tag_name')).toBe('a:b');
      const id = [...api.instances.keys()][0]!;
      expect((await fetch(`${api.url}/v2/droplets/${id}`, { method: 'DELETE', headers })).status).toBe(204);
      expect((await fetch(`${api.url}/v2/droplets/${id}`, { headers })).status).toBe(404);
      expect((await fetch(`${api.url}/v2/droplets`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      // Injected faults: an auth failure for one request, then added latency.
      api.faults.add('auth');
      expect(await (await fetch(`${api.url}/v2/droplets`, { headers })).json()).toEqual({ id: 'Unauthorized', message: 'Unable to authenticate you' });
      api.faults.latencyMs = 120;
      const started = Date.now();
      expect((await fetch(`${api.url}/v2/droplets`, { headers })).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(115);
      expect(api.requests.at(-2)).toMatchObject({ action: 'droplets.list', status: 401, fault: 'auth' });
    } finally {
      await api.close();
    }
  });
});
