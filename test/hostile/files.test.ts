/**
 * Tokens and files (issue 16): one minimum token length wherever a token comes
 * from, and the data dir, the store and the plugin cache private to their user
 * (0700 folders, 0600 store files), as the token file already was.
 */
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApi, clientToken, daemonToken } from '../../host/api/index.js';
import { PluginCache } from '../../host/plugins/index.js';
import { LevelStore } from '../../host/store/index.js';
import { readTokenFile } from '../../lib/index.js';
import { createRegistryServer, registryToken } from '../../registry/index.js';
import { echoEntries, rawTarball } from '../distribution/support.js';
import { kadende, tempDir } from '../support/cli.js';
import { openTestService } from '../support/service.js';

const box = tempDir('hostile-files');
afterAll(() => box.cleanup());
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('tokens: one minimum length everywhere', () => {
  const short = { code: 'KADENDE_ERR_TOKEN_FILE', message: expect.stringMatching(/at least 16 characters/) };

  it('refuses a one-character KADENDE_TOKEN, for the daemon and for a client', () => {
    const dataDir = join(box.root, 'token-env');
    expect(() => daemonToken({ dataDir }, { KADENDE_TOKEN: 'x' })).toThrow(expect.objectContaining(short));
    expect(() => clientToken({ dataDir }, { KADENDE_TOKEN: 'x' })).toThrow(expect.objectContaining(short));
    expect(daemonToken({ dataDir }, { KADENDE_TOKEN: 'y'.repeat(16) }).token).toBe('y'.repeat(16));
  });

  it('refuses a one-character token given to the registry server or the API directly', async () => {
    await expect(createRegistryServer({ dir: join(box.root, 'registry'), token: 'x' })).rejects.toMatchObject(short);
    await expect(registryToken(undefined, { KADENDE_REGISTRY_TOKEN: 'x' })).rejects.toMatchObject(short);
    const t = await openTestService();
    try {
      await expect(buildApi({ service: t.service, feed: t.store.feed, token: 'x', logger: pino({ level: 'silent' }) })).rejects.toMatchObject(short);
    } finally {
      await t.close();
    }
  });

  it('warns about a token file other users may read, and not about a private one', () => {
    const file = join(box.root, 'token-0644');
    writeFileSync(file, `${'z'.repeat(20)}\n`);
    chmodSync(file, 0o644);
    const warnings: string[] = [];
    expect(readTokenFile(file, 'the API token', (m) => warnings.push(m))).toBe('z'.repeat(20));
    expect(warnings).toEqual([expect.stringMatching(/mode 0644.*chmod 600/)]);
    chmodSync(file, 0o600);
    readTokenFile(file, 'the API token', (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
  });

  it('says so on stderr when the CLI reads a token file of mode 0644', async () => {
    const file = join(box.root, 'cli-token');
    writeFileSync(file, `${'z'.repeat(20)}\n`, { mode: 0o644 });
    chmodSync(file, 0o644);
    const dataDir = join(box.root, 'cli-token-data');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'api-token'), `${'w'.repeat(20)}\n`);
    chmodSync(join(dataDir, 'api-token'), 0o644);
    // No daemon listens there: the warning comes before the connection fails.
    const result = await kadende(['--server', 'http://127.0.0.1:9', '--data-dir', dataDir, 'get', 'clusters'], { KADENDE_TOKEN: '' });
    expect(result.stderr).toMatch(/warning: .*api-token holds the API token and has mode 0644/);
  });
});

describe('the data dir, the store and the plugin cache are private', () => {
  it('makes a new store 0700 with no file others can read', async () => {
    const dir = join(box.root, 'store-new');
    const store = await LevelStore.open(dir);
    await store.close();
    expect(modeOf(dir)).toBe(0o700);
    expect(readdirSync(dir).length).toBeGreaterThan(3);
    // LevelDB makes its files with the umask's mode, but nobody else can reach them through a 0700 folder.
  });

  it('narrows an existing world-readable store and its files', async () => {
    const dir = join(box.root, 'store-old');
    await (await LevelStore.open(dir)).close();
    chmodSync(dir, 0o755);
    for (const file of readdirSync(dir)) chmodSync(join(dir, file), 0o644);
    await (await LevelStore.open(dir)).close();
    expect(modeOf(dir)).toBe(0o700);
    expect(readdirSync(dir).map((file) => [file, modeOf(join(dir, file)) & 0o077])).toEqual(readdirSync(dir).map((file) => [file, 0]));
  });

  it('makes the data dir the CLI opens 0700, an existing 0755 one too', async () => {
    const fresh = join(box.root, 'data-fresh', 'kadende');
    const old = join(box.root, 'data-old');
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    // apply makes the store (a lookup never does).
    const config = join(box.root, 'private.yaml');
    writeFileSync(config, `version: "1"\nname: private\ngroups:\n  g:\n    size: 0\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${join(box.root, 'private-files')} }\n`);
    for (const dataDir of [fresh, old]) {
      const result = await kadende(['--data-dir', dataDir, '-o', 'json', 'apply', '-f', config], { KADENDE_SERVER: '' });
      expect(result.code, result.stderr).toBe(0);
      expect(modeOf(dataDir)).toBe(0o700);
      expect(modeOf(join(dataDir, 'store'))).toBe(0o700);
    }
  });

  it('makes the plugin cache 0700 when it installs, an existing 0755 one too', async () => {
    const fresh = join(box.root, 'cache-fresh');
    await new PluginCache(fresh).install(rawTarball(echoEntries('1.0.0')), { source: 'url', where: 'test' });
    expect(modeOf(fresh)).toBe(0o700);
    const old = join(box.root, 'cache-old');
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    await new PluginCache(old).install(rawTarball(echoEntries('1.0.0')), { source: 'url', where: 'test' });
    expect(modeOf(old)).toBe(0o700);
    expect(modeOf(join(old, '.tmp'))).toBe(0o700);
  });
});
