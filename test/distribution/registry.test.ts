/** The registry server and RegistrySource against it: publish rules, resolution, signatures. */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packPlugin } from '../../registry/pack.js';
import { RegistryClient } from '../../registry/client.js';
import { PluginCache } from '../../host/plugins/cache.js';
import { RegistrySource } from '../../host/plugins/sources.js';
import { readTrustedKeys, signPlugin } from '../../host/plugins/verify.js';
import { echoEntries, echoPlugin, rawTarball, startRegistry, tempDir, TOKEN } from './support.js';

const tmp = tempDir('registry');
let registry: Awaited<ReturnType<typeof startRegistry>>;
let client: RegistryClient;

const publish = async (version: string, options: { token?: string; signature?: string } = { token: TOKEN }) => {
  const packed = await packPlugin(echoPlugin(tmp.root, version));
  return client.publish('echo', packed.bytes, options);
};
const sourceFor = (cacheName: string, trustedKeys?: ReturnType<typeof readTrustedKeys>) =>
  new RegistrySource([registry.url], { cache: new PluginCache(join(tmp.root, cacheName)), trustedKeys });
const resolveVersion = async (wanted: string) => (await sourceFor('cache-resolve').resolve({ name: 'Echo', version: wanted }))?.pin.version;

beforeAll(async () => {
  registry = await startRegistry(join(tmp.root, 'registry'));
  client = new RegistryClient(registry.url);
  for (const version of ['1.0.0', '1.2.0', '1.10.0-beta.1', '0.9.0']) await publish(version);
});
afterAll(async () => {
  await registry.close();
  tmp.cleanup();
});

describe('registry server', () => {
  it('keeps one document per plugin with latest at the highest release, and tarballs on disk', async () => {
    const doc = await client.document('echo');
    expect(doc!['dist-tags'].latest).toBe('1.2.0');
    expect(Object.keys(doc!.versions).sort()).toEqual(['0.9.0', '1.0.0', '1.10.0-beta.1', '1.2.0']);
    expect(doc!.versions['1.0.0']).toMatchObject({ tarball: 'echo/-/echo-1.0.0.tgz', integrity: expect.stringMatching(/^sha512-/), contract: 1 });
    expect(existsSync(join(tmp.root, 'registry/echo/echo-1.2.0.tgz'))).toBe(true);
    expect(await client.document('nothing-here')).toBeUndefined();
  });

  it('refuses to publish without the token or with a wrong one', async () => {
    await expect(publish('3.0.0', {})).rejects.toMatchObject({ code: 'KADENDE_ERR_REGISTRY_UNAUTHORIZED' });
    await expect(publish('3.0.0', { token: 'wrong' })).rejects.toMatchObject({ code: 'KADENDE_ERR_REGISTRY_UNAUTHORIZED' });
    expect((await client.document('echo'))!.versions['3.0.0']).toBeUndefined();
  });

  it('refuses to re-publish a version with 409, even with other bytes, and keeps the first', async () => {
    const before = (await client.document('echo'))!.versions['1.0.0']!.integrity;
    const other = rawTarball(echoEntries('1.0.0'));
    await expect(client.publish('echo', other, { token: TOKEN })).rejects.toMatchObject({ code: 'KADENDE_ERR_REGISTRY_VERSION_EXISTS', statusCode: 409 });
    expect((await client.document('echo'))!.versions['1.0.0']!.integrity).toBe(before);
  });

  it('refuses an upload that is unsafe, not a plugin, or under another name', async () => {
    const put = (name: string, body: Buffer) =>
      request(`${registry.url}/${name}`, { method: 'PUT', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' } });
    const unsafe = await put('echo', rawTarball([...echoEntries('4.0.0'), { path: 'package/../../evil.js', body: 'x' }]));
    expect(unsafe.statusCode).toBe(400);
    expect(await unsafe.body.json()).toMatchObject({ code: 'KADENDE_ERR_TARBALL_UNSAFE' });
    const other = await put('other', rawTarball(echoEntries('4.0.0')));
    expect(other.statusCode).toBe(400);
    expect(((await other.body.json()) as { message: string }).message).toMatch(/plugin "echo", not "other"/);
    const noManifest = await put('echo', rawTarball([{ path: 'package/plugin.js', body: 'x' }]));
    expect(((await noManifest.body.json()) as { code: string }).code).toBe('KADENDE_ERR_PLUGIN_MANIFEST');
  });
});

describe('resolution through the registry', () => {
  it('answers exact versions, latest and ranges; a prerelease only when asked for exactly', async () => {
    expect(await resolveVersion('latest')).toBe('1.2.0');
    expect(await resolveVersion('1.0.0')).toBe('1.0.0');
    expect(await resolveVersion('^1.0.0')).toBe('1.2.0');
    expect(await resolveVersion('~1.0.0')).toBe('1.0.0');
    expect(await resolveVersion('<1.0.0')).toBe('0.9.0');
    // 1.10.0-beta.1 is higher, but a range never picks a prerelease.
    expect(await resolveVersion('>=1.2.0')).toBe('1.2.0');
  });

  it('says clearly when no version matches and when the plugin is unknown', async () => {
    await expect(sourceFor('cache-x').resolve({ name: 'echo', version: '>=1.3.0' })).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_NO_MATCHING_VERSION',
      message: expect.stringMatching(/plugin echo: no version matches ">=1.3.0" in registry http.*1\.10\.0-beta\.1/),
    });
    await expect(resolveVersion('1.10.0-beta.1')).resolves.toBe('1.10.0-beta.1');
    expect(await sourceFor('cache-x').resolve({ name: 'unknown', version: 'latest' })).toBeUndefined();
  });
});

