/**
 * The CLI's way to a running daemon (--server URL): the same methods the CLI
 * calls on KadendeService in-process, over the HTTP API. Errors come back as
 * the same error classes, codes and messages, so output and exit codes do not
 * depend on where the store lives.
 */
import { Agent, request } from 'undici';
import { ConfigError, CONFIG_INVALID } from '../config/index.js';
import type { ApplyResult, ClusterSummary, DeleteOptions, DeleteResult, KadendeService, WaitOptions, ReconcileReport } from '../controller/index.js';
import type { KadendeEvent, ClusterRecord, ResourceRecord } from '../../model/index.js';
import type { EventQuery, Holder } from '../store/index.js';
import type { ErrorBody } from './errors.js';
import { hasCode, kadendeError, remoteError } from '../../errors/index.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a command may call: KadendeService in-process, or ApiClient against a daemon. */
export type KadendeOperations = Pick<
  KadendeService,
  'cluster' | 'apply' | 'plan' | 'reconcile' | 'listClusters' | 'listResources' | 'listEvents' | 'deleteCluster' | 'holder'
>;

type Query = Record<string, string | number | boolean | undefined>;


export class ApiClient implements KadendeOperations {
  private readonly base: URL;
  // Reconciles with --wait and event streams legitimately take long: no client-side timeouts.
  private readonly agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, connectTimeout: 10_000 });

  constructor(
    server: string,
    private readonly token?: string,
  ) {
    try {
      this.base = new URL(server.endsWith('/') ? server : `${server}/`);
    } catch {
      throw kadendeError('KADENDE_ERR_ARGUMENT', `--server takes a URL such as http://127.0.0.1:7461, got "${server}"`);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  async cluster(ref: string): Promise<ClusterRecord> {
    return (await this.call<{ cluster: ClusterRecord }>('GET', `v1/clusters/${enc(ref)}`, { query: { status: false } })).cluster;
  }

  async holder(ref: string): Promise<Holder | undefined> {
    return (await this.call<{ holder?: Holder }>('GET', `v1/clusters/${enc(ref)}`, { query: { status: false } })).holder;
  }

  apply(text: string, file: string, options: { upgradePlugins?: boolean; baseDir?: string } = {}): Promise<ApplyResult> {
    return this.call('POST', 'v1/clusters', { query: { file, upgradePlugins: options.upgradePlugins, baseDir: options.baseDir }, text });
  }

  plan(ref: string | { text: string; file: string; baseDir?: string }): Promise<ReconcileReport> {
    if (typeof ref === 'string') return this.call('GET', `v1/clusters/${enc(ref)}/plan`);
    return this.call('POST', 'v1/plan', { query: { file: ref.file, baseDir: ref.baseDir }, text: ref.text });
  }

  reconcile(ref: string, options: WaitOptions = {}): Promise<ReconcileReport> {
    // Progress is the caller's own (a callback does not travel).
    const { onProgress: _local, ...json } = options;
    return this.call('POST', `v1/clusters/${enc(ref)}/reconcile`, { json });
  }

  listClusters(): Promise<ClusterSummary[]> {
    return this.call('GET', 'v1/clusters');
  }

  listResources(ref: string): Promise<ResourceRecord[]> {
    return this.call('GET', `v1/clusters/${enc(ref)}/resources`);
  }

  async listEvents(ref: string, query: EventQuery = {}): Promise<KadendeEvent[]> {
    // The service answers every event when no limit is given: page through them.
    const events: KadendeEvent[] = [];
    let after = query.after;
    for (;;) {
      const pageSize = Math.min(10_000, query.limit ?? 10_000);
      const page = await this.call<{ events: KadendeEvent[]; next: string | null }>('GET', `v1/clusters/${enc(ref)}/events`, {
        query: { after, limit: pageSize, reverse: query.reverse },
      });
      events.push(...page.events);
      if (query.limit !== undefined || page.next === null || query.reverse) return events;
      after = page.next;
    }
  }

  deleteCluster(ref: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    return this.call('DELETE', `v1/clusters/${enc(ref)}`, { query: { timeoutMs: options.timeoutMs, wait: options.wait, orphanResources: options.orphanResources } });
  }

  /** Live events of a cluster (Server-Sent Events), after `after` if given, until `signal` aborts or the daemon ends the stream. */
  async *follow(ref: string, options: { after?: string; signal?: AbortSignal } = {}): AsyncGenerator<KadendeEvent> {
    const response = await this.send('GET', `v1/clusters/${enc(ref)}/events/follow`, { query: { after: options.after }, signal: options.signal, accept: 'text/event-stream' });
    if (response.statusCode >= 400) throw await this.failure(response.statusCode, await response.body.text());
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += (chunk as Buffer).toString('utf8');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (data) yield JSON.parse(data) as KadendeEvent;
        }
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      // Like a refused connection in send(): the daemon went away, a coded error says so.
      throw kadendeError('KADENDE_ERR_STREAM_CUT', this.base.origin, (error as Error).message).with({ cause: error });
    }
  }

  private async call<T>(method: string, path: string, options: { query?: Query; text?: string; json?: unknown } = {}): Promise<T> {
    const deadline = Date.now() + NO_HOLDER_RETRY_MS;
    for (;;) {
      const response = await this.send(method, path, options);
      const text = await response.body.text();
      if (response.statusCode < 400) return JSON.parse(text) as T;
      const error = await this.failure(response.statusCode, text);
      // A cluster just applied on a NATS store: a host takes its lease within a round.
      if (!hasCode(error, 'KADENDE_ERR_NO_HOLDER') || Date.now() > deadline) throw error;
      await sleep(250);
    }
  }

  private async send(method: string, path: string, options: { query?: Query; text?: string; json?: unknown; signal?: AbortSignal; accept?: string }) {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (options.text !== undefined) {
      headers['content-type'] = 'application/yaml';
      body = options.text;
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    let target = url;
    for (let hops = 0; ; hops++) {
      let response;
      try {
        response = await request(target, { method: method as 'GET', headers, body, dispatcher: this.agent, signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw kadendeError('KADENDE_ERR_SERVER_UNREACHABLE', target.origin, (error as Error).message).with({ cause: error });
      }
      // A daemon may send a request about a cluster to the host holding it (307/308: same method, same body).
      const location = response.headers.location;
      if ((response.statusCode !== 307 && response.statusCode !== 308) || typeof location !== 'string' || hops >= MAX_REDIRECTS) return response;
      await response.body.dump();
      target = new URL(location, target);
    }
  }

  private async failure(status: number, text: string): Promise<Error> {
    if (status === 401 && this.token === undefined) {
      // The daemon's refusal cannot tell the operator where this CLI looked: say it here.
      return kadendeError(
        'KADENDE_ERR_UNAUTHORIZED',
        `the daemon at ${this.base.origin} wants an API token and none was found: set KADENDE_TOKEN, ` +
          "or run with the daemon's --data-dir (its api-token file is read from there)",
      );
    }
    let body: Partial<ErrorBody> = {};
    try {
      body = JSON.parse(text) as ErrorBody;
    } catch {
      // Not the daemon's JSON (a proxy's page?): report the status.
    }
    const error = body.error;
    if (!error) return kadendeError('KADENDE_ERR_SERVER', this.base.origin, status);
    if (error.code === CONFIG_INVALID && error.issues) return new ConfigError(error.issues);
    return remoteError(error.code, error.message, status);
  }
}

const enc = encodeURIComponent;
const MAX_REDIRECTS = 3;
/** How long a request is retried while no host holds its cluster's lease (a few lease rounds of the default TTL). */
const NO_HOLDER_RETRY_MS = 15_000;
