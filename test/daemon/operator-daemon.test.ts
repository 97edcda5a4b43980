// Issue 11 with a daemon holding the store: the CLI finds it by <data-dir>/daemon.json, and
// `events NAME --follow --nats URL` follows the cluster by its name, after its newest --limit events.
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kadende, startCli, tempDir } from '../support/cli.js';
import { freePort, NatsServer, until } from '../support/nats-server.js';
import { fileCluster } from '../support/service.js';

const TOKEN = 'operator-test-token-0123456789';
const box = tempDir('operator-daemon');
const env = { ...process.env, KADENDE_DATA_DIR: join(box.root, 'data'), KADENDE_TOKEN: TOKEN, KADENDE_SERVER: '' };
const children: ChildProcess[] = [];
let nats: NatsServer | undefined;
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await nats?.stop();
  box.cleanup();
});

const start = (args: string[]) => startCli(args, env, children);

describe('a store held by a daemon', () => {
  it("names the daemon's URL, and events NAME --follow --nats follows the cluster by name after its newest --limit events", async () => {
    nats = await NatsServer.start();
    const port = await freePort();
    const server = `http://127.0.0.1:${port}`;
    const daemon = start(['daemon', '--port', String(port), '--interval', '1', '--nats', nats.url]);
    await until(() => daemon.output().includes('kadende daemon ready'), 20_000, 'daemon ready');
    expect(existsSync(join(box.root, 'data', 'daemon.json'))).toBe(true);

    const locked = await kadende(['get', 'clusters'], env);
    expect(locked.stderr).toContain('[KADENDE_ERR_STORE_LOCKED]');
    expect(locked.stderr).toContain(`--server ${server}`);

    writeFileSync(join(box.root, 'cluster.yaml'), fileCluster('followed', join(box.root, 'res'), 2));
    expect((await kadende(['--server', server, 'apply', '-f', join(box.root, 'cluster.yaml')], env)).code).toBe(0);
    expect((await kadende(['--server', server, 'reconcile', 'followed', '--wait'], env)).code).toBe(0);
    const all = JSON.parse((await kadende(['--server', server, '-o', 'json', 'events', 'followed', '--limit', '1000'], env)).stdout) as Array<{ id: string }>;
    expect(all.length).toBeGreaterThan(3);

    const follower = start(['-o', 'json', 'events', 'followed', '--follow', '--nats', nats.url, '--limit', '2']);
    const printed = () =>
      follower
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { id: string; type: string });
    await until(() => printed().length >= 2, 20_000, 'the newest two events');
    expect(printed().slice(0, 2).map((e) => e.id)).toEqual(all.slice(-2).map((e) => e.id));
    // A change: its events reach the follower live, from NATS.
    writeFileSync(join(box.root, 'cluster.yaml'), fileCluster('followed', join(box.root, 'res'), 3));
    const applied = await kadende(['--server', server, 'apply', '-f', join(box.root, 'cluster.yaml')], env);
    expect(applied.stderr).toContain('updated');
    await until(() => printed().some((e) => e.type === 'io.kadende.cluster.applied'), 30_000, 'the live event');
    expect(new Set(printed().map((e) => e.id)).size).toBe(printed().length);
    follower.child.kill('SIGINT');
    daemon.child.kill('SIGTERM');
    await until(() => daemon.child.exitCode !== null, 20_000, 'daemon stopped');
    expect(existsSync(join(box.root, 'data', 'daemon.json'))).toBe(false);
  }, 120_000);

  it('refuses an --after that is not an event id', async () => {
    const result = await kadende(['events', 'followed', '--after', 'nope'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--after takes an event id');
  }, 30_000);
});
