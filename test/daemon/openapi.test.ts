/**
 * The daemon serves an OpenAPI 3.1 document generated from its routes'
 * schemas: valid OpenAPI 3.1, naming exactly the routes the server registers
 * (fastify's onRoute), with responses whose schemas the real answers meet.
 */
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { isUndocumented } from '../../host/api/openapi.js';
import { useTestApi } from '../support/api-server.js';
import { fileCluster } from '../support/service.js';

const TOKEN = 'openapi-test-token-0123456789';

type Operation = { security?: unknown[]; responses: Record<string, { content?: Record<string, { schema: object }> }> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document', () => {
  const served = useTestApi(TOKEN);
  let document: Document;

  beforeAll(async () => {
    const response = await request(`${served.base}/openapi.json`);
    expect(response.statusCode).toBe(200);
    document = (await response.body.json()) as Document;
  });

  it('is valid OpenAPI 3.1, served without a token', async () => {
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('names exactly the routes the server registers (HEAD mirrors GET; the web UI and the document itself are not the API)', () => {
    const registered = served.api.routes.routes
      .filter((route) => route.method !== 'HEAD' && !isUndocumented(route.url))
      .map((route) => `${route.method} ${route.url.replace(/:([A-Za-z]+)/g, '{$1}')}`);
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(registered.sort());
    expect(registered).toContain('POST /v1/clusters');
    expect(registered.length).toBeGreaterThanOrEqual(13);
  });

  it('documents the error body and a success answer for every operation, and bearer auth except for the probes', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method} ${path}`;
        for (const range of ['4XX', '5XX']) {
          const schema = operation.responses[range]?.content?.['application/json']?.schema as { properties?: Record<string, { required?: string[] }> } | undefined;
          expect(schema?.properties?.error?.required, where).toEqual(['code', 'message']);
        }
        expect(Object.keys(operation.responses).some((status) => /^2\d\d$/.test(status)), where).toBe(true);
        expect(operation.security, where).toEqual(path === '/healthz' || path === '/readyz' ? [] : undefined);
      }
    }
    expect(Object.keys(document.paths['/v1/clusters/{ref}/events']!.get!.responses['200']!.content!).sort()).toEqual(['application/cloudevents-batch+json', 'application/json']);
  });

  it("describes what the routes really answer: real answers meet the documented schemas", async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
    const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, path: string, options: { body?: string; type?: string; accept?: string } = {}) => {
      const response = await request(`${served.base}${url}`, {
        method,
        body: options.body,
        headers: { authorization: `Bearer ${TOKEN}`, ...(options.type ? { 'content-type': options.type } : {}), ...(options.accept ? { accept: options.accept } : {}) },
      });
      const status = String(response.statusCode);
      const type = String(response.headers['content-type']).split(';')[0]!;
      const documented = document.paths[path]![method.toLowerCase()]!.responses;
      const schema = (documented[status] ?? documented[`${status[0]}XX`])?.content?.[type]?.schema;
      expect(schema, `${method} ${url} ${status} ${type}`).toBeDefined();
      const body = (await response.body.json()) as unknown;
      const validate = ajv.compile(schema!);
      expect(validate(body), `${method} ${url}: ${JSON.stringify(validate.errors)}`).toBe(true);
      return { status: response.statusCode, body: body as any };
    };
    const applied = await call('POST', '/v1/clusters?file=doc.yaml', '/v1/clusters', { body: fileCluster('doc', join(served.t.dir, 'doc'), 1), type: 'application/yaml' });
    expect(applied.status).toBe(201);
    await call('POST', '/v1/clusters/doc/reconcile', '/v1/clusters/{ref}/reconcile', { body: '{"wait":true,"timeoutMs":20000}', type: 'application/json' });
    await call('GET', '/v1/clusters', '/v1/clusters');
    await call('GET', '/v1/clusters/doc', '/v1/clusters/{ref}');
    await call('GET', '/v1/clusters/doc/status', '/v1/clusters/{ref}/status');
    await call('GET', '/v1/clusters/doc/plan', '/v1/clusters/{ref}/plan');
    await call('GET', '/v1/clusters/doc/resources', '/v1/clusters/{ref}/resources');
    await call('GET', '/v1/clusters/doc/events', '/v1/clusters/{ref}/events');
    await call('GET', '/v1/clusters/doc/events', '/v1/clusters/{ref}/events', { accept: 'application/cloudevents-batch+json' });
    await call('POST', '/v1/plan', '/v1/plan', { body: fileCluster('doc', join(served.t.dir, 'doc'), 2), type: 'application/yaml' });
    expect((await call('GET', '/v1/clusters/nope', '/v1/clusters/{ref}')).status).toBe(404);
    expect((await call('POST', '/v1/clusters', '/v1/clusters', { body: 'name: [', type: 'application/yaml' })).body.error.issues).toHaveLength(1);
    await call('GET', '/healthz', '/healthz');
    await call('DELETE', '/v1/clusters/doc?timeoutMs=20000', '/v1/clusters/{ref}');
  });
});
