/**
 * What the three fake clouds share: an HTTP server on 127.0.0.1 (port 0), a
 * request log, injectable faults, a create-concurrency gate and timers that
 * die with the server. Each cloud (aws.ts, gcp.ts, digitalocean.ts) speaks its
 * provider's real wire protocol on top of this, so the official SDKs talk to
 * it unchanged.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The logical operations every fake knows; faults and the log use these names. */
export type Operation = 'create' | 'list' | 'get' | 'delete' | 'image' | 'operation' | 'key' | 'other';

/**
 * throttle: the provider's rate-limit answer; serverError: a 500/503;
 * auth: the provider's authentication failure;
 * loseAnswer: (create only) the instance is made, then the connection is destroyed before any answer.
 */
export type FaultKind = 'throttle' | 'serverError' | 'auth' | 'loseAnswer';

export interface LoggedRequest {
  method: string;
  path: string;
  /** The provider's own name for the call (EC2 Action, "instances.insert", "droplets.create"). */
  action: string;
  operation: Operation;
  /** The HTTP status answered; 0 when the connection was destroyed instead. */
  status: number;
  /** The fault injected into this request, if any. */
  fault?: FaultKind;
  /** Inside a throttling window (throttleFor): the ms left of it, which the answer's hint is made from. */
  windowLeftMs?: number;
  /** Query (GCE, DO) or form (EC2) parameters. */
  params: Record<string, string>;
  time: number;
}

interface PendingFault {
  kind: FaultKind;
  operation?: Operation;
  remaining: number;
}

/** Faults injected by tests: queued one-shot faults plus a constant added latency. */
export class Faults {
  /** Added to every answer, in milliseconds. */
  latencyMs = 0;
  private queue: PendingFault[] = [];
  private windows: { operation?: Operation; until: number }[] = [];

  /** Every request (of `operation`) in the next `ms` is throttled, with the provider's hint of when the window ends. */
  throttleFor(ms: number, options: { operation?: Operation } = {}): this {
    this.windows.push({ operation: options.operation, until: Date.now() + ms });
    return this;
  }

  /** @internal ms left in a throttling window covering this operation, if any. */
  throttledFor(operation: Operation): number | undefined {
    const now = Date.now();
    const open = this.windows.filter((w) => w.until > now && (w.operation === undefined || w.operation === operation));
    return open.length > 0 ? Math.max(...open.map((w) => w.until - now)) : undefined;
  }

  /** The next `count` requests (of `operation`, or of any operation) get this fault. */
  add(kind: FaultKind, options: { count?: number; operation?: Operation } = {}): this {
    const operation = kind === 'loseAnswer' ? 'create' : options.operation;
    this.queue.push({ kind, operation, remaining: options.count ?? 1 });
    return this;
  }

  clear(): void {
    this.queue = [];
    this.windows = [];
    this.latencyMs = 0;
  }

  /** How many queued faults have not fired yet. */
  get pending(): number {
    return this.queue.reduce((sum, fault) => sum + fault.remaining, 0);
  }

  /** @internal Takes the fault for this request, if one is queued for it. */
  take(operation: Operation): FaultKind | undefined {
    const fault = this.queue.find((f) => f.remaining > 0 && (f.operation === undefined || f.operation === operation));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.queue.splice(this.queue.indexOf(fault), 1);
    return fault.kind;
  }
}

export interface FakeCloudOptions {
  /** How long a new instance stays pending before it runs (and a deleting one before it is gone), ms. Default 50. */
  pendingMs?: number;
  /** How long a create request takes before it is answered, ms (the benchmark uses 300). Default 0. */
  createDurationMs?: number;
  /** Creates allowed in flight at once; excess creates get the provider's throttling answer. Default unlimited. */
  maxConcurrentCreates?: number;
  /** The largest page a list answers, whatever the client asks for. Defaults per cloud (EC2 1000, GCE 500, DO 200). */
  maxPageSize?: number;
  /**
   * Listing lag: how long after its create a new instance is missing from list answers
   * (eventual consistency), ms; called once per instance. Default: none.
   */
  listingLagMs?: () => number;
  /** The cloud's clock (epoch ms) for listing lag; tests pass a virtual one. Default Date.now. */
  now?: () => number;
}

/** When each instance becomes visible to list calls, by the options' listing lag and clock. */
export function listingVisibility(options: FakeCloudOptions) {
  const now = options.now ?? Date.now;
  const visibleAt = new WeakMap<object, number>();
  return {
    created(instance: object): void {
      visibleAt.set(instance, now() + (options.listingLagMs?.() ?? 0));
    },
    listed(instance: object): boolean {
      return (visibleAt.get(instance) ?? 0) <= now();
    },
  };
}

