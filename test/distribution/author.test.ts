/**
 * What a plugin author meets before the end-to-end path works: pack bundles
 * (or refuses naming the import) and follows `files`; a plugin that cannot
 * load is reported at resolution (apply, install), not as timeouts later;
 * `plugin test` fails a plugin that breaks the contract, naming the check; a
 * local pin without its KADENDE_PLUGIN_PATH says what is missing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { extract } from 'tar';
import { globToRegExp, packPlugin } from '../../registry/pack.js';
import { LocalPluginSource, PluginResolver } from '../../host/plugins/resolve.js';
import { echoPlugin, kadende, tempDir } from './support.js';

const tmp = tempDir('author');
afterAll(() => tmp.cleanup());

/** An echo plugin copy whose plugin.js is replaced by `main`, with package.json patched. */
function pluginWith(main: string, pkgPatch: Record<string, unknown> = {}): string {
  const dir = echoPlugin(tmp.root, '1.0.0');
  writeFileSync(join(dir, 'plugin.js'), main);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, ...pkgPatch }, null, 2));
  return dir;
}

const echoSource = () => readFileSync(join(echoPlugin(tmp.root, '1.0.0'), 'plugin.js'), 'utf8');

/** The echo plugin, but its `definePlugin` comes from a package in its node_modules. */
function pluginWithDependency(): string {
  const source = echoSource().replace(
    /const BRAND = [^\n]+\nconst definePlugin = [^\n]+\n/,
    "import { definePlugin } from 'define-it';\n",
  );
  expect(source).toMatch(/from 'define-it'/);
  const dir = pluginWith(source);
  const dep = join(dir, 'node_modules/define-it');
  mkdirSync(dep, { recursive: true });
  writeFileSync(join(dep, 'package.json'), JSON.stringify({ name: 'define-it', version: '1.0.0', main: 'index.cjs' }));
  // CommonJS, as many dependencies are: the bundle must give it require.
  writeFileSync(join(dep, 'index.cjs'), "const { join } = require('node:path'); exports.definePlugin = (i) => Object.freeze({ ...i, [Symbol.for('kadende.plugin')]: 1, joined: join('a', 'b') });\n");
  return dir;
}

