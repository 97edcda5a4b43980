/**
 * Events are CloudEvents 1.0 wherever they leave the daemon: the API's events
 * list as a CloudEvents JSON batch when asked (and its `{ events, next }` by
 * default), and NATS. Each is checked against the spec's attribute rules, and
 * its `source` names the host and the cluster.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from '../../host/api/server.js';
import { listenApi } from '../support/api-server.js';
import { OutboxPublisher } from '../../host/events/publisher.js';
import type { KadendeEvent } from '../../model/index.js';
import { NatsServer, readStream, until } from '../support/nats-server.js';
import { fileCluster, openTestService, type TestService } from '../support/service.js';

const TOKEN = 'cloudevents-test-token-0123456789';
const logger = pino({ level: 'silent' });

/** The context attributes of CloudEvents 1.0 (spec.md, "Context Attributes") and its JSON format's `data`, as a JSON Schema. */
const CLOUDEVENT_SCHEMA = {
  type: 'object',
  required: ['specversion', 'id', 'source', 'type'],
  properties: {
    specversion: { const: '1.0' },
    id: { type: 'string', minLength: 1 },
    source: { type: 'string', minLength: 1, format: 'uri-reference' },
    type: { type: 'string', minLength: 1 },
    datacontenttype: { type: 'string', minLength: 1 },
    dataschema: { type: 'string', minLength: 1, format: 'uri' },
    subject: { type: 'string', minLength: 1 },
    time: { type: 'string', format: 'date-time' },
  },
  // Extension attributes: lower-case letters and digits only, at most 20 characters.
  propertyNames: { anyOf: [{ enum: ['data', 'data_base64'] }, { pattern: '^[a-z0-9]{1,20}$' }] },
};
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
const validBatch = ajv.compile({ type: 'array', items: CLOUDEVENT_SCHEMA });

describe('events as CloudEvents', () => {
  let nats: NatsServer;
  let t: TestService;
  let api: Api;
  let base: string;
  let clusterId: string;
  let stored: KadendeEvent[];

  beforeAll(async () => {
    nats = await NatsServer.start();
    t = await openTestService({ outbox: true });
    ({ api, base } = await listenApi(t, TOKEN));
    const { cluster } = await t.service.apply(fileCluster('ce', join(t.dir, 'ce'), 2), 'ce.yaml');
    clusterId = cluster.id;
    await t.service.reconcile(cluster.id, { wait: true, timeoutMs: 20_000, intervalMs: 50 });
    stored = await t.store.listEvents(cluster.id);
  });
  afterAll(async () => {
    await api?.app.close();
    await t?.close();
    await nats?.stop();
  });

  const get = (path: string, accept?: string) => request(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}`, ...(accept ? { accept } : {}) } });

  it('answers a CloudEvents JSON batch when asked, each event valid, its source naming the host and the cluster', async () => {
    const response = await get('/v1/clusters/ce/events?limit=10000', 'application/cloudevents-batch+json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/cloudevents-batch+json; charset=utf-8');
    const batch = (await response.body.json()) as KadendeEvent[];
    expect(validBatch(batch), JSON.stringify(validBatch.errors)).toBe(true);
    expect(batch.map((e) => e.id)).toEqual(stored.map((e) => e.id));
    expect(batch.length).toBeGreaterThan(3);
    for (const event of batch) expect(event.source).toBe(`/kadende/hosts/${encodeURIComponent(hostname())}/clusters/${clusterId}`);
  });

  it('pages a batch with Link rel="next", and keeps { events, next } as the default for */*, application/json and no Accept', async () => {
    const first = await get('/v1/clusters/ce/events?limit=2', 'application/cloudevents-batch+json');
    const page = (await first.body.json()) as KadendeEvent[];
    expect(page.map((e) => e.id)).toEqual(stored.slice(0, 2).map((e) => e.id));
    expect(first.headers.link).toBe(`</v1/clusters/ce/events?limit=2&after=${stored[1]!.id}>; rel="next"`);
    const second = await get(/<([^>]+)>/.exec(first.headers.link as string)![1]!, 'application/cloudevents-batch+json');
    expect(((await second.body.json()) as KadendeEvent[]).map((e) => e.id)).toEqual(stored.slice(2, 4).map((e) => e.id));

    // Newest first, the next page is the older events: before the last one.
    const newest = await get('/v1/clusters/ce/events?limit=2&reverse=true', 'application/cloudevents-batch+json');
    expect(((await newest.body.json()) as KadendeEvent[]).map((e) => e.id)).toEqual([stored.at(-1)!.id, stored.at(-2)!.id]);
    expect(newest.headers.link).toBe(`</v1/clusters/ce/events?limit=2&reverse=true&before=${stored.at(-2)!.id}>; rel="next"`);

    for (const accept of [undefined, '*/*', 'application/json', 'text/html']) {
      const response = await get('/v1/clusters/ce/events?limit=2', accept);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(await response.body.json()).toEqual({ events: stored.slice(0, 2), next: stored[1]!.id });
    }
    // A client that prefers the batch but takes JSON gets the batch.
    const preferred = await get('/v1/clusters/ce/events', 'application/json;q=0.5, application/cloudevents-batch+json');
    expect(preferred.headers['content-type']).toMatch(/^application\/cloudevents-batch\+json/);
    await preferred.body.dump();
  });

  it('publishes to NATS the same events, with the same source', async () => {
    const publisher = new OutboxPublisher({ servers: nats.url, store: t.store, feed: t.store.feed, logger });
    publisher.start();
    try {
      await until(async () => (await t.store.countOutbox()) === 0, 15_000, 'outbox drained');
      const received = (await readStream(nats.url, `kadende.events.${clusterId}.>`, stored.length)).map((m) => m.data as KadendeEvent);
      expect(validBatch(received), JSON.stringify(validBatch.errors)).toBe(true);
      expect(received).toEqual(stored);
      expect(new Set(received.map((e) => e.source))).toEqual(new Set([`/kadende/hosts/${encodeURIComponent(hostname())}/clusters/${clusterId}`]));
    } finally {
      await publisher.stop(0);
    }
  });
});
