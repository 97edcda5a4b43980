/**
 * The "done when", through the built CLI (`npm run build` first): a
 * real registry (`kadende registry serve`) on a free port; pack, publish,
 * apply a cluster naming the plugin with `latest`, reconcile through it,
 * publish a newer version and see the cluster stay pinned until
 * --upgrade-plugins; reuse offline; prune; install by URL with and without an
 * integrity; concurrent installs from several processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheSnapshot, CLI, echoPlugin, kadende, tempDir, TOKEN } from './support.js';

const tmp = tempDir('dist-cli');
const env = { KADENDE_DATA_DIR: join(tmp.root, 'data'), KADENDE_CACHE_DIR: join(tmp.root, 'cache') };
const tokenFile = join(tmp.root, 'token');
const resources = join(tmp.root, 'resources');
const config = join(tmp.root, 'cluster.yaml');
let server: ChildProcess;
let url = '';

const json = <T>(result: { code: number; stdout: string; stderr: string }): T => {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
};
const madeBy = () =>
  readdirSync(resources)
    .filter((f) => f.endsWith('.json'))
    .map((f) => (JSON.parse(readFileSync(join(resources, f), 'utf8')) as { madeBy: string }).madeBy)
    .sort();
const removeOneResource = () => rmSync(join(resources, readdirSync(resources).find((f) => f.endsWith('.json'))!));

async function packAndPublish(version: string): Promise<string> {
  const packed = json<{ file: string; integrity: string }>(await kadende(['-o', 'json', 'plugin', 'pack', echoPlugin(tmp.root, version), '--out-dir', tmp.root]));
  json(await kadende(['-o', 'json', 'plugin', 'publish', packed.file, '--registry', url, '--token-file', tokenFile]));
  return packed.integrity;
}

beforeAll(async () => {
  writeFileSync(tokenFile, `${TOKEN}\n`);
  writeFileSync(
    config,
    ['version: "0.0.1"', 'name: distributed', 'groups:', '  web:', '    size: 2', '    resourcePlugin:', '      name: Echo', '      version: latest', '    resourceProperties:', `      directory: ${resources}`, ''].join('\n'),
  );
  server = spawn(process.execPath, [CLI, '-o', 'json', 'registry', 'serve', '--dir', join(tmp.root, 'registry'), '--port', '0', '--token-file', tokenFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    server.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { url: string }).url));
    server.once('exit', (code) => reject(new Error(`registry exited ${code}`)));
  });
});
afterAll(() => {
  if (server.exitCode === null) server.kill();
  tmp.cleanup();
});

describe('plugin distribution through the CLI', () => {
  let first = '';

  it('packs reproducibly, prints the integrity, publishes once, refuses a re-publish', async () => {
    const dir = echoPlugin(tmp.root, '1.0.0');
    const a = await kadende(['plugin', 'pack', dir, '--out-dir', tmp.root]);
    expect(a.code).toBe(0);
    const integrity = /integrity: (sha512-\S+)/.exec(a.stdout)![1]!;
    const b = json<{ integrity: string }>(await kadende(['-o', 'json', 'plugin', 'pack', echoPlugin(tmp.root, '1.0.0'), '--out-dir', join(tmp.root)]));
    expect(b.integrity).toBe(integrity);
    first = await packAndPublish('1.0.0');
    expect(first).toBe(integrity);
    const again = await kadende(['plugin', 'publish', join(tmp.root, 'echo-1.0.0.tgz'), '--registry', url, '--token-file', tokenFile]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/409 echo@1\.0\.0 is already published.*KADENDE_ERR_REGISTRY_VERSION_EXISTS/);
  });

  it('applies a cluster naming the plugin with latest, pins it with its digest and reconciles through it', async () => {
    const applied = json<{ pins: Record<string, { name: string; version: string; source: string; integrity: string }> }>(
      await kadende(['-o', 'json', '--registry', url, 'apply', '-f', config], env),
    );
    expect(applied.pins.web).toMatchObject({ name: 'echo', version: '1.0.0', source: 'registry', integrity: first });
    json(await kadende(['-o', 'json', 'reconcile', 'distributed', '--wait', '--timeout', '30'], { ...env, KADENDE_REGISTRY: url }));
    expect(madeBy()).toEqual(['echo@1.0.0', 'echo@1.0.0']);
  });

  it('stays pinned when a newer version is published, until --upgrade-plugins', async () => {
    const second = await packAndPublish('1.1.0');
    const reapplied = json<{ result: string; pins: Record<string, { version: string }> }>(await kadende(['-o', 'json', '--registry', url, 'apply', '-f', config], env));
    expect(reapplied).toMatchObject({ result: 'unchanged', pins: { web: { version: '1.0.0' } } });
    removeOneResource();
    json(await kadende(['-o', 'json', '--registry', url, 'reconcile', 'distributed', '--wait', '--timeout', '30'], env));
    expect(madeBy()).toEqual(['echo@1.0.0', 'echo@1.0.0']);
    const described = json<{ cluster: { pins: Record<string, { version: string }> } }>(await kadende(['-o', 'json', 'describe', 'cluster', 'distributed'], env));
    expect(described.cluster.pins.web!.version).toBe('1.0.0');
    const human = await kadende(['describe', 'cluster', 'distributed'], env);
    expect(human.stdout).toMatch(/Echo@latest\s+echo@1\.0\.0\s+registry/);

    const upgraded = json<{ result: string; pins: Record<string, { version: string; integrity: string }> }>(
      await kadende(['-o', 'json', '--registry', url, 'apply', '-f', config, '--upgrade-plugins'], env),
    );
    expect(upgraded).toMatchObject({ result: 'updated', pins: { web: { version: '1.1.0', integrity: second } } });
    // The new version makes every resource outdated: a rolling replacement moves them all to it.
    json(await kadende(['-o', 'json', '--registry', url, 'reconcile', 'distributed', '--wait', '--timeout', '30'], env));
    expect(madeBy()).toEqual(['echo@1.1.0', 'echo@1.1.0']);
  });

  it('reconciles from the cache with the registry gone, and prunes what no cluster pins', async () => {
    const listed = json<Array<{ name: string; version: string }>>(await kadende(['-o', 'json', 'plugin', 'list'], env));
    expect(listed.map((p) => `${p.name}@${p.version}`)).toEqual(['echo@1.0.0', 'echo@1.1.0']);
    removeOneResource();
    // An unreachable registry configured: the pinned version is in the cache, so nothing is fetched.
    json(await kadende(['-o', 'json', '--registry', 'http://127.0.0.1:9', 'reconcile', 'distributed', '--wait', '--timeout', '30'], env));
    expect(madeBy()).toHaveLength(2);
    const pruned = json<{ removed: string[] }>(await kadende(['-o', 'json', 'plugin', 'prune'], env));
    expect(pruned.removed).toEqual(['echo@1.0.0']);
    expect(existsSync(join(env.KADENDE_CACHE_DIR, 'echo/1.0.0'))).toBe(false);
    expect(existsSync(join(env.KADENDE_CACHE_DIR, 'echo/1.1.0/plugin.js'))).toBe(true);
  });

  it('installs by URL with an integrity (enforced) and without one (first digest recorded)', async () => {
    const tarball = pathToFileURL(join(tmp.root, 'echo-1.0.0.tgz')).href;
    const cacheEnv = { KADENDE_CACHE_DIR: join(tmp.root, 'url-cache') };
    const wrong = await kadende(['plugin', 'install', tarball, '--integrity', `sha512-${Buffer.alloc(64).toString('base64')}`], cacheEnv);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/does not match its digest.*KADENDE_ERR_PLUGIN_INTEGRITY/);
    expect(cacheSnapshot(cacheEnv.KADENDE_CACHE_DIR)).toEqual([]);
    const right = json<{ pin: { version: string; source: string; integrity: string } }>(await kadende(['-o', 'json', 'plugin', 'install', tarball, '--integrity', first], cacheEnv));
    expect(right.pin).toMatchObject({ version: '1.0.0', source: 'url', integrity: first });

    const otherCache = { KADENDE_CACHE_DIR: join(tmp.root, 'url-cache-2') };
    json(await kadende(['-o', 'json', 'plugin', 'install', tarball], otherCache));
    const recorded = JSON.parse(readFileSync(join(otherCache.KADENDE_CACHE_DIR, '_kadende', 'url-digests.json'), 'utf8')) as Record<string, { integrity: string }>;
    expect(recorded[tarball]!.integrity).toBe(first);
  });

  it('applies a cluster whose plugin is a URL with an integrity', async () => {
    const tarball = pathToFileURL(join(tmp.root, 'echo-1.1.0.tgz')).href;
    const urlConfig = join(tmp.root, 'url-cluster.yaml');
    const integrity = json<{ pin: { integrity: string } }>(await kadende(['-o', 'json', 'plugin', 'install', tarball], env));
    writeFileSync(
      urlConfig,
      ['version: "0.0.1"', 'name: by-url', 'groups:', '  web:', '    size: 1', '    resourcePlugin:', '      name: echo', `      url: ${tarball}`, `      integrity: ${integrity.pin.integrity}`, '    resourceProperties:', `      directory: ${join(tmp.root, 'url-resources')}`, ''].join('\n'),
    );
    const applied = json<{ pins: Record<string, { source: string; version: string; url: string }> }>(await kadende(['-o', 'json', 'apply', '-f', urlConfig], env));
    expect(applied.pins.web).toMatchObject({ source: 'url', version: '1.1.0', url: tarball });
  });

  it('signs on publish, and with trusted keys installs only what a trusted key signed', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signKey = join(tmp.root, 'publisher.pem');
    const trusted = join(tmp.root, 'trusted.pem');
    writeFileSync(signKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(trusted, publicKey.export({ type: 'spki', format: 'pem' }));
    const packed = json<{ file: string }>(await kadende(['-o', 'json', 'plugin', 'pack', echoPlugin(tmp.root, '2.0.0'), '--out-dir', tmp.root]));
    const published = json<{ signed: boolean }>(await kadende(['-o', 'json', 'plugin', 'publish', packed.file, '--registry', url, '--token-file', tokenFile, '--sign-key', signKey]));
    expect(published.signed).toBe(true);
    const keysEnv = { KADENDE_CACHE_DIR: join(tmp.root, 'signed-cache'), KADENDE_TRUSTED_KEYS: trusted, KADENDE_REGISTRY: url };
    expect(json<{ pin: { version: string } }>(await kadende(['-o', 'json', 'plugin', 'install', 'echo@2.0.0'], keysEnv)).pin.version).toBe('2.0.0');
    const unsigned = await kadende(['plugin', 'install', 'echo@1.1.0'], keysEnv);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(/echo@1\.1\.0 from registry http.* is not signed.*KADENDE_ERR_PLUGIN_UNSIGNED/);
  });

  it('ends with one good copy when several processes install the same plugin at once', async () => {
    const shared = { KADENDE_CACHE_DIR: join(tmp.root, 'concurrent-cache') };
    const results = await Promise.all(Array.from({ length: 4 }, () => kadende(['-o', 'json', '--registry', url, 'plugin', 'install', 'echo@^1.0.0'], shared)));
    for (const result of results) expect(JSON.parse(json<{ pin: { version: string } }>(result) ? result.stdout : '{}').pin.version).toBe('1.1.0');
    const snapshot = cacheSnapshot(shared.KADENDE_CACHE_DIR);
    expect(snapshot.filter((line) => !line.startsWith('.tmp'))).toEqual(expect.arrayContaining(['echo/', 'echo/1.1.0/', expect.stringMatching(/^echo\/1\.1\.0\/plugin\.js /)]));
    expect(snapshot.filter((line) => line.startsWith('.tmp'))).toEqual([]);
    expect(readdirSync(join(shared.KADENDE_CACHE_DIR, 'echo'))).toEqual(['1.1.0']);
  });
});
