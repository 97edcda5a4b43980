/**
 * A nats-server of the test's own on a free port with a temporary store dir,
 * which the test may stop and start again (same port, same JetStream state).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class NatsServer {
  private child?: ChildProcess;
  readonly url: string;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
  }

  static async start(): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), mkdtempSync(join(tmpdir(), 'kadende-nats-')));
    await server.resume();
    return server;
  }

  /** (Re)starts the server process; resolves once it accepts clients. */
  async resume(): Promise<void> {
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${log}`)), 10_000);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${log}`));
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.removeAllListeners('exit');
  }

  /** Stops the process abruptly (SIGKILL): connections drop mid-stream, as in a crash. */
  async halt(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** Polls until `predicate` holds. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Reads `count` messages of a subject filter from the events stream with an
 * ordered consumer (from the first message), then waits `settleMs` for any
 * extra (duplicate) message before it answers: a test of "exactly once" must
 * be able to see one too many.
 */
export async function readStream(url: string, filter: string, count: number, options: { stream?: string; timeoutMs?: number; settleMs?: number } = {}) {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: url });
  try {
    const js = jetstream(nc);
    const consumer = await js.consumers.get(options.stream ?? 'KADENDE_EVENTS', { filter_subjects: filter });
    const messages: Array<{ subject: string; data: unknown; msgID?: string }> = [];
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    while (Date.now() < deadline) {
      const wantMore = messages.length < count;
      const batch = await consumer.fetch({ max_messages: 1000, expires: wantMore ? 1000 : Math.max(1000, options.settleMs ?? 1000) });
      let got = 0;
      for await (const m of batch) {
        got += 1;
        messages.push({ subject: m.subject, data: m.json(), msgID: m.headers?.get('Nats-Msg-Id') });
      }
      if (!wantMore && got === 0) break;
    }
    return messages;
  } finally {
    await nc.close();
  }
}

/** A nats-server for one test file: started before its tests, stopped after them (then `cleanup`). */
export function natsServerForFile(beforeAll: (fn: () => Promise<void>, timeout?: number) => void, afterAll: (fn: () => Promise<void>) => void, cleanup: () => void = () => {}): () => NatsServer {
  let server: NatsServer | undefined;
  beforeAll(async () => {
    server = await NatsServer.start();
  }, 20_000);
  afterAll(async () => {
    await server?.stop();
    cleanup();
  });
  return () => server!;
}
