/**
 * Hostile plugin tarballs (issue 16): modes beyond 0755/0644 dropped, the
 * cache's own files out of the plugin names' way, trailing data refused in
 * linear time without blocking other requests, a gzip bomb refused without
 * the memory it asks for, and a registry that accepts only what a client
 * could install.
 */
import { mkdirSync, statSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginCache, UrlSource } from '../../host/plugins/index.js';
import { integrityOf } from '../../lib/index.js';
import { readTarballManifest } from '../../registry/index.js';
import { echoEntries, startRegistry, tempDir, TOKEN } from '../distribution/support.js';

interface Entry {
  path: string;
  type?: 'File' | 'Directory' | 'ExtendedHeader' | 'SymbolicLink' | 'Link';
  body?: string | Buffer;
  mode?: number;
}

const box = tempDir('hostile-tarballs');
afterAll(() => box.cleanup());

function block(entry: Entry, size: number): Buffer {
  const type = entry.type ?? 'File';
  const header = new Header({ path: entry.path, type, size, mode: entry.mode ?? (type === 'Directory' ? 0o755 : 0o644), mtime: new Date(0) });
  const out = Buffer.alloc(512);
  header.encode(out, 0);
  return out;
}

/** An uncompressed tar, header by header, with its end-of-archive marker. */
function tar(entries: Entry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    blocks.push(block(entry, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
const tgz = (entries: Entry[], trailing = Buffer.alloc(0)) => gzipSync(Buffer.concat([tar(entries), trailing]));
const pax = (records: Record<string, string>): Entry => {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const text = ` ${key}=${value}\n`;
      let length = text.length + 1;
      while (`${length}${text}`.length !== length) length += 1;
      return `${length}${text}`;
    })
    .join('');
  return { path: 'PaxHeader/entry', type: 'ExtendedHeader', body };
};

let n = 0;
const cache = () => new PluginCache(join(box.root, `cache-${(n += 1)}`));
const install = (bytes: Buffer, into = cache()) => into.install(bytes, { source: 'url', where: 'test tarball' });

describe('modes', () => {
  it('drops set-uid, set-gid, sticky and world-writable bits: files 0755 or 0644, folders 0755', async () => {
    const bytes = tgz([
      ...echoEntries('1.0.0'),
      { path: 'package/bin/', type: 'Directory', mode: 0o7777 },
      { path: 'package/bin/suid', body: '#!/bin/sh\n', mode: 0o4755 },
      { path: 'package/bin/sgid', body: '#!/bin/sh\n', mode: 0o2711 },
      { path: 'package/bin/open', body: 'x', mode: 0o666 },
    ]);
    const { folder } = await install(bytes);
    const mode = (path: string) => statSync(join(folder.dir, path)).mode & 0o7777;
    // The cache then makes its folders read-only (no write bits): what is left is 0755/0644 less those.
    const allowed = (m: number) => m & ~process.umask() & ~0o222;
    expect(mode('bin/suid')).toBe(allowed(0o755));
    expect(mode('bin/sgid')).toBe(allowed(0o755));
    expect(mode('bin/open')).toBe(allowed(0o644));
    expect(mode('bin')).toBe(allowed(0o755));
  });
});

describe("the cache's own files", () => {
  it('keeps URL installs working after a plugin named url-digests.json is installed by URL', async () => {
    const dir = join(box.root, 'cache-digests');
    const urls = new UrlSource({ cache: new PluginCache(dir) });
    const named = join(box.root, 'url-digests.tgz');
    writeFileSync(named, tgz(echoEntries('1.0.0', { name: 'url-digests.json' })));
    const echo = join(box.root, 'echo-1.0.0.tgz');
    writeFileSync(echo, tgz(echoEntries('1.0.0')));
    expect((await urls.install(pathToFileURL(named).href)).meta.name).toBe('url-digests.json');
    expect((await urls.install(pathToFileURL(echo).href)).meta.name).toBe('echo');
    expect(Object.keys(await urls.recordedDigests())).toEqual([pathToFileURL(named).href, pathToFileURL(echo).href]);
  });

  it("still reads an old cache's url-digests.json, and moves it out of the plugins' way", async () => {
    const dir = join(box.root, 'cache-legacy');
    mkdirSync(dir);
    const url = pathToFileURL(join(box.root, 'legacy.tgz')).href;
    writeFileSync(join(box.root, 'legacy.tgz'), tgz(echoEntries('2.0.0')));
    const recorded = { integrity: integrityOf(Buffer.from('other bytes')), name: 'echo', version: '2.0.0' };
    writeFileSync(join(dir, 'url-digests.json'), JSON.stringify({ [url]: recorded }));
    const urls = new UrlSource({ cache: new PluginCache(dir) });
    expect((await urls.recordedDigests())[url]).toEqual(recorded);
    await expect(urls.install(url)).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_INTEGRITY', message: expect.stringMatching(/changed: it had digest/) });
    expect(existsSync(join(dir, 'url-digests.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, '_kadende', 'url-digests.json'), 'utf8'))).toEqual({ [url]: recorded });
  });

  it('refuses a tarball holding a folder named .kadende-cache.json with a Kadende code', async () => {
    const bytes = tgz([...echoEntries('1.0.0'), { path: 'package/.kadende-cache.json/', type: 'Directory' }]);
    await expect(install(bytes)).rejects.toMatchObject({ code: 'KADENDE_ERR_TARBALL_UNSAFE', message: expect.stringMatching(/\.kadende-cache\.json/) });
  });
});

describe('bounded work and memory per tarball', () => {
  it('refuses data after the end-of-archive marker, quickly', async () => {
    const garbage = Buffer.alloc(100 * 1024, 'k');
    const started = Date.now();
    await expect(install(tgz(echoEntries('1.0.0'), garbage))).rejects.toMatchObject({ code: 'KADENDE_ERR_TARBALL_UNSAFE', message: expect.stringMatching(/after the end-of-archive marker/) });
    expect(Date.now() - started).toBeLessThan(3000);
    // Zero padding (tar's record size) is what packers write: accepted.
    expect((await install(tgz(echoEntries('1.0.0'), Buffer.alloc(20 * 1024)))).meta.name).toBe('echo');
  });

  it('refuses a gzip bomb without holding what it expands to', async () => {
    // 1,000 gzip members of 1 MB of zeros each: about 1 MB that expands to 1 GB.
    const member = gzipSync(Buffer.alloc(1024 * 1024));
    const bomb = Buffer.concat([gzipSync(tar(echoEntries('1.0.0')).subarray(0, -1024)), ...Array(1000).fill(member)]);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const before = process.resourceUsage().maxRSS;
    await expect(install(bomb)).rejects.toMatchObject({ code: 'KADENDE_ERR_TARBALL_UNSAFE' });
    expect((process.resourceUsage().maxRSS - before) / 1024).toBeLessThan(200);
  });
});

describe('the registry accepts only what a client could install', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  beforeAll(async () => {
    registry = await startRegistry(join(box.root, 'registry'));
  });
  afterAll(() => registry?.close());
  const put = (name: string, body: Buffer) =>
    request(`${registry.url}/${name}`, { method: 'PUT', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' } });

  it.each([
    ['a main that escapes', tgz(echoEntries('1.0.0', { main: '../outside.js' })), 'KADENDE_ERR_PLUGIN_MANIFEST'],
    ['an absolute main', tgz(echoEntries('1.0.1', { main: '/etc/passwd' })), 'KADENDE_ERR_PLUGIN_MANIFEST'],
    ['a missing main', tgz(echoEntries('1.0.2', { main: 'missing.js' })), 'KADENDE_ERR_PLUGIN_MANIFEST'],
    ['a main that is a folder', tgz([...echoEntries('1.0.3', { main: 'lib' }), { path: 'package/lib/', type: 'Directory' }]), 'KADENDE_ERR_PLUGIN_MANIFEST'],
    ['a folder named like a cache file', tgz([...echoEntries('1.0.4'), { path: 'package/.kadende-cache.json/', type: 'Directory' }]), 'KADENDE_ERR_TARBALL_UNSAFE'],
    ['a pax link path', tgz([...echoEntries('1.0.5'), pax({ linkpath: '/etc/passwd' }), { path: 'package/link', body: '' }]), 'KADENDE_ERR_TARBALL_UNSAFE'],
    ['trailing data', tgz(echoEntries('1.0.6'), Buffer.alloc(10 * 1024, 'k')), 'KADENDE_ERR_TARBALL_UNSAFE'],
  ])('refuses %s, as an install does', async (_what, bytes, code) => {
    const response = await put('echo', bytes);
    expect(response.statusCode).toBe(400);
    expect(await response.body.json()).toMatchObject({ code });
    await expect(install(bytes)).rejects.toMatchObject({ code });
    await expect(readTarballManifest(bytes, 'test')).rejects.toMatchObject({ code });
  });

  it('answers other requests while refusing a tarball with 200 KB of trailing data', async () => {
    const publishing = put('echo', tgz(echoEntries('2.0.0'), Buffer.alloc(200 * 1024, 'k')));
    const started = Date.now();
    const get = await request(`${registry.url}/echo`);
    await get.body.dump();
    expect(Date.now() - started).toBeLessThan(2000);
    const response = await publishing;
    expect(response.statusCode).toBe(400);
    expect(Date.now() - started).toBeLessThan(3000);
    await response.body.dump();
    // And a good tarball is still published.
    const good = await put('echo', tgz(echoEntries('2.0.1')));
    expect(good.statusCode).toBe(201);
    await good.body.dump();
  });
});
