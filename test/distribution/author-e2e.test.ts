/**
 * Issue 14's "done when", as a third-party plugin author and an operator do it,
 * through the built CLI (`npm run build` first), in a temporary folder outside
 * this repository with nothing from it on the module path but the SDK tarball:
 * `kadende plugin sdk` -> `plugin init` -> `npm install <sdk tarball> --offline`
 * -> the scaffold's `npm test` (build + its own contract test) -> `plugin pack`
 * -> `registry serve` -> `plugin keygen` -> `plugin publish --sign-key` -> a
 * cluster naming the plugin by name with a trusted key, and another naming it
 * by URL under a different local name, both reconciled to size through it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { list } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, kadende, tempDir, TOKEN, type CliResult } from './support.js';

const REPO = realpathSync(new URL('../../', import.meta.url).pathname);
const tmp = tempDir('author-e2e');
const bin = join(tmp.root, 'bin');
const author = join(tmp.root, 'author');
const plugin = join(author, 'acme');
const operator = join(tmp.root, 'operator');
const env = { KADENDE_DATA_DIR: join(operator, 'data'), KADENDE_CACHE_DIR: join(operator, 'cache') };
const tokenFile = join(operator, 'publish-token');
let server: ChildProcess | undefined;
let registry = '';

/** A command as the author runs it: kadende on PATH (a shim for the built CLI), no npm or node settings of this repository's test run. */
function sh(command: string, args: string[], cwd: string): Promise<CliResult> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE_PATH' && k !== 'NODE_OPTIONS' && !k.startsWith('VITEST')));
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...clean, PATH: `${bin}:${process.env.PATH}`, KADENDE_REGISTRY: '', KADENDE_TRUSTED_KEYS: '' }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const ok = (result: CliResult): string => {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  return result.stdout;
};
const json = <T>(result: CliResult): T => JSON.parse(ok(result)) as T;
const resourceCount = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).length : 0);

function clusterYaml(file: string, name: string, resourcePlugin: string[], directory: string, size: number): void {
  writeFileSync(
    file,
    ['version: "0.0.1"', `name: ${name}`, 'groups:', '  web:', `    size: ${size}`, '    resourcePlugin:', ...resourcePlugin.map((l) => `      ${l}`), '    resourceProperties:', `      directory: ${directory}`, ''].join('\n'),
  );
}

