/** The HTTP API end to end on 127.0.0.1: real fastify, real store, the built-in file plugin. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../host/api/client.js';
import { buildApi, type Api } from '../../host/api/server.js';
import { DaemonMetrics } from '../../host/api/metrics.js';
import { Scheduler } from '../../host/controller/scheduler.js';
import { ServicePasses } from '../../host/controller/service-passes.js';
import type { KadendeEvent } from '../../model/index.js';
import { until } from '../support/nats-server.js';
import { fileCluster, openTestService, type TestService } from '../support/service.js';

const TOKEN = 'test-token-0123456789abcdef';
const logger = pino({ level: 'silent' });

describe('HTTP API', () => {
  let t: TestService;
  let api: Api;
  let scheduler: Scheduler;
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const call = (method: string, path: string, options: { body?: string; type?: string; headers?: Record<string, string> } = {}) =>
    request(`${base}${path}`, {
      method: method as 'GET',
      body: options.body,
      headers: { ...auth, ...(options.type ? { 'content-type': options.type } : {}), ...options.headers },
    });
  const json = async (method: string, path: string, options: Parameters<typeof call>[2] = {}) => {
    const response = await call(method, path, options);
    return { status: response.statusCode, body: (await response.body.json()) as any };
  };

  beforeAll(async () => {
    t = await openTestService();
    const metrics = new DaemonMetrics({ store: t.store, plugins: t.plugins, outbox: false });
    scheduler = new Scheduler(new ServicePasses(t.service, { followUpMs: 50 }), { logger, intervalMs: 60_000, onPass: metrics.passObserver(t.store) });
    api = await buildApi({ service: t.service, feed: t.store.feed, token: TOKEN, logger, scheduler, metrics });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`;
    scheduler.start();
  });
  afterAll(async () => {
    api?.endStreams();
    await scheduler?.stop(5000);
    await api?.app.close();
    await t?.close();
  });

  it('refuses requests without the bearer token, with a JSON error and no stack', async () => {
    for (const headers of [{ authorization: '' }, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${TOKEN}` }]) {
      const response = await call('GET', '/v1/clusters', { headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toContain('Bearer');
      const body = (await response.body.json()) as any;
      expect(body.error.code).toBe('KADENDE_ERR_UNAUTHORIZED');
      expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
    }
    // Probes need no token.
    expect((await request(`${base}/healthz`)).statusCode).toBe(200);
    expect((await request(`${base}/readyz`)).statusCode).toBe(200);
  });

  it('applies a YAML configuration, converges it at once, and reports status, resources and metrics', async () => {
    const directory = join(t.dir, 'web');
    const applied = await json('POST', '/v1/clusters?file=web.yaml', { body: fileCluster('web', directory, 2), type: 'application/yaml' });
    expect(applied.status).toBe(201);
    expect(applied.body).toMatchObject({ created: true, changed: true, cluster: { name: 'web', generation: 1 } });
    // The scheduler reconciles an applied cluster at once: no reconcile request needed.
    await until(() => existsSync(directory) && readdirSync(directory).filter((f) => f.endsWith('.json')).length === 2, 15_000, 'two resource files');
    await until(async () => (await json('GET', '/v1/clusters/web')).body.status.converged === true, 15_000, 'converged');

    const got = await json('GET', '/v1/clusters/web');
    expect(got.body.cluster.pins.web).toMatchObject({ name: 'file', source: 'builtin' });
    expect(got.body.status.groups[0].status).toMatchObject({ desired: 2, actual: 2, healthy: 2 });
    expect((await json('GET', '/v1/clusters')).body).toEqual([expect.objectContaining({ name: 'web', resources: 2 })]);
    expect((await json('GET', '/v1/clusters/web/resources')).body).toHaveLength(2);

    const again = await json('POST', '/v1/clusters?file=web.yaml', { body: fileCluster('web', directory, 2), type: 'text/yaml' });
    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(false);

    const metrics = await (await call('GET', '/metrics')).body.text();
    expect(metrics).toMatch(/kadende_resources\{cluster="web",group="web",state="active"\} 2/);
    expect(metrics).toMatch(/kadende_plugin_calls_total\{plugin="file@0\.1\.0"\} [1-9]/);
    expect(metrics).toContain('kadende_outbox_depth 0');
  });

  it('serves the status its last pass found without calling a plugin, for pollers such as the UI', async () => {
    await until(async () => (await json('GET', '/v1/clusters/web/status')).body.report?.converged === true, 15_000, 'a converged pass');
    const calls = async () => (await t.plugins.stats()).reduce((n, p) => n + p.calls, 0);
    const before = await calls();
    const polled = await Promise.all([1, 2, 3].map(() => json('GET', '/v1/clusters/web/status')));
    expect(await calls()).toBe(before);
    for (const { status, body } of polled) {
      expect(status).toBe(200);
      expect(body).toMatchObject({ source: 'last-pass', report: { clusterName: 'web', converged: true } });
      expect(body.report.groups[0].status).toMatchObject({ desired: 2, actual: 2, healthy: 2 });
    }
    // The full GET still looks live: one describe for the cluster's one group.
    expect((await json('GET', '/v1/clusters/web')).body.status.converged).toBe(true);
    expect(await calls()).toBe(before + 1);
    expect((await json('GET', '/v1/clusters/nosuch/status')).body.error.code).toBe('KADENDE_ERR_CLUSTER_NOT_FOUND');
  });

  it('looks live when no pass of this daemon has seen the cluster yet', async () => {
    const other = await openTestService();
    const unscheduled = await buildApi({ service: other.service, feed: other.store.feed, token: TOKEN, logger });
    try {
      await other.service.apply(fileCluster('quiet', join(other.dir, 'quiet'), 1), 'quiet.yaml');
      await unscheduled.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (unscheduled.app.server.address() as { port: number }).port;
      const response = await request(`http://127.0.0.1:${port}/v1/clusters/quiet/status`, { headers: auth });
      const body = (await response.body.json()) as any;
      expect(body).toMatchObject({ source: 'live', report: { clusterName: 'quiet', converged: false } });
      expect(body.report.groups[0].status).toMatchObject({ desired: 1, actual: 0 });
      expect((await other.plugins.stats()).reduce((n, p) => n + p.calls, 0)).toBe(1);
    } finally {
      await unscheduled.app.close();
      await other.close();
    }
  });

  it('answers invalid configurations with 400 and the located issues, like the CLI', async () => {
    const bad = 'version: "0.0.1"\nname: bad\ngroups:\n  web:\n    size: two\n    resourcePlugin:\n      name: file\n    resourceProperties:\n      directory: /tmp/x\n';
    const response = await json('POST', '/v1/clusters?file=bad.yaml', { body: bad, type: 'application/yaml' });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('KADENDE_ERR_CONFIG_INVALID');
    expect(response.body.error.issues).toEqual([expect.objectContaining({ file: 'bad.yaml', line: 5, column: 11, path: 'groups.web.size' })]);
    expect(response.body.error.message).toBe('bad.yaml:5:11: groups.web.size: must be an integer >= 0, got "two"');

    // A JSON body is a configuration too, with positions in the JSON text.
    const asJson = await json('POST', '/v1/clusters?file=bad.json', { body: '{"version":"0.0.1","name":"bad","groups":{"web":{"size":-1}}}', type: 'application/json' });
    expect(asJson.status).toBe(400);
    expect(asJson.body.error.issues).toEqual([
      expect.objectContaining({ file: 'bad.json', line: 1, column: 43, path: 'groups.web.resourcePlugin' }),
      { file: 'bad.json', line: 1, column: 57, path: 'groups.web.size', message: 'must be an integer >= 0, got -1' },
    ]);
  });

  it('rejects malformed requests with 4xx JSON errors', async () => {
    const empty = await json('POST', '/v1/clusters', { body: '', type: 'application/yaml' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('KADENDE_ERR_REQUEST_INVALID');

    const badMedia = await json('POST', '/v1/clusters', { body: 'x', type: 'image/png' });
    expect(badMedia.status).toBe(415);
    expect(badMedia.body.error.code).toBe('KADENDE_ERR_UNSUPPORTED_MEDIA_TYPE');

    const brokenJson = await json('POST', '/v1/clusters/web/reconcile', { body: '{"wait": tru', type: 'application/json' });
    expect(brokenJson.status).toBe(400);
    expect(brokenJson.body.error.code).toBe('KADENDE_ERR_REQUEST_INVALID');

    const wrongType = await json('POST', '/v1/clusters/web/reconcile', { body: '{"wait":"yes","bogus":1}', type: 'application/json' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toMatch(/invalid request/);

    const badQuery = await json('GET', '/v1/clusters/web/events?limit=0');
    expect(badQuery.status).toBe(400);

    const missing = await json('GET', '/v1/clusters/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('KADENDE_ERR_CLUSTER_NOT_FOUND');

    const noRoute = await json('GET', '/v2/anything');
    expect(noRoute.status).toBe(404);
    expect(noRoute.body.error.code).toBe('KADENDE_ERR_NOT_FOUND');
  });

  it('answers 405 with Allow for a known path asked with a method it does not take', async () => {
    const put = await call('PUT', '/v1/clusters');
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD, POST');
    expect(((await put.body.json()) as any).error).toEqual({ code: 'KADENDE_ERR_METHOD_NOT_ALLOWED', message: '/v1/clusters does not take PUT; it takes GET, HEAD, POST' });
    const post = await call('POST', '/v1/clusters/web/resources', { body: '{}', type: 'application/json' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    await post.body.dump();
    // An unknown path is still 404.
    expect((await json('PUT', '/v1/nothing')).status).toBe(404);
  });

  it('names the content types a route takes when it refuses one (415)', async () => {
    const config = await call('POST', '/v1/clusters', { body: 'x', type: 'image/png' });
    expect(config.statusCode).toBe(415);
    expect(config.headers['accept-post']).toBe('application/yaml, application/x-yaml, text/yaml, text/x-yaml, text/plain, application/json');
    expect(((await config.body.json()) as any).error.message).toBe(
      'the content type "image/png" is not accepted here; send one of: application/yaml, application/x-yaml, text/yaml, text/x-yaml, text/plain, application/json',
    );
    const reconcile = await json('POST', '/v1/clusters/web/reconcile', { body: 'wait: true', type: 'text/plain' });
    expect(reconcile.status).toBe(415);
    expect(reconcile.body.error.message).toBe('the content type "text/plain" is not accepted here; send one of: application/json');
  });

  it('calls a broken JSON configuration a JSON syntax error, located, not a YAML one', async () => {
    const broken = await json('POST', '/v1/clusters?file=c.json', { body: '{"version": "0.0.1",\n "name": tru}', type: 'application/json' });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatchObject({ code: 'KADENDE_ERR_CONFIG_INVALID', issues: [{ file: 'c.json', line: 2, column: 10, path: '', message: 'JSON syntax error: invalid symbol' }] });
    const unterminated = await json('POST', '/v1/plan', { body: '{"version": "0.0.1", "name": "x"', type: 'application/json; charset=utf-8' });
    expect(unterminated.body.error.message).toBe('request body:1:33: JSON syntax error: close brace expected');
    // The same text as YAML is read as YAML.
    const yaml = await json('POST', '/v1/plan', { body: '{"version": "0.0.1", "name": "x"', type: 'application/yaml' });
    expect(yaml.body.error.message).toMatch(/YAML syntax error/);
  });

  it("words advice in API terms, and in the CLI's for the kadende CLI (Kadende-Hints: cli)", async () => {
    const missing = await json('GET', '/v1/clusters/nope');
    expect(missing.body.error.message).toBe('no cluster with id or name "nope" (GET /v1/clusters lists them)');
    const refused = await json('GET', '/v1/clusters', { headers: { authorization: 'Bearer wrong-token-0123456789' } });
    expect(refused.body.error.message).toBe('a valid bearer token is required in the Authorization header');
    for (const { body } of [missing, refused]) expect(body.error.message).not.toMatch(/kadende |KADENDE_TOKEN|--[a-z]/);

    const forCli = await json('GET', '/v1/clusters/nope', { headers: { 'kadende-hints': 'cli' } });
    expect(forCli.body.error.message).toBe('no cluster with id or name "nope" (see `kadende get clusters`)');
    // The CLI's client asks for it, so --server prints what the CLI prints in-process.
    const client = new ApiClient(base, TOKEN);
    await expect(client.cluster('nope')).rejects.toMatchObject({ code: 'KADENDE_ERR_CLUSTER_NOT_FOUND', message: 'no cluster with id or name "nope" (see `kadende get clusters`)' });
    await client.close();
  });

  it('answers a wait that runs out of time 504, for reconcile and delete', async () => {
    const directory = join(t.dir, 'slow');
    // 30 resources: the scheduler's own pass, started by the apply, is still creating when the
    // request comes (with 2 it could converge first on a loaded machine, and a pass over a
    // converged cluster may answer within 1 ms), and the 1 ms deadline passes before the plugin calls answer.
    expect((await json('POST', '/v1/clusters?file=slow.yaml', { body: fileCluster('slow', directory, 30), type: 'application/yaml' })).status).toBe(201);
    const reconcile = await json('POST', '/v1/clusters/slow/reconcile', { body: '{"wait":true,"timeoutMs":1}', type: 'application/json' });
    expect(reconcile.status).toBe(504);
    expect(reconcile.body.error).toMatchObject({ code: 'KADENDE_ERR_RECONCILE_TIMEOUT', message: 'cluster slow did not converge within 0 s' });

    await until(async () => (await json('GET', '/v1/clusters/slow/status')).body.report?.converged === true, 15_000, 'slow converged');
    const deleting = await json('DELETE', '/v1/clusters/slow?timeoutMs=1');
    expect(deleting.status).toBe(504);
    expect(deleting.body.error.code).toBe('KADENDE_ERR_CLUSTER_DELETE_INCOMPLETE');
    expect(deleting.body.error.message).toMatch(/it stays deleting: .*, or forget it with orphanResources=true$/);
    expect(deleting.body.error.message).not.toMatch(/--orphan-resources/);
    expect((await json('DELETE', '/v1/clusters/slow?timeoutMs=20000')).status).toBe(200);
  });

  it('reconciles on request and pages through events', async () => {
    const report = await json('POST', '/v1/clusters/web/reconcile', { body: '{"wait":true,"timeoutMs":20000}', type: 'application/json' });
    expect(report.status).toBe(200);
    expect(report.body.converged).toBe(true);

    const all = await t.store.listEvents((await t.service.cluster('web')).id);
    expect(all.length).toBeGreaterThanOrEqual(4);
    const pages: KadendeEvent[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await json('GET', `/v1/clusters/web/events?limit=2${after ? `&after=${after}` : ''}`);
      expect(page.status).toBe(200);
      pages.push(page.body.events);
      if (page.body.next === null) break;
      expect(page.body.next).toBe(page.body.events.at(-1).id);
      after = page.body.next;
    }
    expect(pages.flat().map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(pages[0]).toHaveLength(2);
  });

  it('pages older events with before, and filters them by type and group, as the UI does', async () => {
    const all = await t.store.listEvents((await t.service.cluster('web')).id);
    const oldest = all.slice(0, -1);
    const older = await json('GET', `/v1/clusters/web/events?reverse=true&limit=2&before=${all.at(-1)!.id}`);
    expect(older.status).toBe(200);
    expect(older.body.events.map((e: KadendeEvent) => e.id)).toEqual(oldest.slice(-2).reverse().map((e) => e.id));

    const created = await json('GET', '/v1/clusters/web/events?type=io.kadende.resource.created&group=web');
    expect(created.status).toBe(200);
    const expected = all.filter((e) => e.type === 'io.kadende.resource.created' && e.data.groupPath === 'web');
    expect(expected.length).toBeGreaterThan(0);
    expect(created.body.events.map((e: KadendeEvent) => e.id)).toEqual(expected.map((e) => e.id));
    const none = await json('GET', '/v1/clusters/web/events?group=no-such-group');
    expect(none.body.events).toEqual([]);

    const badType = await json('GET', '/v1/clusters/web/events?type=created');
    expect(badType.status).toBe(400);
    expect(badType.body.error.code).toBe('KADENDE_ERR_REQUEST_INVALID');
    expect(badType.body.error.message).toContain('type');
    const badBefore = await json('GET', '/v1/clusters/web/events?before=yesterday');
    expect(badBefore.status).toBe(400);
    expect(badBefore.body.error.message).toContain('before');
  });

  it('follows events live with Server-Sent Events, resuming after a given id', async () => {
    const client = new ApiClient(base, TOKEN);
    const cluster = await client.cluster('web');
    const before = await t.store.listEvents(cluster.id);
    const controller = new AbortController();
    const seen: KadendeEvent[] = [];
    // Resume from the second stored event: the backlog after it comes first, then live events.
    const following = (async () => {
      for await (const event of client.follow('web', { after: before[1]!.id, signal: controller.signal })) {
        seen.push(event);
        if (seen.some((e) => e.type === 'io.kadende.resource.created' && e.id > before.at(-1)!.id)) controller.abort();
      }
    })();
    // Lose a resource: the reconcile replaces it and the stream shows it as it happens.
    const directory = join(t.dir, 'web');
    const { rm } = await import('node:fs/promises');
    await rm(join(directory, readdirSync(directory).find((f) => f.endsWith('.json'))!));
    await json('POST', '/v1/clusters/web/reconcile', { body: '{}', type: 'application/json' });
    await Promise.race([following, new Promise((_, reject) => setTimeout(() => reject(new Error('no live event within 15 s')), 15_000))]);
    await client.close();

    const ids = seen.map((e) => e.id);
    expect(ids.slice(0, before.length - 2)).toEqual(before.slice(2).map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(seen.map((e) => e.type)).toContain('io.kadende.resource.lost');
  });

  it('deletes a cluster with all its resources', async () => {
    const deleted = await json('DELETE', '/v1/clusters/web?timeoutMs=20000');
    expect(deleted.status).toBe(200);
    expect(readdirSync(join(t.dir, 'web')).filter((f) => f.endsWith('.json'))).toEqual([]);
    expect((await json('GET', '/v1/clusters/web')).status).toBe(404);
  });
});
