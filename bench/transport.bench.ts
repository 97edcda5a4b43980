/**
 * The plugin transport on real work: describe answering 100 resources (with the host's tags),
 * at 1 and 32 calls in flight, through
 *
 * - Kadende's PluginPool (schema checks on request and answer, tag checks, p-limit, timeouts);
 * - bare worker_threads workers (postMessage, no checks): the floor of the in-process design;
 * - child processes speaking newline-delimited JSON-RPC 2.0 on stdio (no checks);
 * - child processes serving HTTP on a unix socket (undici, keep-alive; no checks);
 * - and, beside them with no goal, the pool as plugins run by default: its threads in a sandbox process;
 *
 * each with as many threads or processes as the pool runs (min(concurrency, cpus)), all in one
 * run. The transports take turns in short blocks of calls, in an order rotated every block, and
 * each one's figure is its calls over its time summed across all its blocks: a shared 2-core VM's
 * speed drifts by 10-50% within seconds (CPU steal), and a transport measured in one long stretch
 * (or the best of a few) is compared with the others at another speed; in blocks of tens of
 * milliseconds every transport meets the same drift. TRANSPORT_ROUNDS (3) x TRANSPORT_CALLS (300 at 1
 * in flight, 3x that at 32) calls per transport size it.
 * Goal: the checked pool within 1.3x of the bare worker and ahead of both out-of-process transports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';
// The pool as the CLI and the daemon run it: the build's JavaScript (npm run bench builds first), not tsx's.
import { readPluginFolder } from '../dist/host/plugins/manifest.js';
import { PluginPool } from '../dist/host/plugins/pool.js';
import { round, type BenchRow } from './harness.js';

const SERVER = fileURLToPath(new URL('./fixtures/transport-server.mjs', import.meta.url));
const ROUNDS = Number(process.env.TRANSPORT_ROUNDS ?? 3);
const CALLS: Record<number, number> = { 1: Number(process.env.TRANSPORT_CALLS ?? 300), 32: 3 * Number(process.env.TRANSPORT_CALLS ?? 300) };
const request = { tags: { 'kadende.cluster': '019a0000-0000-7000-8000-000000000001', 'kadende.group': 'web' }, properties: { region: 'eu-west-1' } };

type Call = () => Promise<unknown>;
interface Transport {
  name: string;
  call: Call;
  close(): Promise<void>;
}

/** Round-robin over n callers. */
const spread = (callers: Call[]): Call => {
  let next = 0;
  return () => callers[next++ % callers.length]!();
};

/** Answers matched to calls by id, over any message channel. */
function rpc(send: (id: number, message: unknown) => void) {
  const pending = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  return {
    call: () =>
      new Promise<unknown>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        send(id, request);
      }),
    answer(id: number, value: unknown) {
      pending.get(id)?.(value);
      pending.delete(id);
    },
  };
}

async function bareWorkers(n: number): Promise<Transport> {
  const workers = Array.from({ length: n }, () => new Worker(SERVER, { execArgv: [] }));
  const callers = workers.map((worker) => {
    const channel = rpc((id, req) => worker.postMessage({ id, request: req }));
    worker.on('message', ({ id, answer }: { id: number; answer: unknown }) => channel.answer(id, answer));
    return channel.call;
  });
  return { name: 'bare worker_threads (no checks)', call: spread(callers), close: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
}

async function stdioChildren(n: number): Promise<Transport> {
  const children: ChildProcess[] = [];
  const callers = Array.from({ length: n }, () => {
    const child = spawn(process.execPath, [SERVER, 'stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    const channel = rpc((id, params) => child.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'describe', params })}\n`));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const { id, result } = JSON.parse(line) as { id: number; result: unknown };
      channel.answer(id, result);
    });
    return channel.call;
  });
  return { name: 'child process, NDJSON-RPC on stdio (no checks)', call: spread(callers), close: async () => void children.forEach((c) => c.kill()) };
}

async function httpChildren(n: number, dir: string): Promise<Transport> {
  const children: ChildProcess[] = [];
  const pools: Pool[] = [];
  const callers = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const socketPath = join(dir, `plugin-${i}.sock`);
      const child = spawn(process.execPath, [SERVER, 'http', socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      await once(child.stdout!, 'data');
      const pool = new Pool('http://plugin', { socketPath, connections: 32, pipelining: 1 });
      pools.push(pool);
      return async () => {
        const { body } = await pool.request({ path: '/describe', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
        return body.json();
      };
    }),
  );
  return {
    name: 'child process, HTTP on a unix socket (undici; no checks)',
    call: spread(callers),
    close: async () => {
      await Promise.all(pools.map((p) => p.close()));
      children.forEach((c) => c.kill());
    },
  };
}

/**
 * The fixture as a plugin folder of its own, as an installed plugin is: a sandbox reads nothing
 * outside its folder but the SDK, which the folder resolves through its own node_modules.
 */
function sandboxableCopy(dir: string): string {
  const fixture = fileURLToPath(new URL('./fixtures/hundred-plugin/', import.meta.url));
  const plugin = join(dir, 'hundred-plugin');
  mkdirSync(join(plugin, 'node_modules', '@kadende'), { recursive: true });
  for (const file of ['package.json', 'index.js', 'hundred.mjs']) copyFileSync(join(fixture, file), join(plugin, file));
  symlinkSync(fileURLToPath(new URL('../plugin-sdk', import.meta.url)), join(plugin, 'node_modules', '@kadende', 'plugin-sdk'));
  return plugin;
}

/**
 * Calls of a block at each load: tens of milliseconds, so that each transport meets the machine at
 * the same speed; at 32 in flight, 8 calls a lane, so that filling and draining the lanes is a small part.
 */
const BLOCK: Record<number, number> = { 1: 30, 32: 256 };

/** The time `calls` calls take with `inFlight` of them outstanding, ms. */
async function timed(call: Call, inFlight: number, calls: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, calls) }, async () => {
      while (next < calls) {
        next += 1;
        await call();
      }
    }),
  );
  return performance.now() - start;
}