describe('signatures', () => {
  const trusted = generateKeyPairSync('ed25519');
  const stranger = generateKeyPairSync('ed25519');
  const pem = (key: typeof trusted.privateKey) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
  let keysFile: string;

  beforeAll(async () => {
    keysFile = join(tmp.root, 'trusted.pem');
    writeFileSync(keysFile, trusted.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const sign = async (version: string, key: typeof trusted.privateKey, signedIntegrity?: string) => {
      const packed = await packPlugin(echoPlugin(tmp.root, version));
      const signature = signPlugin(pem(key), 'echo', version, signedIntegrity ?? packed.integrity);
      await client.publish('echo', packed.bytes, { token: TOKEN, signature });
    };
    await sign('5.0.0', trusted.privateKey);
    await sign('5.0.1', stranger.privateKey);
    // A genuine signature, but over other bytes.
    await sign('5.0.2', trusted.privateKey, 'sha512-AAAA');
  });

  it('stores the signature and, with trusted keys, accepts only plugins one of them signed', async () => {
    expect((await client.document('echo'))!.versions['5.0.0']!.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const keys = readTrustedKeys(keysFile);
    await expect(sourceFor('cache-signed', keys).resolve({ name: 'echo', version: '5.0.0' })).resolves.toMatchObject({
      pin: { name: 'echo', version: '5.0.0', source: 'registry', integrity: (await client.document('echo'))!.versions['5.0.0']!.integrity },
    });
    await expect(sourceFor('cache-signed', keys).resolve({ name: 'echo', version: '1.0.0' })).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_UNSIGNED' });
    await expect(sourceFor('cache-signed', keys).resolve({ name: 'echo', version: '5.0.1' })).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_SIGNATURE' });
    await expect(sourceFor('cache-signed', keys).resolve({ name: 'echo', version: '5.0.2' })).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_SIGNATURE' });
    // Without trusted keys, the digest alone decides.
    await expect(sourceFor('cache-unsigned').resolve({ name: 'echo', version: '5.0.1' })).resolves.toMatchObject({ pin: { name: 'echo', version: '5.0.1', source: 'registry' } });
    // ...and the digest still decides: 5.0.2's bytes match its published digest, so it loads too, signature or not.
    await expect(sourceFor('cache-unsigned').resolve({ name: 'echo', version: '5.0.2' })).resolves.toMatchObject({ pin: { version: '5.0.2' } });
  });
});