beforeAll(() => {
  expect(tmp.root.startsWith(REPO)).toBe(false);
  for (const dir of [bin, author, operator]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(bin, 'kadende'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  writeFileSync(tokenFile, `${TOKEN}\n`);
});
afterAll(() => {
  if (server && server.exitCode === null) server.kill();
  tmp.cleanup();
});

describe('from an empty folder to a published plugin that runs', () => {
  it('init, install the SDK tarball offline, build, run the scaffold own tests, pack', async () => {
    const sdk = json<{ file: string }>(await sh('kadende', ['-o', 'json', 'plugin', 'sdk', '--out-dir', author], author)).file;
    const made = json<{ files: string[] }>(await sh('kadende', ['-o', 'json', 'plugin', 'init', 'acme'], author));
    expect(made.files).toEqual(expect.arrayContaining(['package.json', 'src/index.ts', 'test/contract.test.mjs', 'README.md']));
    ok(await sh('npm', ['install', '--save-dev', sdk, '--offline', '--no-audit', '--no-fund'], plugin));
    // Nothing from this repository on the plugin's module path but the SDK from its tarball.
    expect(readdirSync(join(plugin, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['@kadende']);
    expect(readdirSync(join(plugin, 'node_modules/@kadende'))).toEqual(['plugin-sdk']);
    expect(realpathSync(join(plugin, 'node_modules/@kadende/plugin-sdk')).startsWith(REPO)).toBe(false);

    const tested = await sh('npm', ['test'], plugin);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    // Node 20 and 22 print TAP when not on a terminal, Node 24 its spec reporter: either summary.
    expect(tested.stdout).toMatch(/^(# |ℹ )pass 6$/m);
    expect(tested.stdout).toMatch(/^(# |ℹ )fail 0$/m);

    const packed = json<{ file: string; files: string[] }>(await sh('kadende', ['-o', 'json', 'plugin', 'pack', '.', '--out-dir', operator], plugin));
    expect(packed.files).toEqual(['README.md', 'dist/plugin.js', 'package.json']);
    const entries: string[] = [];
    await list({ file: packed.file, onReadEntry: (e) => entries.push(e.path) });
    expect(entries.sort()).toEqual(['package/README.md', 'package/dist/plugin.js', 'package/package.json']);

    // The same checks, without a test file, through a worker as the host runs it.
    const checked = json<{ passed: number; failed: number }>(
      await sh('kadende', ['-o', 'json', 'plugin', 'test', '.', '--properties', JSON.stringify({ directory: join(tmp.root, 'contract') })], plugin),
    );
    expect(checked).toMatchObject({ passed: 6, failed: 0 });
  });

  it('serves a registry, publishes signed with a key from keygen', async () => {
    server = spawn(process.execPath, [CLI, '-o', 'json', 'registry', 'serve', '--dir', join(operator, 'registry'), '--port', '0', '--token-file', tokenFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    registry = await new Promise<string>((resolve, reject) => {
      server!.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { url: string }).url));
      server!.once('exit', (code) => reject(new Error(`registry exited ${code}`)));
    });
    const keys = json<{ privateKey: string; publicKey: string }>(await sh('kadende', ['-o', 'json', 'plugin', 'keygen', '--out', join(author, 'acme-signing')], author));
    expect(readFileSync(keys.publicKey, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const published = json<{ signed: boolean; version: string }>(
      await sh('kadende', ['-o', 'json', 'plugin', 'publish', join(operator, 'acme-0.1.0.tgz'), '--registry', registry, '--token-file', tokenFile, '--sign-key', keys.privateKey], author),
    );
    expect(published).toMatchObject({ signed: true, version: '0.1.0' });
  });

  it('reconciles a cluster naming the plugin by name with a trusted key', async () => {
    const directory = join(operator, 'by-name');
    const config = join(operator, 'by-name.yaml');
    clusterYaml(config, 'by-name', ['name: acme', 'version: ^0.1.0'], directory, 3);
    const trusted = ['--registry', registry, '--trusted-keys', join(author, 'acme-signing.pub')];
    const applied = json<{ pins: Record<string, { name: string; source: string }> }>(await kadende(['-o', 'json', ...trusted, 'apply', '-f', config], env));
    expect(applied.pins.web).toMatchObject({ name: 'acme', source: 'registry' });
    json(await kadende(['-o', 'json', ...trusted, 'reconcile', 'by-name', '--wait', '--timeout', '30'], env));
    expect(resourceCount(directory)).toBe(3);
    // A key that did not sign it is refused.
    const other = await sh('kadende', ['plugin', 'keygen', '--out', join(operator, 'other')], operator);
    ok(other);
    const refused = await kadende(['--registry', registry, '--trusted-keys', join(operator, 'other.pub'), 'plugin', 'install', 'acme'], { KADENDE_CACHE_DIR: join(operator, 'cache-2') });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/KADENDE_ERR_PLUGIN_SIGNATURE/);
  });

  it('reconciles a cluster naming it by URL under its own local name, warning that the names differ', async () => {
    const directory = join(operator, 'by-url');
    const config = join(operator, 'by-url.yaml');
    const url = `${registry.replace(/\/$/, '')}/acme/-/acme-0.1.0.tgz`;
    clusterYaml(config, 'by-url', ['name: my-custom-plugin', `url: ${url}`], directory, 2);
    const applied = await kadende(['-o', 'json', 'apply', '-f', config], env);
    expect(applied.stderr).toMatch(/warning: plugin "my-custom-plugin" from .* is the package acme@0\.1\.0/);
    const pins = (JSON.parse(ok(applied)) as { pins: Record<string, { name: string; version: string; source: string; requested: { name: string } }> }).pins;
    expect(pins.web).toMatchObject({ name: 'acme', version: '0.1.0', source: 'url', requested: { name: 'my-custom-plugin' } });
    json(await kadende(['-o', 'json', 'reconcile', 'by-url', '--wait', '--timeout', '30'], env));
    expect(resourceCount(directory)).toBe(2);
    const described = ok(await kadende(['describe', 'cluster', 'by-url'], env));
    expect(described).toMatch(/my-custom-plugin@latest/);
    expect(described).toMatch(/acme@0\.1\.0/);
  });
});
