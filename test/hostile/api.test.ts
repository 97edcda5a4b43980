/**
 * Hostile requests to the HTTP API (issue 16): configurations that used to
 * crash the loader answer 400 with located issues, and every refusal fastify
 * makes itself carries the `{ error: { code, message } }` body.
 */
import { connect, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi, type Api } from '../../host/api/server.js';
import { openTestService, type TestService } from '../support/service.js';

const TOKEN = 'hostile-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const BOMB = [
  'a: &a [x, x, x, x, x, x, x, x, x]',
  ...Array.from({ length: 7 }, (_, i) => `b${i}: &b${i} [${Array(9).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]`),
  'version: "1"',
  'name: bomb',
  'groups: {g: {size: 1, resourcePlugin: {name: file}}}',
  '',
].join('\n');
const CIRCULAR = 'version: "1"\nname: loop\ngroups: &g\n  a: *g\n';

describe('the API under hostile requests', () => {
  let t: TestService;
  let api: Api;

  beforeAll(async () => {
    t = await openTestService();
    api = await buildApi({ service: t.service, feed: t.store.feed, token: TOKEN, logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await api?.app.close();
    await t?.close();
  });

  const send = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: string, type = 'application/yaml') =>
    api.app.inject({ method, url, payload, headers: { ...auth, ...(payload !== undefined ? { 'content-type': type } : {}) } });

  it.each([
    ['an alias bomb', '/v1/clusters', BOMB, 2],
    ['an alias bomb', '/v1/plan', BOMB, 2],
    ['circular groups', '/v1/clusters', CIRCULAR, 4],
    ['circular groups', '/v1/plan', CIRCULAR, 4],
    ['deep nesting', '/v1/plan', `version: "1"\nname: deep\ngroups: ${'['.repeat(100_000)}`, 3],
  ])('answers %s posted to %s with 400 and located issues', async (_what, url, body, line) => {
    const response = await send('POST', url, body);
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('KADENDE_ERR_CONFIG_INVALID');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ file: 'request body', line });
  });

  it.each([
    ['a malformed escape', 'GET', '/v1/clusters/%zz', 400, 'KADENDE_ERR_REQUEST_INVALID'],
    ['a cluster ref longer than 200 characters', 'GET', `/v1/clusters/${'a'.repeat(300)}`, 414, 'KADENDE_ERR_REQUEST_INVALID'],
    ['a cluster ref of 150 characters (the schema takes 200)', 'GET', `/v1/clusters/${'a'.repeat(150)}`, 404, 'KADENDE_ERR_CLUSTER_NOT_FOUND'],
    ['no route', 'GET', '/v1/nothing', 404, 'KADENDE_ERR_NOT_FOUND'],
    ['a method no route takes', 'PUT', '/v1/nothing', 404, 'KADENDE_ERR_NOT_FOUND'],
    ['a method a known path does not take', 'PUT', '/v1/clusters', 405, 'KADENDE_ERR_METHOD_NOT_ALLOWED'],
  ])('answers %s with the error body', async (_what, method, url, status, code) => {
    const response = await send(method as 'GET', url);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ error: { code, message: expect.any(String) } });
  });

  it('refuses unknown fields in a reconcile body rather than dropping them', async () => {
    const response = await send('POST', '/v1/clusters/some-cluster/reconcile', JSON.stringify({ wait: true, retryFailedd: true }), 'application/json');
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'KADENDE_ERR_REQUEST_INVALID', message: expect.stringMatching(/retryFailedd/) });
  });

  it('answers headers too large (431) with the error body, on a real socket', async () => {
    const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as AddressInfo;
    expect(address).toContain(String(port));
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', (error) => (text ? resolve(text) : reject(error)));
      socket.write(`GET /v1/clusters HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    });
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(body!)).toEqual({ error: { code: 'KADENDE_ERR_REQUEST_HEADERS_TOO_LARGE', message: expect.any(String) } });
  });
});
