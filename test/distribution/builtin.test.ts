/**
 * Built-in plugins resolve with no registry at all, under the sample's names,
 * and pin the digest of the tarball the build packed (`npm run build` first:
 * scripts/pack-builtins.mjs writes dist/builtin-plugins/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { distributionSources } from '../../host/plugins/chain.js';
import { PluginResolver } from '../../host/plugins/resolve.js';
import { cacheSnapshot, tempDir } from './support.js';

const built = new URL('../../dist/builtin-plugins/', import.meta.url).pathname;
const index = JSON.parse(readFileSync(join(built, 'index.json'), 'utf8')) as Record<string, { version: string; integrity: string; file: string }>;
const tmp = tempDir('builtin');
afterAll(() => tmp.cleanup());

describe('built-in plugins', () => {
  // No registry, no plugin path: only what ships with Kadende.
  const offline = distributionSources({ cacheDir: join(tmp.root, 'cache') }, {});

  it.each([
    ['File', 'file'],
    ['aws', 'aws'],
    ['gcd', 'gcp'],
    ['digitalOcean', 'digitalocean'],
  ])('"%s" resolves offline to the built-in %s with the packed digest', async (asked, name) => {
    const resolved = await new PluginResolver(offline.sources).resolve({ name: asked, version: 'latest' });
    expect(resolved.pin).toMatchObject({ name, source: 'builtin', integrity: index[name]!.integrity, requested: { name: asked } });
    expect(resolved.folder.manifest.name).toBe(name);
  });

  it('packs each built-in into an installable tarball whose digest the index records', async () => {
    expect(Object.keys(index)).toEqual(expect.arrayContaining(['file', 'aws']));
    const { url, cache } = distributionSources({ cacheDir: join(tmp.root, 'cache') }, {});
    const tarball = pathToFileURL(join(built, index.file!.file)).href;
    const cached = await url.install(tarball, index.file!.integrity);
    expect(cached.meta).toMatchObject({ name: 'file', version: index.file!.version, integrity: index.file!.integrity });
    expect(cacheSnapshot(cache.dir)).toEqual(expect.arrayContaining([expect.stringMatching(/^file\/0\.1\.0\/dist\/plugin\.js /)]));
  });
});
