/**
 * Every bad input the issue lists, each refused with a stable code and each
 * leaving the cache exactly as it was (no partial folder, nothing in staging,
 * no digest recorded).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginCache } from '../../host/plugins/cache.js';
import { PluginResolver } from '../../host/plugins/resolve.js';
import { RegistrySource, UrlSource } from '../../host/plugins/sources.js';
import { integrityOf } from '../../lib/index.js';
import { cacheSnapshot, echoEntries, rawTarball, tempDir } from './support.js';

const tmp = tempDir('bad-input');
const cacheDir = join(tmp.root, 'cache');
// Small caps so that "too big" and "too many files" tarballs stay small.
const cache = new PluginCache(cacheDir, { maxBytes: 64 * 1024, maxFiles: 10 });
const urls = new UrlSource({ cache, maxTarballBytes: 256 * 1024 });

/** A misbehaving registry and file server: each path answers as the route says. */
const routes = new Map<string, (res: ServerResponse) => void>();
const server = createServer((req, res) => {
  const route = routes.get(req.url ?? '');
  if (route) route(res);
  else res.writeHead(404).end('{"message":"not found"}');
});
let base = '';
const serve = (path: string, body: Buffer | string, status = 200) =>
  routes.set(path, (res) => res.writeHead(status, { 'content-type': 'application/octet-stream' }).end(body));
const truncated = (path: string, body: Buffer | string) =>
  routes.set(path, (res) => {
    const bytes = Buffer.from(body);
    res.writeHead(200, { 'content-length': String(bytes.length) });
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    // Flush the half, then drop the connection mid-body.
    setTimeout(() => res.socket?.destroy(), 20);
  });
const documentFor = (name: string, version: string, bytes: Buffer, integrity = integrityOf(bytes)) =>
  JSON.stringify({ name, 'dist-tags': { latest: version }, versions: { [version]: { tarball: `${name}/-/${name}-${version}.tgz`, integrity, contract: 1, publishedAt: new Date().toISOString() } } });

const good = rawTarball(echoEntries('1.0.0'));

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Something in the cache already, and a recorded URL digest, so "as it was" is not just "empty".
  serve('/good.tgz', good);
  await urls.install(`${base}/good.tgz`);
  // A URL whose digest stays recorded after its cached copy was pruned: the next download must match it.
  serve('/tofu.tgz', rawTarball(echoEntries('0.5.0')));
  await urls.install(`${base}/tofu.tgz`);
  await cache.remove('echo', '0.5.0');
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  tmp.cleanup();
});

/** Runs an install that must fail with `code`, and checks the cache did not change. */
async function refused(code: string, install: () => Promise<unknown>, message?: RegExp) {
  const before = cacheSnapshot(cacheDir);
  expect(before.some((line) => line.startsWith('echo/1.0.0/plugin.js'))).toBe(true);
  await expect(install()).rejects.toMatchObject({ code, ...(message ? { message: expect.stringMatching(message) } : {}) });
  expect(cacheSnapshot(cacheDir)).toEqual(before);
}

const viaUrl = (path: string, body: Buffer, integrity?: string) => () => {
  serve(path, body);
  return urls.install(`${base}${path}`, integrity);
};

describe('bad tarballs', () => {
  it('digest mismatch against the configured integrity', () =>
    refused('KADENDE_ERR_PLUGIN_INTEGRITY', viaUrl('/mismatch.tgz', rawTarball(echoEntries('2.0.0')), integrityOf(Buffer.from('other'))), /does not match its digest/));

  it('digest mismatch against the registry document', () => {
    const bytes = rawTarball(echoEntries('2.0.0'));
    routes.set('/reg-mismatch/echo', (res) => res.end(documentFor('echo', '2.0.0', bytes, integrityOf(Buffer.from('published bytes')))));
    serve('/reg-mismatch/echo/-/echo-2.0.0.tgz', bytes);
    return refused('KADENDE_ERR_PLUGIN_INTEGRITY', () => new RegistrySource([`${base}/reg-mismatch`], { cache }).resolve({ name: 'echo', version: 'latest' }), /echo@2\.0\.0/);
  });

  it('different bytes at a URL whose first digest was recorded', () =>
    refused('KADENDE_ERR_PLUGIN_INTEGRITY', viaUrl('/tofu.tgz', rawTarball(echoEntries('0.5.0', { description: 'changed' }))), /changed: it had digest/));

  it.each([
    ['a ../ path', [{ path: 'package/../../escaped.js', body: 'x' }]],
    ['an absolute path', [{ path: '/tmp/kadende-absolute.js', body: 'x' }]],
    ['a symlink', [{ path: 'package/link', type: 'SymbolicLink' as const, linkpath: '/etc/passwd' }]],
    ['a hard link', [{ path: 'package/hard', type: 'Link' as const, linkpath: 'package/plugin.js' }]],
    ['a file over the size cap', [{ path: 'package/big.bin', body: Buffer.alloc(100 * 1024, 1) }]],
    ['too many files', Array.from({ length: 12 }, (_, i) => ({ path: `package/f${i}.js`, body: 'x' }))],
    ['an entry outside package/', [{ path: 'other/x.js', body: 'x' }]],
  ])('%s', (_what, extra) => refused('KADENDE_ERR_TARBALL_UNSAFE', viaUrl(`/unsafe-${_what.replace(/\W/g, '')}.tgz`, rawTarball([...echoEntries('3.0.0'), ...extra]))));

  it('a download over the tarball size cap', () =>
    refused('KADENDE_ERR_TARBALL_UNSAFE', viaUrl('/huge.tgz', Buffer.alloc(300 * 1024, 7)), /larger than the 262144-byte cap/));

  it('not a gzip tarball at all', () => refused('KADENDE_ERR_TARBALL_UNSAFE', viaUrl('/garbage.tgz', Buffer.from('<html>hello</html>'))));

  it('no manifest', () => refused('KADENDE_ERR_PLUGIN_MANIFEST', viaUrl('/no-manifest.tgz', rawTarball([echoEntries()[1]!]))));

  it('a package.json without a kadende field', () =>
    refused('KADENDE_ERR_PLUGIN_MANIFEST', viaUrl('/no-kadende.tgz', rawTarball([{ path: 'package/package.json', body: '{"name":"x"}' }, echoEntries()[1]!])), /not a Kadende plugin/));

  it('a manifest for another contract version', () =>
    refused('KADENDE_ERR_PLUGIN_MANIFEST', viaUrl('/contract-2.tgz', rawTarball(echoEntries('3.1.0', { contract: 2 }))), /contract/));
});

