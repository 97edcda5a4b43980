/**
 * Several hosts, one fleet: three real `kadende daemon` processes on one real
 * nats-server (`--store nats://`), six clusters of the file plugin. Each
 * cluster is held by exactly one host, the split is within one of even, every
 * cluster converges and no cluster ever has more resources than its size
 * (two hosts working one cluster would overshoot); after a kill -9 of a host
 * the others take its clusters over and keep them converged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer, until } from '../support/nats-server.js';
import { fileCluster } from '../support/service.js';
import { CLI, kadende, resourceFiles, scratch } from '../support/cli.js';

const CLUSTERS = 6;
const SIZE = 2;
const box = scratch('fleet');
const dirOf = (i: number) => join(box.root, 'res', `c${i}`);
let nats: NatsServer;
const daemons = new Map<string, { child: ChildProcess; log: string }>();
let overshoot = '';
let sampler: NodeJS.Timeout | undefined;

function startDaemon(hostId: string): void {
  const entry = { child: undefined as unknown as ChildProcess, log: '' };
  entry.child = spawn(process.execPath, [CLI, '--store', nats.url, 'daemon', '--port', '0', '--interval', '1', '--lease-ttl', '3', '--host-id', hostId], {
    env: { ...process.env, KADENDE_DATA_DIR: join(box.root, hostId), KADENDE_CACHE_DIR: join(box.root, 'cache'), KADENDE_TOKEN: 'fleet-test-token-0123456789', KADENDE_CREATE_BACKOFF_MS: '10' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  entry.child.stdout!.on('data', (chunk: Buffer) => (entry.log += chunk.toString()));
  entry.child.stderr!.on('data', (chunk: Buffer) => (entry.log += chunk.toString()));
  daemons.set(hostId, entry);
}

const hosts = async () => {
  const result = await kadende(['-o', 'json', '--store', nats.url, 'get', 'hosts'], box.env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Array<{ hostId: string; clusters: string[] }>;
};

let ids: string[] = [];
const converged = () => Array.from({ length: CLUSTERS }, (_, i) => resourceFiles(dirOf(i)).length).every((n) => n === SIZE);

/** Every cluster held exactly once, by the given hosts only, split within one of even. */
async function balanced(expected: string[]): Promise<boolean> {
  const listed = await hosts();
  const holders = listed.filter((h) => h.clusters.length > 0).map((h) => h.hostId).sort();
  const held = listed.flatMap((h) => h.clusters).sort();
  const counts = listed.filter((h) => expected.includes(h.hostId)).map((h) => h.clusters.length);
  return (
    JSON.stringify(held) === JSON.stringify([...ids].sort()) &&
    holders.every((h) => expected.includes(h)) &&
    counts.length === expected.length &&
    Math.max(...counts) - Math.min(...counts) <= 1
  );
}

beforeAll(async () => {
  nats = await NatsServer.start();
  for (let i = 0; i < CLUSTERS; i++) {
    mkdirSync(dirOf(i), { recursive: true });
    const file = join(box.root, `c${i}.yaml`);
    writeFileSync(file, fileCluster(`fleet-${i}`, dirOf(i), SIZE));
    const applied = await kadende(['--store', nats.url, 'apply', '-f', file], box.env);
    expect(applied.code, applied.stderr).toBe(0);
    ids.push(applied.stdout.trim());
  }
  sampler = setInterval(() => {
    for (let i = 0; i < CLUSTERS; i++) {
      const n = resourceFiles(dirOf(i)).length;
      if (n > SIZE) overshoot ||= `cluster ${i} had ${n} resources (size ${SIZE})`;
    }
  }, 50);
  for (const h of ['h1', 'h2', 'h3']) startDaemon(h);
}, 60_000);

afterAll(async () => {
  clearInterval(sampler);
  for (const { child } of daemons.values()) if (child.exitCode === null) child.kill('SIGKILL');
  await nats?.stop();
  rmSync(box.root, { recursive: true, force: true });
});

describe('three daemons on one NATS store', () => {
  it('split the clusters within one of even, each held by exactly one host, and converge every one', async () => {
    const dump = () => [...daemons.entries()].map(([h, d]) => `--- ${h}\n${d.log.slice(-3000)}`).join('\n');
    await until(() => balanced(['h1', 'h2', 'h3']), 30_000, 'a balanced split over three hosts').catch((e) => Promise.reject(new Error(`${e.message}\n${dump()}`)));
    await until(converged, 30_000, 'every cluster converged').catch((e) => Promise.reject(new Error(`${e.message}\n${dump()}`)));
    expect(overshoot).toBe('');
    const listed = await hosts();
    expect(listed.map((h) => h.hostId)).toEqual(['h1', 'h2', 'h3']);
  });

  it('after kill -9 of a host, the others take its clusters over and repair them', async () => {
    const victim = (await hosts()).find((h) => h.hostId === 'h2')!;
    expect(victim.clusters.length).toBeGreaterThan(0);
    daemons.get('h2')!.child.kill('SIGKILL');
    await until(async () => (await hosts()).every((h) => h.hostId !== 'h2') && (await balanced(['h1', 'h3'])), 30_000, 'h1 and h3 hold every cluster');
    // Break one of the dead host's clusters: its new holder repairs it.
    const index = ids.indexOf(victim.clusters[0]!);
    unlinkSync(resourceFiles(dirOf(index))[0]!.file);
    await until(converged, 30_000, 'every cluster converged again');
    expect(overshoot).toBe('');
  });
});