export interface FakeCloudBase {
  url: string;
  port: number;
  requests: LoggedRequest[];
  faults: Faults;
  /** Creates in flight right now, and the most ever in flight at once. */
  creates: { inFlight: number; peak: number; throttled: number };
  close(): Promise<void>;
}

export interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** What a cloud's router says about a request before it is acted on. */
export interface Route {
  action: string;
  operation: Operation;
  params: Record<string, string>;
  /** Acts on the request; only called when no fault stops it first. */
  handle(): Answer | Promise<Answer>;
}

export interface CloudDialect {
  /** The rate-limit answer; `retryAfterMs` is when the provider will take requests again, where it says so. */
  throttled(retryAfterMs?: number): Answer;
  serverError(): Answer;
  authFailed(): Answer;
  notFound(): Answer;
  /** Parses a request into a route, or answers it directly (e.g. a bad token). */
  route(context: RequestContext): Route | Answer | Promise<Route | Answer>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Timers that a closed server cancels, so tests end cleanly. */
export class Timers {
  private readonly live = new Set<NodeJS.Timeout>();
  after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.live.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.live.add(timer);
  }
  clear(): void {
    for (const timer of this.live) clearTimeout(timer);
    this.live.clear();
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const isRoute = (value: Route | Answer): value is Route => typeof (value as Route).handle === 'function';

/**
 * Starts the HTTP server: logs each request, applies latency, faults and the
 * create gate, then lets the cloud's route handle it.
 */
export async function serveCloud(dialect: CloudDialect, options: FakeCloudOptions, timers: Timers): Promise<FakeCloudBase> {
  const faults = new Faults();
  const requests: LoggedRequest[] = [];
  const creates = { inFlight: 0, peak: 0, throttled: 0 };
  const sockets = new Set<Socket>();

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    let entry: LoggedRequest | undefined;
    const send = (answer: Answer) => {
      if (entry) entry.status = answer.status;
      if (response.destroyed) return;
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body ?? '');
    };
    try {
      const body = await readBody(request);
      const routed = await dialect.route({ request, response, url, body });
      entry = {
        method: request.method ?? 'GET',
        path: url.pathname,
        action: isRoute(routed) ? routed.action : 'rejected',
        operation: isRoute(routed) ? routed.operation : 'other',
        status: 0,
        params: isRoute(routed) ? routed.params : Object.fromEntries(url.searchParams),
        time: Date.now(),
      };
      requests.push(entry);
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      if (!isRoute(routed)) return send(routed);
      const window = faults.throttledFor(routed.operation);
      if (window !== undefined) {
        entry.fault = 'throttle';
        entry.windowLeftMs = window;
        return send(dialect.throttled(window));
      }
      const fault = faults.take(routed.operation);
      if (fault) entry.fault = fault;
      if (fault === 'throttle') return send(dialect.throttled());
      if (fault === 'serverError') return send(dialect.serverError());
      if (fault === 'auth') return send(dialect.authFailed());
      if (routed.operation !== 'create') return send(await routed.handle());

      // A create: gated like a provider that limits concurrent launches.
      if (options.maxConcurrentCreates !== undefined && creates.inFlight >= options.maxConcurrentCreates) {
        creates.throttled += 1;
        entry.fault = 'throttle';
        return send(dialect.throttled());
      }
      creates.inFlight += 1;
      creates.peak = Math.max(creates.peak, creates.inFlight);
      try {
        if (options.createDurationMs) await sleep(options.createDurationMs);
        const answer = await routed.handle();
        if (fault === 'loseAnswer') {
          // The provider did the work; the client never hears about it.
          entry.status = 0;
          request.socket.destroy();
          return;
        }
        send(answer);
      } finally {
        creates.inFlight -= 1;
      }
    } catch (error) {
      send({ status: 500, body: JSON.stringify({ message: `fake cloud bug: ${(error as Error).stack}` }) });
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    faults,
    creates,
    close: async () => {
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A page of `items` starting at `offset`, at most `size` long (clamped to [1, max]). */
export function page<T>(items: T[], offset: number, size: number, max: number): { items: T[]; next?: number } {
  const limit = Math.max(1, Math.min(size, max));
  const slice = items.slice(offset, offset + limit);
  return { items: slice, next: offset + limit < items.length ? offset + limit : undefined };
}

let counter = 0;
/** Short unique hex, for ids. */
export function uniqueHex(length: number): string {
  counter += 1;
  const random = Array.from({ length }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return (counter.toString(16) + random).slice(0, length).padStart(length, '0');
}