describe('bad registries and URLs', () => {
  const registry = (path: string) => new PluginResolver([new RegistrySource([`${base}${path}`], { cache }), urls]);

  it('a registry answering 404 for the plugin: not found', () =>
    refused('KADENDE_ERR_PLUGIN_NOT_FOUND', () => registry('/empty').resolve({ name: 'echo', version: 'latest' }), /"echo" was not found/));

  it('a registry answering 500', () => {
    routes.set('/r500/echo', (res) => res.writeHead(500).end('oops'));
    return refused('KADENDE_ERR_REGISTRY_BAD_RESPONSE', () => registry('/r500').resolve({ name: 'echo', version: 'latest' }), /answered 500/);
  });

  it('a registry answering garbage JSON', () => {
    routes.set('/garbage/echo', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"name": "echo", "versions": [1,'));
    return refused('KADENDE_ERR_REGISTRY_BAD_RESPONSE', () => registry('/garbage').resolve({ name: 'echo', version: 'latest' }), /not JSON/);
  });

  it('a registry answering JSON that is not a plugin document', () => {
    routes.set('/wrong-shape/echo', (res) => res.end('{"name":"echo","versions":{"1.0.0":{"tarball":3}}}'));
    return refused('KADENDE_ERR_REGISTRY_BAD_RESPONSE', () => registry('/wrong-shape').resolve({ name: 'echo', version: 'latest' }), /not a plugin document/);
  });

  it('a registry whose document is truncated', () => {
    truncated('/trunc-doc/echo', documentFor('echo', '2.0.0', good));
    return refused('KADENDE_ERR_REGISTRY_BAD_RESPONSE', () => registry('/trunc-doc').resolve({ name: 'echo', version: 'latest' }));
  });

  it('a registry whose tarball is truncated', () => {
    const bytes = rawTarball(echoEntries('2.0.0'));
    routes.set('/trunc-tgz/echo', (res) => res.end(documentFor('echo', '2.0.0', bytes)));
    truncated('/trunc-tgz/echo/-/echo-2.0.0.tgz', bytes);
    return refused('KADENDE_ERR_PLUGIN_DOWNLOAD', () => registry('/trunc-tgz').resolve({ name: 'echo', version: 'latest' }), /echo@2\.0\.0/);
  });

  it('a registry whose tarball is missing', () => {
    routes.set('/no-tgz/echo', (res) => res.end(documentFor('echo', '2.0.0', good)));
    return refused('KADENDE_ERR_PLUGIN_NOT_FOUND', () => registry('/no-tgz').resolve({ name: 'echo', version: 'latest' }), /answered 404/);
  });

  it('a registry that cannot be reached', () =>
    refused('KADENDE_ERR_REGISTRY_UNREACHABLE', () => new RegistrySource(['http://127.0.0.1:9'], { cache }).resolve({ name: 'echo', version: 'latest' }), /127\.0\.0\.1:9.*echo/));

  it('a URL that cannot be reached', () =>
    refused('KADENDE_ERR_PLUGIN_UNREACHABLE', () => urls.install('http://127.0.0.1:9/echo-1.0.0.tgz'), /cannot fetch http:\/\/127\.0\.0\.1:9\/echo-1\.0\.0\.tgz/));

  it('a file: URL that does not exist', () =>
    refused('KADENDE_ERR_PLUGIN_UNREACHABLE', () => urls.install(pathToFileURL(join(tmp.root, 'missing.tgz')).href)));

  it('a URL answering 500', () => {
    routes.set('/u500.tgz', (res) => res.writeHead(500).end());
    return refused('KADENDE_ERR_PLUGIN_DOWNLOAD', () => urls.install(`${base}/u500.tgz`), /answered 500/);
  });

  it('the next registry is tried when the first one does not have the plugin', async () => {
    const bytes = rawTarball(echoEntries('6.0.0'));
    routes.set('/second/echo', (res) => res.end(documentFor('echo', '6.0.0', bytes)));
    serve('/second/echo/-/echo-6.0.0.tgz', bytes);
    const resolved = await new RegistrySource([`${base}/empty`, `${base}/second`], { cache }).resolve({ name: 'echo', version: 'latest' });
    expect(resolved!.pin).toMatchObject({ version: '6.0.0', source: 'registry', integrity: integrityOf(bytes) });
  });
});
