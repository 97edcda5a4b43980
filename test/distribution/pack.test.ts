/** `kadende plugin pack` in-process: reproducible bytes, and refusals with the reason. */
import { utimesSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { list } from 'tar';
import { packPlugin } from '../../registry/pack.js';
import { readTarballManifest } from '../../registry/tarball.js';
import { integrityOf } from '../../lib/index.js';
import { echoPlugin, tempDir } from './support.js';

const tmp = tempDir('pack');
afterAll(() => tmp.cleanup());

describe('plugin pack', () => {
  it('gives byte-identical tarballs for the same input, wherever and whenever it sits', async () => {
    const a = echoPlugin(tmp.root, '1.0.0');
    const b = echoPlugin(tmp.root, '1.0.0');
    utimesSync(join(b, 'plugin.js'), new Date('2001-01-01'), new Date('2001-01-01'));
    const first = await packPlugin(a);
    const second = await packPlugin(b);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(first.integrity).toBe(integrityOf(first.bytes));
    expect(first.integrity).toMatch(/^sha512-/);
    expect(first.fileName).toBe('echo-1.0.0.tgz');
    // gzip header: no timestamp, "unknown" OS byte.
    expect([...first.bytes.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(first.bytes[9]).toBe(255);
    const entries: Array<{ path: string; mtime?: Date; uid?: number }> = [];
    const listing = list({ onReadEntry: (e) => entries.push({ path: e.path, mtime: e.mtime, uid: e.uid }) });
    const ended = new Promise((r) => listing.on('end', r));
    listing.end(first.bytes);
    await ended;
    expect(entries.map((e) => e.path)).toEqual(['package/package.json', 'package/plugin.js']);
    expect(new Set(entries.map((e) => e.mtime?.toISOString()))).toEqual(new Set(['1985-10-26T08:15:00.000Z']));
    expect((await readTarballManifest(first.bytes, 'packed')).version).toBe('1.0.0');
  });

  it('changes the digest when a byte of content changes', async () => {
    const dir = echoPlugin(tmp.root, '1.0.0');
    const before = await packPlugin(dir);
    writeFileSync(join(dir, 'plugin.js'), `${readFileSync(join(dir, 'plugin.js'), 'utf8')}\n`);
    expect((await packPlugin(dir)).integrity).not.toBe(before.integrity);
  });

  it.each([
    ['no kadende field', (pkg: Record<string, unknown>) => delete pkg.kadende, /no "kadende" field/],
    ['a bad semver', (pkg: { kadende: Record<string, unknown> }) => (pkg.kadende.version = '1.0'), /kadende\/version/],
    ['another contract', (pkg: { kadende: Record<string, unknown> }) => (pkg.kadende.contract = 2), /kadende\/contract/],
    [
      'a schema that is not JSON Schema',
      (pkg: { kadende: Record<string, unknown> }) => (pkg.kadende.propertiesSchema = { type: 'object', properties: { a: { type: 'nonsense' } } }),
      /not a valid JSON Schema/,
    ],
    ['a main that does not exist', (pkg: { kadende: Record<string, unknown> }) => (pkg.kadende.main = 'missing.js'), /kadende.main "missing.js"/],
  ])('refuses a folder with %s, saying why', async (_what, spoil, reason) => {
    const dir = echoPlugin(tmp.root, '1.0.0');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    (spoil as (p: unknown) => void)(pkg);
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
    await expect(packPlugin(dir)).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_MANIFEST', message: expect.stringMatching(reason) });
  });
});
