/**
 * A hostile plugin against its sandbox (issue 10): it tries to read the host's
 * secrets (/proc/self/environ, the API token file, the store), to write into
 * the plugin cache, another cached plugin and a built-in's bundle, and to take
 * the host's memory with off-heap buffers. Each attempt is refused; a cached or
 * built-in plugin whose files were changed behind the cache's back is refused at
 * load, naming the file. (Run with KADENDE_PLUGIN_ISOLATION=in-process, the
 * sandbox tests fail: that is the host's own process.)
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginCache, type CachedPlugin } from '../../host/plugins/cache.js';
import { verifyBuiltin } from '../../host/plugins/builtin-index.js';
import { readPluginFolder } from '../../host/plugins/manifest.js';
import { PluginPool, hostCeilings } from '../../host/plugins/pool.js';
import { builtinPluginsDir } from '../../host/plugins/resolve.js';
import { packPlugin } from '../../registry/index.js';

const fixtures = new URL('../fixtures/plugins/', import.meta.url).pathname;
const SECRET = 'aws-secret-0f9e8d7c6b5a';
let root: string;
let cache: PluginCache;
let hostile: CachedPlugin;
let victim: CachedPlugin;
let pool: PluginPool;
let tokenFile: string;
let storeFile: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kadende-hostile-sandbox-'));
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
  process.env.DIGITALOCEAN_TOKEN = `do-${SECRET}`;
  // The daemon's data folder: its API token and its store.
  tokenFile = join(root, 'data', 'api-token');
  storeFile = join(root, 'data', 'store', 'CURRENT');
  mkdirSync(join(root, 'data', 'store'), { recursive: true });
  writeFileSync(tokenFile, `token-${SECRET}\n`, { mode: 0o600 });
  writeFileSync(storeFile, `MANIFEST-${SECRET}\n`);
  cache = new PluginCache(join(root, 'cache'));
  hostile = await cache.install((await packPlugin(join(fixtures, 'hostile'))).bytes, { source: 'url', where: 'hostile' });
  victim = await cache.install((await packPlugin(join(fixtures, 'faulty'))).bytes, { source: 'url', where: 'faulty' });
  pool = new PluginPool(hostile.folder, { log: () => {} });
});
afterAll(async () => {
  await pool?.close();
  delete process.env.AWS_SECRET_ACCESS_KEY;
  delete process.env.DIGITALOCEAN_TOKEN;
  rmSync(root, { recursive: true, force: true });
});

const probe = async (mode: string, properties: Record<string, unknown> = {}, on = pool) => {
  const answer = (await on.call('describe', { tags: { a: '1' }, properties: { mode, ...properties } })) as { resources: Array<{ tags: { result: string } }> };
  return answer.resources[0]!.tags.result;
};

describe('secrets stay with the host', () => {
  it('its environment holds only the declared names, and /proc/self/environ holds nothing of the host', async () => {
    expect(await probe('env')).toBe('TMPDIR');
    const environ = await probe('read', { path: '/proc/self/environ' });
    expect(environ).not.toContain(SECRET);
    expect(environ).toBe('refused:ERR_ACCESS_DENIED');
  });

  it("the daemon's API token file and the store cannot be read", async () => {
    expect(await probe('read', { path: tokenFile })).toBe('refused:ERR_ACCESS_DENIED');
    expect(await probe('read', { path: storeFile })).toBe('refused:ERR_ACCESS_DENIED');
    // Nor through a thread of its own started outside the permission model.
    expect(await probe('thread-escape', { path: tokenFile })).toBe('refused:ERR_ACCESS_DENIED');
    // Its own files it may read.
    expect(await probe('read', { path: join(hostile.folder.dir, 'package.json') })).toMatch(/^read:\{/);
  });
});

describe('the cache and the built-ins are read-only to plugins, and verified', () => {
  it('writes to its own cached code, another cached plugin, the cache and a built-in bundle are refused', async () => {
    const targets = [
      join(hostile.folder.dir, 'index.js'),
      join(victim.folder.dir, 'dist', 'index.js'),
      join(cache.dir, 'planted.js'),
      join(builtinPluginsDir(), 'file', 'dist', 'plugin.js'),
      join(root, 'data', 'store', 'LOG'),
    ];
    const before = targets.map((path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    });
    for (const path of targets) expect([path, await probe('write', { path, text: '\nthrow new Error("tampered");\n' })]).toEqual([path, 'refused:ERR_ACCESS_DENIED']);
    expect(
      targets.map((path) => {
        try {
          return readFileSync(path, 'utf8');
        } catch {
          return undefined;
        }
      }),
    ).toEqual(before);
  });

  it('a cached plugin whose files changed behind the cache is refused at load, naming the file', async () => {
    expect(await cache.get('faulty', '1.0.0')).toBeDefined();
    const main = join(victim.folder.dir, 'dist', 'index.js');
    const original = readFileSync(main);
    try {
      writeFileSync(main, `${original}\nthrow new Error("tampered");\n`);
      await expect(cache.get('faulty', '1.0.0')).rejects.toMatchObject({
        code: 'KADENDE_ERR_PLUGIN_INTEGRITY',
        message: expect.stringContaining('dist/index.js (changed)'),
      });
    } finally {
      writeFileSync(main, original);
    }
    expect(await cache.get('faulty', '1.0.0')).toBeDefined();
    writeFileSync(join(victim.folder.dir, 'extra.js'), 'planted');
    await expect(cache.get('faulty', '1.0.0')).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_INTEGRITY', message: expect.stringContaining('extra.js (added)') });
    rmSync(join(victim.folder.dir, 'extra.js'));
  });

  it('a built-in whose bundle changed is refused at load', async () => {
    const copy = join(root, 'kadende');
    cpSync(join(builtinPluginsDir(), 'file', 'package.json'), join(copy, 'plugins', 'file', 'package.json'));
    cpSync(join(builtinPluginsDir(), 'file', 'dist', 'plugin.js'), join(copy, 'plugins', 'file', 'dist', 'plugin.js'));
    cpSync(join(builtinPluginsDir(), '..', 'dist', 'builtin-plugins', 'index.json'), join(copy, 'dist', 'builtin-plugins', 'index.json'));
    const folder = await readPluginFolder(join(copy, 'plugins', 'file'));
    await verifyBuiltin(join(copy, 'plugins'), folder);
    writeFileSync(join(copy, 'plugins', 'file', 'dist', 'plugin.js'), '\nexport default 1;\n', { flag: 'a' });
    await expect(verifyBuiltin(join(copy, 'plugins'), folder)).rejects.toMatchObject({
      code: 'KADENDE_ERR_PLUGIN_INTEGRITY',
      message: expect.stringContaining('dist/plugin.js (changed)'),
    });
  });
});

describe('memory: the whole sandbox is bounded, off-heap included', () => {
  it('a plugin hoarding off-heap buffers past its limit is killed and replaced, and the call says why', async () => {
    const small = new PluginPool(hostile.folder, { ceilings: { ...hostCeilings({}), memoryMb: 128 }, log: () => {} });
    try {
      const error = (await probe('off-heap', { size: 2048 }, small).catch((e: Error) => e)) as Error & { code?: string };
      expect(error).toMatchObject({ code: 'KADENDE_ERR_PLUGIN_OUT_OF_MEMORY', message: expect.stringMatching(/sandbox used \d+ MB of memory \(RSS, heap and off-heap\), over its limit of \d+ MB/) });
      const sandbox = small.sandboxes.get('')!;
      expect(sandbox.rssLimitMb).toBeLessThan(400);
      expect(await probe('echo', {}, small).catch((e: Error) => e.message)).toBeUndefined(); // echo carries no result tag
      expect(sandbox.started).toBe(2);
    } finally {
      await small.close();
    }
  }, 30_000);
});
