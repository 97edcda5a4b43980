/**
 * A daemon on a NATS store whose nats-server dies: /readyz answers 503 naming the lost store,
 * /healthz stays 200, and the daemon does no work (no plugin call) until the server is back;
 * then it is ready again, keeps its lease (an outage shorter than its lease), and repairs what
 * broke meanwhile. A real nats-server killed with SIGKILL and started again on the same port.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kadende, resourceFiles, tempDir } from '../support/cli.js';
import { NatsServer, until } from '../support/nats-server.js';
import { fileCluster } from '../support/service.js';
import { FleetDaemon } from './daemons.js';

const box = tempDir('fleet-readiness');
const children: ChildProcess[] = [];
const directory = join(box.root, 'res');
let nats: NatsServer;
let daemon: FleetDaemon;

beforeAll(async () => {
  nats = await NatsServer.start();
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(box.root, 'c.yaml'), fileCluster('ready-shop', directory, 2));
  const applied = await kadende(['--store', nats.url, 'apply', '-f', join(box.root, 'c.yaml')], { KADENDE_DATA_DIR: join(box.root, 'cli'), KADENDE_CACHE_DIR: join(box.root, 'cache') });
  expect(applied.code, applied.stderr).toBe(0);
  // A lease of 20 s: the daemon counts it as its own for 13 s after a renewal, longer than the outage
  // below (the kill, 2.3 s, the restart and the client's reconnect). With 9 s a busy machine (the
  // whole suite at once) sometimes let the KV entry expire in the restarted server first.
  daemon = await FleetDaemon.start(nats.url, box.root, 'solo', children, { interval: 0.5, leaseTtl: 20 });
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await nats?.stop();
  box.cleanup();
});

const calls = () => daemon.metric('kadende_plugin_calls_total');

describe('a daemon whose NATS store goes away', () => {
  it('is not ready and does no work while NATS is down, then resumes where it was', async () => {
    await until(() => resourceFiles(directory).length === 2, 30_000, 'converged before the outage');
    expect((await daemon.get('/readyz')).status).toBe(200);
    // Passes run every half second: calls keep coming while connected.
    const start = await calls();
    await until(async () => (await calls()) > start + 2, 10_000, 'plugin calls while connected');

    await nats.halt();
    await until(async () => (await daemon.get('/readyz')).status === 503, 10_000, '/readyz 503');
    const ready = JSON.parse((await daemon.get('/readyz')).body);
    expect(ready).toMatchObject({ ready: false, store: { url: nats.url, connected: false } });
    expect(ready.reason).toContain(`lost the connection to the NATS store at ${nats.url}`);
    expect((await daemon.get('/healthz')).status).toBe(200);
    // A pass that was in flight may finish its current call; none starts afterwards.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const during = await calls();
    unlinkSync(resourceFiles(directory)[0]!.file);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await calls()).toBe(during);
    expect(resourceFiles(directory)).toHaveLength(1);

    await nats.resume();
    await until(async () => (await daemon.get('/readyz')).status === 200, 20_000, '/readyz 200 again');
    await until(() => resourceFiles(directory).length === 2, 20_000, 'repaired after the outage');
    expect(await calls()).toBeGreaterThan(during);
    // The outage was shorter than the lease: kept, never lost.
    expect(await daemon.metric('kadende_lease_losses_total')).toBe(0);
    expect(await daemon.metric('kadende_leases_held')).toBe(1);
    expect(daemon.output()).toContain('the NATS store is reachable again');
  });
});
