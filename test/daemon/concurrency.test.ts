/**
 * Optimistic concurrency on apply and delete over real HTTP: clusters carry
 * `metadata.generation` and an ETag, If-Match / If-None-Match are honoured with
 * 412, and concurrent applies with the same If-Match let exactly one through.
 */
import { join } from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../host/api/client.js';
import { useTestApi } from '../support/api-server.js';
import { fileCluster } from '../support/service.js';

const TOKEN = 'concurrency-test-token-0123456789';

describe('optimistic concurrency on apply and delete', () => {
  const served = useTestApi(TOKEN);

  const send = async (method: 'GET' | 'POST' | 'DELETE', path: string, options: { body?: string; headers?: Record<string, string> } = {}) => {
    const response = await request(`${served.base}${path}`, {
      method,
      body: options.body,
      headers: { authorization: `Bearer ${TOKEN}`, ...(options.body !== undefined ? { 'content-type': 'application/yaml' } : {}), ...options.headers },
    });
    return { status: response.statusCode, etag: response.headers.etag as string | undefined, body: (await response.body.json()) as any };
  };
  const apply = (name: string, size: number, headers?: Record<string, string>) => send('POST', '/v1/clusters', { body: fileCluster(name, join(served.t.dir, name), size), headers });
  const appliedEvents = async (name: string) => (await served.t.store.listEvents((await served.t.service.cluster(name)).id)).filter((e) => e.type === 'io.kadende.cluster.applied').length;

  it('gives every cluster metadata.generation and an ETag that changes with each applied change', async () => {
    const created = await apply('shop', 1);
    expect(created.status).toBe(201);
    expect(created.body.cluster.metadata).toEqual({ generation: 1 });
    expect(created.etag).toMatch(/^"1-[A-Za-z0-9_-]{10}"$/);
    const got = await send('GET', '/v1/clusters/shop?status=false');
    expect(got.etag).toBe(created.etag);
    expect(got.body.cluster.metadata.generation).toBe(1);

    const same = await apply('shop', 1);
    expect(same.etag).toBe(created.etag);
    const changed = await apply('shop', 2, { 'if-match': created.etag! });
    expect(changed.status).toBe(200);
    expect(changed.body.cluster.metadata.generation).toBe(2);
    expect(changed.etag).toMatch(/^"2-/);
    expect(changed.etag!.slice(3)).toBe(created.etag!.slice(3));

    // The CLI's client returns the record as the service does in-process (-o json prints the same through --server).
    const client = new ApiClient(served.base, TOKEN);
    expect(await client.cluster('shop')).toEqual(await served.t.service.cluster('shop'));
    await client.close();
  });

  it('refuses a stale If-Match with 412 and writes nothing, for apply and delete', async () => {
    const current = await send('GET', '/v1/clusters/shop?status=false');
    const events = await appliedEvents('shop');
    const stale = '"1-' + current.etag!.slice(3);
    const refused = await apply('shop', 5, { 'if-match': stale });
    expect(refused.status).toBe(412);
    expect(refused.body.error.code).toBe('KADENDE_ERR_PRECONDITION_FAILED');
    expect(refused.body.error.message).toBe(
      `cluster shop is at ETag ${current.etag} (generation 2), not ${stale}: it changed since it was read; read it again and resend with its ETag`,
    );
    const deleting = await send('DELETE', '/v1/clusters/shop?wait=false', { headers: { 'if-match': `W/${current.etag}, ${stale}` } });
    expect(deleting.status).toBe(412);
    const after = await send('GET', '/v1/clusters/shop?status=false');
    expect(after.etag).toBe(current.etag);
    expect(after.body.cluster).toMatchObject({ generation: 2, spec: { groups: [expect.objectContaining({ size: 2 })] } });
    expect(after.body.cluster.deleting).toBeUndefined();
    expect(await appliedEvents('shop')).toBe(events);
  });

  it('takes If-Match: * only for a cluster that exists, and If-None-Match: * only for one that does not', async () => {
    const missing = await apply('fresh', 1, { 'if-match': '*' });
    expect(missing.status).toBe(412);
    expect(missing.body.error.message).toBe('If-Match asks for a cluster that does not exist (*)');
    expect((await send('GET', '/v1/clusters/fresh')).status).toBe(404);

    expect((await apply('fresh', 1, { 'if-none-match': '*' })).status).toBe(201);
    const again = await apply('fresh', 1, { 'if-none-match': '*' });
    expect(again.status).toBe(412);
    expect(again.body.error.message).toMatch(/^cluster fresh exists \(ETag "1-.*"\), and If-None-Match: \* asks that it does not$/);
    expect((await apply('fresh', 2, { 'if-match': '*' })).status).toBe(200);

    const malformed = await apply('fresh', 3, { 'if-match': '2' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/If-Match takes \* or entity tags/);
  });

  it('lets exactly one of concurrent applies with the same If-Match through; the others get 412', async () => {
    const { etag } = await send('GET', '/v1/clusters/shop?status=false');
    const events = await appliedEvents('shop');
    const answers = await Promise.all([3, 4, 5, 6, 7, 8].map((size) => apply('shop', size, { 'if-match': etag! })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 412, 412, 412, 412, 412]);
    const winner = answers.find((a) => a.status === 200)!;
    const stored = await send('GET', '/v1/clusters/shop?status=false');
    expect(stored.body.cluster.generation).toBe(3);
    expect(stored.etag).toBe(winner.etag);
    expect(stored.body.cluster.spec.groups[0].size).toBe(winner.body.cluster.spec.groups[0].size);
    expect(await appliedEvents('shop')).toBe(events + 1);
  });

  it('deletes with a current If-Match', async () => {
    const { etag } = await send('GET', '/v1/clusters/fresh?status=false');
    const deleted = await send('DELETE', '/v1/clusters/fresh?timeoutMs=20000', { headers: { 'if-match': etag! } });
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted).toBe(true);
  });
});
