/**
 * Two real daemons on one nats-server: which host holds a cluster is visible (the cluster JSON's
 * `holder`, `describe cluster`), a request about the cluster through the host that does not hold
 * it is answered by the holder (forwarded), an apply through either is reconciled by the holder
 * at once, the CLI follows a 307 to another daemon, and after a kill -9 of the holder the other
 * host takes it over and counts the takeover.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kadende, resourceFiles, tempDir } from '../support/cli.js';
import { NatsServer, until } from '../support/nats-server.js';
import { fileCluster } from '../support/service.js';
import { FLEET_TOKEN, FleetDaemon } from './daemons.js';

const box = tempDir('fleet-holders');
const children: ChildProcess[] = [];
const directory = join(box.root, 'res');
const cli = { KADENDE_DATA_DIR: join(box.root, 'cli'), KADENDE_CACHE_DIR: join(box.root, 'cache'), KADENDE_TOKEN: FLEET_TOKEN };
let nats: NatsServer;
let a: FleetDaemon;
let b: FleetDaemon;
let redirector: Server | undefined;

beforeAll(async () => {
  nats = await NatsServer.start();
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(box.root, 'c.yaml'), fileCluster('held-shop', directory, 2));
  const applied = await kadende(['--store', nats.url, 'apply', '-f', join(box.root, 'c.yaml')], cli);
  expect(applied.code, applied.stderr).toBe(0);
  // A long interval: a pass soon after an apply is the kick's doing, not the schedule's.
  a = await FleetDaemon.start(nats.url, box.root, 'host-a', children, { interval: 60, leaseTtl: 3 });
  await until(async () => (await a.metric('kadende_leases_held')) === 1, 20_000, 'host-a holds the cluster');
  // host-b announces a URL of its own choosing (--advertise): the holder's address is that one.
  b = await FleetDaemon.start(nats.url, box.root, 'host-b', children, { interval: 60, leaseTtl: 3, advertise: (port) => `http://localhost:${port}` });
  await until(() => resourceFiles(directory).length === 2, 30_000, 'converged by host-a');
}, 90_000);

afterAll(async () => {
  redirector?.close();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await nats?.stop();
  box.cleanup();
});

describe('the holder of a cluster, on a NATS store', () => {
  it('is in the cluster JSON and in describe cluster, from either host and from the CLI on the store', async () => {
    for (const daemon of [a, b]) {
      const got = await daemon.get('/v1/clusters/held-shop?status=false');
      expect(got.status).toBe(200);
      const { holder } = JSON.parse(got.body);
      expect(holder).toMatchObject({ hostId: 'host-a', address: a.url });
      expect(Date.parse(holder.since)).toBeLessThanOrEqual(Date.now());
    }
    const viaB = await kadende(['--server', b.url, 'describe', 'cluster', 'held-shop'], cli);
    expect(viaB.code, viaB.stderr).toBe(0);
    expect(viaB.stdout).toMatch(new RegExp(`Holder: +host-a at ${a.url}, since \\d{4}-`));
    const direct = await kadende(['--store', nats.url, '-o', 'json', 'describe', 'cluster', 'held-shop'], cli);
    expect(direct.code, direct.stderr).toBe(0);
    expect(JSON.parse(direct.stdout).holder).toMatchObject({ hostId: 'host-a', address: a.url });
  });

  it('answers a reconcile, the status and the cluster with its status through the other host with the holder\'s answer', async () => {
    const reconciled = await b.send('POST', '/v1/clusters/held-shop/reconcile', '{}');
    expect(reconciled.status, reconciled.body).toBe(200);
    expect(reconciled.headers['x-kadende-served-by']).toBe('host-a');
    expect(JSON.parse(reconciled.body)).toMatchObject({ clusterName: 'held-shop', converged: true });
    const status = await b.get('/v1/clusters/held-shop/status');
    expect(status.headers['x-kadende-served-by']).toBe('host-a');
    expect(JSON.parse(status.body)).toMatchObject({ source: 'last-pass', report: { converged: true } });
    const described = await b.get('/v1/clusters/held-shop');
    expect(JSON.parse(described.body).status).toMatchObject({ converged: true });
    // Reads of stored data are answered where they arrive.
    expect((await b.get('/v1/clusters/held-shop/resources')).headers['x-kadende-served-by']).toBe('host-b');
    // The CLI through the host that does not hold it: the same as through the holder.
    const viaCli = await kadende(['--server', b.url, 'reconcile', 'held-shop', '--wait', '--timeout', '20'], cli);
    expect(viaCli.code, viaCli.stderr).toBe(0);
  });

  it('is the only one to reconcile or delete it: the CLI on the store refuses, naming the holder, and calls no plugin', async () => {
    const before = resourceFiles(directory).sort();
    // What a refused command could have written (a pass's own reconcile.* events come from the holder's passes).
    const written = async () =>
      (JSON.parse((await a.get('/v1/clusters/held-shop/events?limit=1000')).body).events as Array<{ id: string; type: string }>)
        .filter((e) => !e.type.startsWith('io.kadende.reconcile.'))
        .map((e) => e.id);
    const events = await written();
    for (const args of [['reconcile', 'held-shop'], ['delete', 'cluster', 'held-shop']]) {
      const refused = await kadende(['--store', nats.url, ...args], cli);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toContain('KADENDE_ERR_CLUSTER_HELD');
      expect(refused.stderr).toContain(`held by host host-a (${a.url})`);
    }
    expect(resourceFiles(directory).sort()).toEqual(before);
    const after = JSON.parse((await a.get('/v1/clusters/held-shop?status=false')).body);
    expect(after.cluster.deleting ?? false).toBe(false);
    expect(await written()).toEqual(events);
  });

  it('has an apply through the other host reconciled by the holder at once', async () => {
    const applied = await b.send('POST', '/v1/clusters?file=c.yaml', fileCluster('held-shop', directory, 3), 'application/yaml');
    expect(applied.status, applied.body).toBe(200);
    // The interval is 60 s: only the holder's pass asked by the apply makes the third resource this soon.
    await until(() => resourceFiles(directory).length === 3, 15_000, 'the holder scaled to 3 at once');
  });

  it('is followed by the CLI when a server answers 307 to the holder', async () => {
    redirector = createServer((request, response) => {
      response.writeHead(307, { location: `${a.url}${request.url}` }).end();
    });
    await new Promise<void>((resolve) => redirector!.listen(0, '127.0.0.1', resolve));
    const port = (redirector.address() as { port: number }).port;
    const result = await kadende(['--server', `http://127.0.0.1:${port}`, '-o', 'json', 'reconcile', 'held-shop'], cli);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ clusterName: 'held-shop' });
  });

  it('moves to the other host when the holder is killed, which counts a takeover', async () => {
    expect(await b.metric('kadende_lease_takeovers_total')).toBe(0);
    a.child.kill('SIGKILL');
    await until(async () => (await b.metric('kadende_leases_held')) === 1, 20_000, 'host-b holds the cluster');
    expect(await b.metric('kadende_lease_takeovers_total')).toBe(1);
    expect(await b.metric('kadende_leases_taken_total')).toBe(1);
    const { holder } = JSON.parse((await b.get('/v1/clusters/held-shop?status=false')).body);
    expect(holder).toMatchObject({ hostId: 'host-b', address: b.advertised });
    const described = await kadende(['--server', b.url, 'describe', 'cluster', 'held-shop'], cli);
    expect(described.stdout).toContain(`host-b at ${b.advertised}, since`);
  });
});
