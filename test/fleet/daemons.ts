/** Real `kadende daemon` processes on one NATS store, for the fleet tests: started on free ports, killed at the end. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'undici';
import { startCli } from '../support/cli.js';
import { freePort, until } from '../support/nats-server.js';

export const FLEET_TOKEN = 'fleet-ops-token-0123456789abcdef';

export class FleetDaemon {
  private constructor(
    readonly hostId: string,
    readonly url: string,
    readonly child: ChildProcess,
    readonly output: () => string,
    /** The URL it announces, when not its listen address. */
    readonly advertised?: string,
  ) {}

  static async start(storeUrl: string, root: string, hostId: string, children: ChildProcess[], options: { interval?: number; leaseTtl?: number; advertise?: (port: number) => string } = {}): Promise<FleetDaemon> {
    const port = await freePort();
    const env = {
      ...process.env,
      KADENDE_DATA_DIR: join(root, hostId),
      KADENDE_CACHE_DIR: join(root, 'cache'),
      KADENDE_TOKEN: FLEET_TOKEN,
      KADENDE_SERVER: '',
      KADENDE_CREATE_BACKOFF_MS: '10',
    };
    const args = ['--store', storeUrl, 'daemon', '--port', String(port), '--host-id', hostId, '--interval', String(options.interval ?? 1), '--lease-ttl', String(options.leaseTtl ?? 3)];
    if (options.advertise) args.push('--advertise', options.advertise(port));
    const { child, output } = startCli(args, env, children);
    const daemon = new FleetDaemon(hostId, `http://127.0.0.1:${port}`, child, output, options.advertise?.(port));
    await until(() => output().includes('kadende daemon ready') || child.exitCode !== null, 30_000, `${hostId} ready`);
    if (child.exitCode !== null) throw new Error(`${hostId} exited:\n${output()}`);
    return daemon;
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
    const response = await request(`${this.url}${path}`, { headers: { authorization: `Bearer ${FLEET_TOKEN}`, ...headers } });
    return { status: response.statusCode, body: await response.body.text(), headers: response.headers };
  }

  async send(method: 'POST' | 'DELETE', path: string, body?: string, type = 'application/json') {
    const response = await request(`${this.url}${path}`, { method, body, headers: { authorization: `Bearer ${FLEET_TOKEN}`, ...(body ? { 'content-type': type } : {}) } });
    return { status: response.statusCode, body: await response.body.text(), headers: response.headers };
  }

  /** A metric's value (summed over its labels), 0 when absent. */
  async metric(name: string, labels = ''): Promise<number> {
    const text = (await this.get('/metrics')).body;
    let sum = 0;
    for (const line of text.split('\n')) {
      const match = line.match(/^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/);
      if (match && match[1] === name && (match[2] ?? '').includes(labels)) sum += Number(match[3]);
    }
    return sum;
  }
}