async function unpack(bytes: Buffer): Promise<string> {
  const dir = join(tmp.root, `unpacked-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dir);
  const file = join(dir, 'p.tgz');
  writeFileSync(file, bytes);
  await extract({ file, cwd: dir });
  return join(dir, 'package');
}

describe('plugin pack', () => {
  it('bundles a main that imports a dependency: the unpacked tarball runs with no node_modules, reproducibly', async () => {
    const dir = pluginWithDependency();
    const packed = await packPlugin(dir);
    expect(packed.bundled).toContain('node_modules/define-it/index.cjs');
    expect(packed.files).toEqual(['package.json', 'plugin.js']);
    const unpacked = await unpack(packed.bytes);
    const loaded = (await import(pathToFileURL(join(unpacked, 'plugin.js')).href)) as { default: { joined: string; describe: unknown } };
    expect(loaded.default.joined).toBe('a/b');
    expect(typeof loaded.default.describe).toBe('function');
    expect((await packPlugin(pluginWithDependency())).bytes.equals(packed.bytes)).toBe(true);
  });

  it('ships a self-contained main as written', async () => {
    const dir = echoPlugin(tmp.root, '1.0.0');
    const packed = await packPlugin(dir);
    expect(packed.bundled).toEqual([]);
    expect(readFileSync(join(await unpack(packed.bytes), 'plugin.js'), 'utf8')).toBe(readFileSync(join(dir, 'plugin.js'), 'utf8'));
  });

  it('refuses a main importing what it does not ship, naming the import', async () => {
    const dir = pluginWith(`import { definePlugin } from '@kadende/not-installed';\nexport default definePlugin({});\n`);
    await expect(packPlugin(dir)).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_IMPORT', message: expect.stringMatching(/plugin\.js imports "@kadende\/not-installed"/) });
    const cli = await kadende(['plugin', 'pack', dir, '--out-dir', tmp.root]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/"@kadende\/not-installed".*\n.*plugin\.js:1:\d+: Could not resolve/);
  });

  it('follows files globs and negations, and never packs tests, lockfiles or dotfiles', async () => {
    const dir = pluginWith(echoSource(), { files: ['plugin.js', 'lib/**/*.json', '!lib/private.json', 'docs'] });
    const put = (path: string) => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), '{}');
    };
    for (const path of ['lib/a.json', 'lib/deep/b.json', 'lib/private.json', 'lib/c.txt', 'docs/guide.md', 'docs/.secret', 'package-lock.json', '.env', 'test/plugin.test.js', 'docs/x.test.js', 'README.md', 'other.js']) put(path);
    expect((await packPlugin(dir)).files).toEqual(['README.md', 'docs/guide.md', 'lib/a.json', 'lib/deep/b.json', 'package.json', 'plugin.js']);
    // Without a files list: everything but the same exclusions.
    const all = pluginWith(echoSource(), { files: undefined });
    for (const path of ['src/x.js', 'package-lock.json', '.npmrc', 'test/a.test.js', 'tests/b.js', 'a.spec.ts']) {
      mkdirSync(join(all, path, '..'), { recursive: true });
      writeFileSync(join(all, path), '');
    }
    expect((await packPlugin(all)).files).toEqual(['package.json', 'plugin.js', 'src/x.js']);
  });

  it.each([
    ['dist/*.js', 'dist/a.js', true],
    ['dist/*.js', 'dist/x/a.js', false],
    ['dist/**/*.js', 'dist/x/y/a.js', true],
    ['dist/**/*.js', 'dist/a.js', true],
    ['*.{js,mjs}', 'a.mjs', true],
    ['*.{js,mjs}', 'a.cjs', false],
    ['file?.js', 'file1.js', true],
  ])('glob %s on %s: %s', (glob, path, matches) => {
    expect(globToRegExp(glob).test(path)).toBe(matches);
  });
});

describe('a plugin that cannot load', () => {
  const resolver = (dir: string) => new PluginResolver([new LocalPluginSource([join(dir, '..')], 'local')]);
  const folderOf = (main: string, name: string) => {
    const dir = pluginWith(main);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    pkg.kadende.name = name;
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
    return dir;
  };

  it.each([
    ['a missing module', 'missing', `import x from '@kadende/plugin-sdk-nowhere';\nexport default x;\n`, /ERR_MODULE_NOT_FOUND.*plugin-sdk-nowhere.*bundles its dependencies/s],
    ['a syntax error', 'syntax', 'export default definePlugin({ describe( ;\n', /SyntaxError/],
    ['a default export that is not a plugin', 'notaplugin', 'export default { describe() {}, create() {}, delete() {} };\n', /KADENDE_ERR_PLUGIN_MODULE: .*does not export default definePlugin/],
  ])('is refused when resolved (apply, install): %s', async (_what, name, main, reason) => {
    const dir = folderOf(main, name);
    await expect(resolver(dir).resolve({ name, version: 'latest' })).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_LOAD', exitCode: 2, message: expect.stringMatching(reason) });
  });

  it('is refused by apply, with exit 2, before anything is stored', async () => {
    const dir = folderOf(`import x from 'left-pad-nowhere';\nexport default x;\n`, 'broken');
    const config = join(tmp.root, 'broken.yaml');
    writeFileSync(config, ['version: "0.0.1"', 'name: broken', 'groups:', '  web:', '    size: 1', '    resourcePlugin: { name: broken }', `    resourceProperties: { directory: ${join(tmp.root, 'r')} }`, ''].join('\n'));
    const env = { KADENDE_DATA_DIR: join(tmp.root, 'data'), KADENDE_CACHE_DIR: join(tmp.root, 'cache'), KADENDE_PLUGIN_PATH: join(dir, '..') };
    const applied = await kadende(['apply', '-f', config], env);
    expect(applied.code).toBe(2);
    // Reported as a problem of the configuration, at the line naming the plugin.
    expect(applied.stderr).toMatch(/broken\.yaml:6:\d+: groups\.web\.resourcePlugin: plugin broken@1\.0\.0 .* does not load: ERR_MODULE_NOT_FOUND: Cannot find package 'left-pad-nowhere'/);
    expect((await kadende(['get', 'clusters', '-o', 'json'], env)).stdout.trim()).toBe('[]');
  });

  it('a local pin whose folder is not on KADENDE_PLUGIN_PATH says to set the path, not to upgrade', async () => {
    const pin = { name: 'mine', version: '1.0.0', source: 'local' as const, requested: { name: 'mine', version: 'latest' } };
    const saved = process.env.KADENDE_PLUGIN_PATH;
    delete process.env.KADENDE_PLUGIN_PATH;
    try {
      await expect(new PluginResolver([]).load(pin)).rejects.toMatchObject({ code: 'KADENDE_ERR_PLUGIN_PIN_UNAVAILABLE', message: expect.stringMatching(/KADENDE_PLUGIN_PATH is not set: set it/) });
    } finally {
      if (saved !== undefined) process.env.KADENDE_PLUGIN_PATH = saved;
    }
  });
});

describe('kadende plugin test', () => {
  it('passes a plugin that keeps the contract', async () => {
    const result = await kadende(['-o', 'json', 'plugin', 'test', echoPlugin(tmp.root, '1.0.0'), '--properties', JSON.stringify({ directory: join(tmp.root, 'ok') })]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ passed: 6, failed: 0 });
  });

  it('fails a plugin whose create is not idempotent, naming the check, with exit 1', async () => {
    // Each create makes a new file: the token is ignored.
    const source = echoSource().replace('const file = join(properties.directory, `${token}.json`);', 'const file = join(properties.directory, `${token}-${Math.random().toString(36).slice(2)}.json`);');
    expect(source).not.toBe(echoSource());
    const dir = pluginWith(source.replace("const resource = { id: token,", "const resource = { id: file.split('/').pop().slice(0, -5),"));
    const result = await kadende(['plugin', 'test', dir, '--properties', JSON.stringify({ directory: join(tmp.root, 'bad') })]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL create is idempotent on its token/);
    expect(result.stdout).toMatch(/ok {3}describe answers an empty list/);
    expect(result.stderr).toMatch(/KADENDE_ERR_PLUGIN_CONTRACT/);
  });

  it('refuses properties the manifest schema rejects', async () => {
    const result = await kadende(['plugin', 'test', echoPlugin(tmp.root, '1.0.0'), '--properties', '{"dir":"x"}']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/propertiesSchema.*directory/);
  });
});

describe('kadende plugin install', () => {
  it('refuses a tarball whose plugin cannot load, and says why', async () => {
    const { echoEntries, rawTarball } = await import('./support.js');
    const entries = echoEntries('1.0.0', { name: 'unloadable' }).map((e) => (e.path === 'package/plugin.js' ? { ...e, body: 'export default definePlugin({ describe( ;\n' } : e));
    const file = join(tmp.root, 'unloadable-1.0.0.tgz');
    writeFileSync(file, rawTarball(entries));
    const result = await kadende(['plugin', 'install', pathToFileURL(file).href], { KADENDE_CACHE_DIR: join(tmp.root, 'install-cache') });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/plugin unloadable@1\.0\.0 .* does not load: SyntaxError.*KADENDE_ERR_PLUGIN_LOAD/);
  });
});

describe('kadende reconcile --wait', () => {
  it('stops at once, saying why, when a pinned plugin no longer loads', async () => {
    const dir = echoPlugin(tmp.root, '1.0.0');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    pkg.kadende.name = 'rebuilt';
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
    const config = join(tmp.root, 'rebuilt.yaml');
    writeFileSync(config, ['version: "0.0.1"', 'name: rebuilt', 'groups:', '  web:', '    size: 1', '    resourcePlugin: { name: rebuilt }', `    resourceProperties: { directory: ${join(tmp.root, 'rebuilt-r')} }`, ''].join('\n'));
    const env = { KADENDE_DATA_DIR: join(tmp.root, 'data-rebuilt'), KADENDE_CACHE_DIR: join(tmp.root, 'cache'), KADENDE_PLUGIN_PATH: join(dir, '..') };
    expect((await kadende(['apply', '-f', config], env)).code).toBe(0);
    // The author breaks the build in place after the cluster pinned it.
    writeFileSync(join(dir, 'plugin.js'), "import 'not-bundled-dep';\nexport default 1;\n");
    const started = Date.now();
    const result = await kadende(['reconcile', 'rebuilt', '--wait', '--timeout', '60'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot converge without an operator: web: plugin rebuilt@1\.0\.0 .* does not load: ERR_MODULE_NOT_FOUND.*KADENDE_ERR_RECONCILE_STUCK/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
