/**
 * A TCP proxy in front of a nats-server that can drop a client's publications, to reproduce a
 * request the server never answers. It parses the client's side of the NATS protocol (one
 * CONNECT/SUB/PING... line, or a PUB/HPUB line and its payload) and forwards the server's side
 * untouched.
 */
import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';

export class NatsProxy {
  /** Subjects of the publications dropped so far. */
  readonly dropped: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Proxies to `target` (host:port); `drop` decides, per publication subject, whether it is lost. */
  static async start(target: { host: string; port: number }, drop: (subject: string) => boolean): Promise<NatsProxy> {
    let proxy!: NatsProxy;
    const server = createServer((client) => {
      const upstream = connectTcp(target.port, target.host);
      proxy.sockets.add(client).add(upstream);
      upstream.pipe(client);
      const forward = proxy.filter((chunk) => upstream.write(chunk), drop);
      client.on('data', forward);
      for (const s of [client, upstream]) s.on('error', () => {}).on('close', () => (client.destroy(), upstream.destroy()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    proxy = new NatsProxy(server, `nats://127.0.0.1:${port}`);
    return proxy;
  }

  /** A parser of the client's byte stream that forwards every operation except dropped publications. */
  private filter(write: (chunk: Buffer) => void, drop: (subject: string) => boolean): (chunk: Buffer) => void {
    let pending = Buffer.alloc(0);
    return (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const eol = pending.indexOf('\r\n');
        if (eol < 0) return;
        const line = pending.subarray(0, eol).toString();
        const [op, subject, ...rest] = line.split(' ');
        const verb = op!.toUpperCase();
        // PUB <subject> [reply] <bytes>, HPUB <subject> [reply] <header bytes> <total bytes>: a payload and CRLF follow.
        const size = verb === 'PUB' || verb === 'HPUB' ? Number(rest[rest.length - 1]) + 2 : 0;
        const end = eol + 2 + size;
        if (pending.length < end) return;
        const operation = pending.subarray(0, end);
        pending = pending.subarray(end);
        if (size > 0 && drop(subject!)) this.dropped.push(subject!);
        else write(Buffer.from(operation));
      }
    };
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
