// `--store nats://...` and KADENDE_STORE: two hosts (two data dirs) share one fleet through NATS.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kadende, resourceFiles, scratch } from '../support/cli.js';
import { NatsServer } from '../support/nats-server.js';

const box = scratch('store-flag');
const directory = join(box.root, 'res');
const configFile = join(box.root, 'cluster.yaml');
let nats: NatsServer;
const hostA = { KADENDE_DATA_DIR: join(box.root, 'a'), KADENDE_CACHE_DIR: join(box.root, 'cache') };
const hostB = { KADENDE_DATA_DIR: join(box.root, 'b'), KADENDE_CACHE_DIR: join(box.root, 'cache') };

beforeAll(async () => {
  nats = await NatsServer.start();
  writeFileSync(configFile, `version: "1"\nname: shared-shop\ngroups:\n  web:\n    size: 2\n    resourcePlugin: { name: file }\n    resourceProperties: { directory: ${directory} }\n`);
}, 20_000);
afterAll(async () => {
  await nats.stop();
  box.cleanup();
});

describe('--store nats://', () => {
  it('applies on one host, reconciles on another, and lists from either; the default stays the local LevelDB', async () => {
    const applied = await kadende(['--store', nats.url, 'apply', '-f', configFile], hostA);
    expect(applied.stderr).toContain('created');
    expect(applied.code).toBe(0);
    const reconciled = await kadende(['reconcile', 'shared-shop', '--wait'], { ...hostB, KADENDE_STORE: nats.url });
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(resourceFiles(directory)).toHaveLength(2);
    const listed = await kadende(['-o', 'json', '--store', nats.url, 'get', 'resources', 'shared-shop'], hostA);
    expect(JSON.parse(listed.stdout)).toHaveLength(2);
    // Without --store, host A uses its own embedded store, which nothing was applied to (and a lookup never makes one).
    const local = await kadende(['-o', 'json', 'get', 'clusters'], hostA);
    expect(local.code).toBe(1);
    expect(JSON.parse(local.stderr)).toMatchObject({ error: { code: 'KADENDE_ERR_STORE_NOT_FOUND' } });
  });

  it('refuses a store URL that is not a NATS URL', async () => {
    const result = await kadende(['--store', 'http://x', 'get', 'clusters'], hostA);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('KADENDE_ERR_ARGUMENT');
  });
});