/**
 * Calls per second of each transport at `inFlight`, measured in interleaved blocks (the order
 * rotated every block) after a warm-up of each: calls summed over time summed.
 */
async function interleaved(transports: Transport[], inFlight: number): Promise<Map<Transport, number>> {
  const block = BLOCK[inFlight]!;
  const blocks = Math.max(1, Math.round((ROUNDS * CALLS[inFlight]!) / block));
  const spent = new Map(transports.map((t) => [t, 0]));
  for (const t of transports) await timed(t.call, inFlight, Math.max(100, block));
  for (let b = 0; b < blocks; b += 1) {
    for (let i = 0; i < transports.length; i += 1) {
      const t = transports[(b + i) % transports.length]!;
      spent.set(t, spent.get(t)! + (await timed(t.call, inFlight, block)));
    }
  }
  return new Map(transports.map((t) => [t, (blocks * block) / (spent.get(t)! / 1000)]));
}

export async function run(): Promise<BenchRow[]> {
  const folder = await readPluginFolder(fileURLToPath(new URL('./fixtures/hundred-plugin/', import.meta.url)));
  // Threads in this process, as the bare workers are: the transport is compared, not the sandbox's
  // process hop (and the fixture imports its describe from outside its folder, which a sandbox refuses).
  const pool = new PluginPool(folder, { isolation: 'in-process' });
  const threads = Math.max(1, Math.min(pool.limits.concurrency, availableParallelism()));
  const dir = mkdtempSync(join(tmpdir(), 'kadende-bench-transport-'));
  const kadende: Transport = { name: 'Kadende PluginPool (schema-checked)', call: () => pool.call('describe', request), close: () => pool.close() };
  // The same pool as plugins run by default: its threads in a sandbox process (Node's permission model).
  const sandboxed = new PluginPool(await readPluginFolder(sandboxableCopy(dir)), { isolation: 'sandbox' });
  const inSandbox: Transport = { name: 'Kadende PluginPool (schema-checked), in its sandbox process', call: () => sandboxed.call('describe', request), close: () => sandboxed.close() };
  const transports = [kadende, await bareWorkers(threads), await stdioChildren(threads), await httpChildren(threads, dir), inSandbox];
  const measured = new Map<number, Map<Transport, number>>();
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  try {
    for (const inFlight of [1, 32]) measured.set(inFlight, await interleaved(transports, inFlight));
  } finally {
    for (const t of transports) await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const name = `plugin transport: describe -> 100 resources, ${threads} threads/processes each, interleaved blocks`;
  const rows: BenchRow[] = [];
  for (const inFlight of [1, 32]) {
    const at = measured.get(inFlight)!;
    const bare = at.get(transports[1]!)!;
    const ours = at.get(kadende)!;
    for (const t of transports) {
      const value = at.get(t)!;
      rows.push({
        benchmark: name,
        metric: `${t.name}, ${inFlight} in flight`,
        value: Math.round(value),
        unit: 'calls/s',
        note:
          t === kadende
            ? `${round(bare / ours, 2)}x the bare worker's time per call (goal <= 1.3x); load ${load}`
            : t === inSandbox
              ? `no goal: the process hop a sandbox adds; ${round(value / at.get(transports[2]!)!, 2)}x stdio's throughput`
              : `Kadende pool ${round(ours / value, 2)}x this throughput`,
      });
    }
  }
  return rows;
}
