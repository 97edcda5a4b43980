// `kadende events --follow` through a daemon crash and restart: the follower
// resumes after the last event it printed, so it misses nothing and repeats nothing.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kadende, startCli, tempDir } from '../support/cli.js';
import { freePort, until } from '../support/nats-server.js';
import { fileCluster } from '../support/service.js';

const TOKEN = 'follow-test-token-0123456789';
const box = tempDir('follow');
const env = { ...process.env, KADENDE_DATA_DIR: join(box.root, 'data'), KADENDE_TOKEN: TOKEN };
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  box.cleanup();
});

const start = (args: string[]) => startCli(args, env, children);

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

describe('events --follow', () => {
  it('resumes across a daemon crash and restart without missing or repeating an event', async () => {
    const port = await freePort();
    const server = `http://127.0.0.1:${port}`;
    const daemonArgs = ['daemon', '--port', String(port), '--interval', '1'];
    let daemon = start(daemonArgs);
    await until(() => daemon.output().includes('kadende daemon ready'), 15_000, 'daemon ready');

    const resources = join(box.root, 'res');
    writeFileSync(join(box.root, 'cluster.yaml'), fileCluster('followed', resources, 2));
    expect((await kadende(['--server', server, 'apply', '-f', join(box.root, 'cluster.yaml')], env)).code).toBe(0);
    expect((await kadende(['--server', server, 'reconcile', 'followed', '--wait'], env)).code).toBe(0);

    const follower = start(['--server', server, '-o', 'json', 'events', 'followed', '--follow', '--limit', '1000']);
    const printed = () =>
      follower
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { id: string; type: string; data: { cause: string } });
    await until(() => printed().some((e) => e.type === 'io.kadende.resource.created'), 15_000, 'the backlog');

    // A crash, not a shutdown: the stream is cut off rather than ended.
    daemon.child.kill('SIGKILL');
    await exited(daemon.child);
    daemon = start(daemonArgs);
    await until(() => daemon.output().includes('kadende daemon ready'), 15_000, 'daemon ready again');

    // A change after the restart: the restarted daemon repairs it and the follower sees it.
    const [victim] = readdirSync(resources).filter((f) => f.endsWith('.json'));
    rmSync(join(resources, victim!));
    const id = victim!.replace(/\.json$/, '');
    await until(() => printed().some((e) => e.type === 'io.kadende.resource.lost' && e.data.cause.includes(id)), 20_000, 'the lost event');

    const ids = printed().map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const stored = JSON.parse((await kadende(['--server', server, '-o', 'json', 'events', 'followed', '--limit', '1000'], env)).stdout) as Array<{ id: string }>;
    // Everything stored up to the last printed event was printed, in order.
    expect(ids).toEqual(stored.map((e) => e.id).filter((e) => e <= ids.at(-1)!));

    follower.child.kill('SIGINT');
    expect(await exited(follower.child)).toBe(0);
    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);
  });
});
