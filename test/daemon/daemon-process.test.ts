/**
 * A real `kadende daemon` process (the built dist/, as shipped): it converges
 * a cluster by itself after a resource file is deleted, publishes to its NATS,
 * serves the CLI's --server mode with the same output and exit codes, and
 * exits 0 on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer, readStream, until } from '../support/nats-server.js';
import { fileCluster } from '../support/service.js';
import { CLI as MAIN, kadende } from '../support/cli.js';

const TOKEN = 'daemon-test-token-0123456789';
const cli = kadende;

describe('kadende daemon (process)', () => {
  let dir: string;
  let nats: NatsServer;
  let daemon: ChildProcess;
  let log = '';
  let server = '';
  const resources = () => (existsSync(join(dir, 'res')) ? readdirSync(join(dir, 'res')).filter((f) => f.endsWith('.json')) : []);

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
    dir = mkdtempSync(join(tmpdir(), 'kadende-daemon-proc-'));
    nats = await NatsServer.start();
    daemon = spawn(process.execPath, [MAIN, 'daemon', '--port', '0', '--interval', '1', '--nats', nats.url], {
      env: { ...process.env, KADENDE_DATA_DIR: join(dir, 'data'), KADENDE_TOKEN: TOKEN, KADENDE_CREATE_BACKOFF_MS: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    daemon.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await until(() => /"msg":"kadende daemon ready"/.test(log), 15_000, 'daemon ready');
    server = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(log)![1]!;
  });
  afterAll(async () => {
    if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
    await nats?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('converges a cluster applied through --server, and again by itself after a resource file is deleted', async () => {
    const config = join(dir, 'cluster.yaml');
    writeFileSync(config, fileCluster('proc', join(dir, 'res'), 2));
    const env = { KADENDE_SERVER: server, KADENDE_TOKEN: TOKEN };
    const applied = await cli(['apply', '-f', config], env);
    expect(applied.stderr).toBe('cluster proc created (generation 1)\n');
    expect(applied.code).toBe(0);
    await until(() => resources().length === 2, 15_000, 'two resources');
    // Seen by describe in a later pass: a record never observed gets a grace period before it counts as lost.
    const observed = async () => (JSON.parse((await cli(['-o', 'json', 'get', 'resources', 'proc'], env)).stdout) as Array<{ observedAt?: string }>).filter((r) => r.observedAt).length === 2;
    await until(observed, 15_000, 'both resources observed');

    const [lost] = resources();
    rmSync(join(dir, 'res', lost!));
    await until(() => resources().length === 2 && !resources().includes(lost!), 15_000, 'the lost resource replaced').catch((error) => {
      throw new Error(`${(error as Error).message}; daemon log:\n${log}`);
    });

    const listed = await cli(['--server', server, '-o', 'json', 'get', 'resources', 'proc'], { KADENDE_TOKEN: TOKEN });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((r: { id: string }) => `${r.id}.json`).sort()).toEqual(resources().sort());

    // Every event reaches NATS, in the store's order.
    const events = JSON.parse((await cli(['-o', 'json', 'events', 'proc', '--limit', '1000'], env)).stdout) as Array<{ id: string; type: string; data: { clusterId: string } }>;
    expect(events.map((e) => e.type)).toContain('io.kadende.resource.lost');
    const received = await readStream(nats.url, `kadende.events.${events[0]!.data.clusterId}.>`, events.length);
    const receivedIds = received.map((m) => (m.data as { id: string }).id);
    // The daemon keeps reconciling, so the stream may hold newer events than were listed; never one twice.
    expect(receivedIds.slice(0, events.length)).toEqual(events.map((e) => e.id));
    expect(new Set(receivedIds).size).toBe(receivedIds.length);
  });

  it('gives the same output and exit codes through --server as against a local store', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: "0.0.1"\nname: bad\ngroups:\n  web:\n    size: two\n');
    const remote = await cli(['--server', server, 'apply', '-f', bad], { KADENDE_TOKEN: TOKEN });
    const local = await cli(['--data-dir', join(dir, 'local'), 'apply', '-f', bad], {});
    expect(remote.code).toBe(2);
    expect(remote).toEqual(local);

    const missingRemote = await cli(['--server', server, 'describe', 'cluster', 'nope'], { KADENDE_TOKEN: TOKEN });
    const missingLocal = await cli(['--data-dir', join(dir, 'local'), 'describe', 'cluster', 'nope'], {});
    expect(missingRemote.code).toBe(1);
    expect(missingRemote).toEqual(missingLocal);

    const refused = await cli(['--server', server, 'get', 'clusters'], { KADENDE_TOKEN: 'not-the-token-0123456789' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('KADENDE_ERR_UNAUTHORIZED');
  });

  it('shuts down cleanly on SIGTERM with exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(log).toMatch(/"msg":"stopped"/);
  });
});
