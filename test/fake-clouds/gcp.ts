/**
 * A fake Compute Engine speaking the REST/JSON API (compute/v1) that
 * @google-cloud/compute uses with `fallback: true`: zonal instances
 * (list with `filter` on labels, maxResults/pageToken; insert honouring
 * requestId; get; delete) and zone operations (get, wait) that become DONE
 * after a delay, as GCE's long-running operations do.
 *
 *   const gce = await startFakeGce({ pendingMs: 20 });
 *   new InstancesClient({ apiEndpoint: '127.0.0.1', port: gce.port, protocol: 'http', fallback: true, authClient });
 */
import { randomUUID } from 'node:crypto';
import { serveCloud, page, Timers, uniqueHex, type Answer, type FakeCloudBase, type FakeCloudOptions, type Route } from './common.js';

export type GceStatus = 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'SUSPENDING' | 'SUSPENDED' | 'REPAIRING' | 'TERMINATED';

export interface GceInstance {
  kind: 'compute#instance';
  id: string;
  name: string;
  zone: string;
  machineType: string;
  status: GceStatus;
  creationTimestamp: string;
  labels?: Record<string, string>;
  metadata?: { kind?: string; fingerprint?: string; items?: { key: string; value: string }[] };
  networkInterfaces?: {
    network?: string;
    subnetwork?: string;
    networkIP?: string;
    accessConfigs?: { type?: string; name?: string; natIP?: string }[];
  }[];
  disks?: unknown[];
  tags?: { items?: string[] };
  selfLink: string;
  [field: string]: unknown;
}

/** The fields of an insert body the fake reads; the rest is kept as sent. */
interface InsertSpec {
  name?: string;
  machineType?: string;
  labels?: Record<string, string>;
  metadata?: GceInstance['metadata'];
  networkInterfaces?: NonNullable<GceInstance['networkInterfaces']>;
  disks?: { boot?: boolean; initializeParams?: { sourceImage?: string } }[];
  [field: string]: unknown;
}

export interface GceOperation {
  kind: 'compute#operation';
  id: string;
  name: string;
  zone: string;
  operationType: 'insert' | 'delete';
  targetLink: string;
  targetId: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  progress: number;
  insertTime: string;
  startTime: string;
  endTime?: string;
  selfLink: string;
  user: string;
  error?: { errors: { code: string; message: string }[] };
}

export interface FakeGceOptions extends FakeCloudOptions {
  /** When set, requests must carry `Authorization: Bearer <accessToken>`; others get 401. */
  accessToken?: string;
  /** How long an operation takes to become DONE, ms. Default: pendingMs. */
  operationMs?: number;
  /** The longest operations.wait blocks before answering a not-yet-DONE operation, ms (GCE: about 2 minutes). Default 2000. */
  waitCapMs?: number;
}

export interface FakeGce extends FakeCloudBase {
  /** Keyed by `project/zone/name`. */
  instances: Map<string, GceInstance>;
  operations: Map<string, GceOperation>;
}

const BASE = 'https://www.googleapis.com/compute/v1';
const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

class GceError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

function errorAnswer(status: number, reason: string, message: string, domain = 'global'): Answer {
  return {
    status,
    body: JSON.stringify({
      error: { code: status, message, errors: [{ message, domain, reason }], status: STATUS_TEXT[status] },
    }),
  };
}

const json = (value: unknown, status = 200): Answer => ({ status, body: JSON.stringify(value) });

/**
 * The subset of GCE's list filter syntax the plugin and tests use:
 * `(field = "value") (field != value) ...` joined by spaces or AND; fields
 * `name`, `status` and `labels.<key>`.
 */
export function parseFilter(filter: string): ((instance: GceInstance) => boolean) | undefined {
  const text = filter.trim();
  if (text === '') return () => true;
  const clause = /^\(?\s*([a-zA-Z][\w.-]*)\s*(=|!=)\s*(?:"([^"]*)"|([^\s()"]+))\s*\)?/;
  const tests: ((i: GceInstance) => boolean)[] = [];
  let rest = text;
  while (rest.length > 0) {
    const match = clause.exec(rest);
    if (!match) return undefined;
    const [whole, field, operator, quoted, bare] = match;
    const value = quoted ?? bare ?? '';
    const read = (i: GceInstance): string | undefined =>
      field!.startsWith('labels.') ? i.labels?.[field!.slice(7)] : field === 'name' ? i.name : field === 'status' ? i.status : undefined;
    if (!field!.startsWith('labels.') && field !== 'name' && field !== 'status') return undefined;
    tests.push(operator === '=' ? (i) => read(i) === value : (i) => read(i) !== value);
    rest = rest.slice(whole!.length).trim().replace(/^AND\s+/, '');
  }
  return (instance) => tests.every((t) => t(instance));
}

export async function startFakeGce(options: FakeGceOptions = {}): Promise<FakeGce> {
  const pendingMs = options.pendingMs ?? 50;
  const operationMs = options.operationMs ?? pendingMs;
  const waitCapMs = options.waitCapMs ?? 2_000;
  const maxPage = options.maxPageSize ?? 500;
  const timers = new Timers();
  const instances = new Map<string, GceInstance>();
  const operations = new Map<string, GceOperation>();
  const requestIds = new Map<string, string>(); // requestId -> operation key
  let addressCounter = 0;

  function startOperation(project: string, zone: string, type: GceOperation['operationType'], target: GceInstance, onDone: () => void): GceOperation {
    const zoneUrl = `${BASE}/projects/${project}/zones/${zone}`;
    const name = `operation-${Date.now()}-${uniqueHex(12)}`;
    const operation: GceOperation = {
      kind: 'compute#operation',
      id: BigInt(`0x${uniqueHex(15)}`).toString(),
      name,
      zone: zoneUrl,
      operationType: type,
      targetLink: target.selfLink,
      targetId: target.id,
      status: 'RUNNING',
      progress: 0,
      insertTime: new Date().toISOString(),
      startTime: new Date().toISOString(),
      selfLink: `${zoneUrl}/operations/${name}`,
      user: 'kadende@example.iam.gserviceaccount.com',
    };
    operations.set(`${project}/${zone}/${name}`, operation);
    timers.after(operationMs, () => {
      onDone();
      operation.status = 'DONE';
      operation.progress = 100;
      operation.endTime = new Date().toISOString();
    });
    return operation;
  }

  function insert(project: string, zone: string, body: string, requestId: string | undefined): Answer {
    if (requestId) {
      const known = requestIds.get(requestId);
      if (known) return json(operations.get(known));
    }
    let spec: InsertSpec;
    try {
      spec = JSON.parse(body);
    } catch {
      throw new GceError(400, 'parseError', 'Parse Error');
    }
    const name = spec.name ?? '';
    if (!NAME.test(name)) throw new GceError(400, 'invalid', `Invalid value for field 'resource.name': '${name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
    if (!spec.machineType) throw new GceError(400, 'required', "Required field 'resource.machineType' not specified");
    if (!spec.disks?.some((d) => d.boot && d.initializeParams?.sourceImage)) {
      throw new GceError(400, 'required', "Required field 'resource.disks[0].initializeParams.sourceImage' not specified");
    }
    const labels = spec.labels ?? {};
    if (Object.keys(labels).length > 64) throw new GceError(400, 'invalid', 'Labels: at most 64 labels per resource');
    for (const [key, value] of Object.entries(labels)) {
      if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
        throw new GceError(400, 'invalid', `Invalid value for field 'resource.labels': '${key}=${value}'. Label keys and values may contain only lowercase letters, digits, '_' and '-'`);
      }
    }
    const key = `${project}/${zone}/${name}`;
    if (instances.has(key)) throw new GceError(409, 'alreadyExists', `The resource 'projects/${project}/zones/${zone}/instances/${name}' already exists`);
    addressCounter += 1;
    const zoneUrl = `${BASE}/projects/${project}/zones/${zone}`;
    const machineType = spec.machineType.startsWith('http') ? spec.machineType : `${BASE}/projects/${project}/${spec.machineType}`;
    const instance: GceInstance = {
      ...spec,
      kind: 'compute#instance',
      id: BigInt(`0x${uniqueHex(15)}`).toString(),
      name,
      zone: zoneUrl,
      machineType,
      status: 'PROVISIONING',
      creationTimestamp: new Date().toISOString().replace('Z', '-00:00'),
      labels,
      metadata: { kind: 'compute#metadata', fingerprint: uniqueHex(11), items: spec.metadata?.items ?? [] },
      networkInterfaces: (spec.networkInterfaces?.length ? spec.networkInterfaces : [{}]).map((nic, n) => ({
        ...nic,
        network: nic.network ?? `${BASE}/projects/${project}/global/networks/default`,
        networkIP: `10.128.${n}.${addressCounter & 255}`,
        accessConfigs: (nic.accessConfigs ?? []).map((ac) => ({ ...ac, natIP: `203.0.113.${addressCounter & 255}` })),
      })),
      selfLink: `${zoneUrl}/instances/${name}`,
    };
    instances.set(key, instance);
    timers.after(pendingMs / 2, () => {
      if (instance.status === 'PROVISIONING') instance.status = 'STAGING';
    });
    timers.after(pendingMs, () => {
      if (instance.status === 'STAGING' || instance.status === 'PROVISIONING') instance.status = 'RUNNING';
    });
    const operation = startOperation(project, zone, 'insert', instance, () => {});
    if (requestId) requestIds.set(requestId, `${project}/${zone}/${operation.name}`);
    return json(operation);
  }

  function list(project: string, zone: string, query: URLSearchParams): Answer {
    const test = parseFilter(query.get('filter') ?? '');
    if (!test) throw new GceError(400, 'invalid', `Invalid list filter expression '${query.get('filter')}'.`);
    const maxResults = Number(query.get('maxResults') ?? '500');
    if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > 500) {
      throw new GceError(400, 'invalid', `Invalid value for field 'maxResults': '${query.get('maxResults')}'. Must be less than or equal to 500`);
    }
    const offset = query.get('pageToken') ? Number(Buffer.from(query.get('pageToken')!, 'base64url').toString()) : 0;
    const prefix = `${project}/${zone}/`;
    const matching = [...instances].filter(([key, i]) => key.startsWith(prefix) && test(i)).map(([, i]) => i);
    const { items, next } = page(matching, offset, maxResults === 0 ? 500 : maxResults, maxPage);
    const zoneUrl = `${BASE}/projects/${project}/zones/${zone}`;
    // Like GCE, an empty page leaves `items` out.
    return json({
      kind: 'compute#instanceList',
      id: `projects/${project}/zones/${zone}/instances`,
      ...(items.length > 0 ? { items } : {}),
      ...(next !== undefined ? { nextPageToken: Buffer.from(String(next)).toString('base64url') } : {}),
      selfLink: `${zoneUrl}/instances`,
    });
  }

  function remove(project: string, zone: string, name: string, requestId: string | undefined): Answer {
    if (requestId) {
      const known = requestIds.get(requestId);
      if (known) return json(operations.get(known));
    }
    const key = `${project}/${zone}/${name}`;
    const instance = instances.get(key);
    if (!instance) throw new GceError(404, 'notFound', `The resource 'projects/${project}/zones/${zone}/instances/${name}' was not found`);
    instance.status = 'STOPPING';
    const operation = startOperation(project, zone, 'delete', instance, () => instances.delete(key));
    if (requestId) requestIds.set(requestId, `${project}/${zone}/${operation.name}`);
    return json(operation);
  }

  /** zoneOperations.list, filtered on operationType, status, targetId or targetLink (`=` / `!=`). */
  function listOperations(project: string, zone: string, query: URLSearchParams): Answer {
    const clauses = [...(query.get('filter') ?? '').matchAll(/\(?\s*(operationType|status|targetId|targetLink)\s*(=|!=)\s*"?([^"()\s]*)"?\s*\)?/g)];
    const prefix = `${project}/${zone}/`;
    const items = [...operations]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, op]) => op)
      .filter((op) => clauses.every(([, field, operator, value]) => (String(op[field as keyof GceOperation]) === value) === (operator === '=')));
    return json({ kind: 'compute#operationList', id: `projects/${project}/zones/${zone}/operations`, ...(items.length > 0 ? { items } : {}), selfLink: `${BASE}/projects/${project}/zones/${zone}/operations` });
  }

  async function waitOperation(key: string): Promise<Answer> {
    const operation = operations.get(key);
    if (!operation) throw new GceError(404, 'notFound', `The resource '${key}' was not found`);
    const until = Date.now() + waitCapMs;
    while (operation.status !== 'DONE' && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    return json(operation);
  }

  const base = await serveCloud(
    {
      throttled: () => errorAnswer(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits'),
      serverError: () => errorAnswer(503, 'backendError', 'Backend Error'),
      authFailed: () =>
        errorAnswer(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'),
      notFound: () => errorAnswer(404, 'notFound', 'Not Found'),
      route: ({ request, url, body }): Route | Answer => {
        if (options.accessToken !== undefined && request.headers.authorization !== `Bearer ${options.accessToken}`) {
          return errorAnswer(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
        }
        const match = /^\/compute\/v1\/projects\/([^/]+)\/zones\/([^/]+)\/(instances|operations)(?:\/([^/]+))?(\/wait)?$/.exec(url.pathname);
        if (!match) return errorAnswer(404, 'notFound', `Not Found: ${request.method} ${url.pathname}`);
        const [, project, zone, collection, name, wait] = match as unknown as [string, string, string, string, string | undefined, string | undefined];
        const params = Object.fromEntries(url.searchParams);
        const requestId = url.searchParams.get('requestId') ?? undefined;
        const route = (action: string, operation: Route['operation'], run: () => Answer | Promise<Answer>): Route => ({
          action,
          operation,
          params,
          handle: async () => {
            try {
              return await run();
            } catch (error) {
              if (error instanceof GceError) return errorAnswer(error.status, error.reason, error.message);
              throw error;
            }
          },
        });
        const method = request.method ?? 'GET';
        if (collection === 'instances' && !name && method === 'GET') return route('instances.list', 'list', () => list(project, zone, url.searchParams));
        if (collection === 'instances' && !name && method === 'POST') return route('instances.insert', 'create', () => insert(project, zone, body, requestId));
        if (collection === 'instances' && name && method === 'GET') {
          return route('instances.get', 'get', () => {
            const instance = instances.get(`${project}/${zone}/${name}`);
            if (!instance) throw new GceError(404, 'notFound', `The resource 'projects/${project}/zones/${zone}/instances/${name}' was not found`);
            return json(instance);
          });
        }
        if (collection === 'instances' && name && method === 'DELETE') return route('instances.delete', 'delete', () => remove(project, zone, name, requestId));
        if (collection === 'operations' && !name && method === 'GET') return route('zoneOperations.list', 'operation', () => listOperations(project, zone, url.searchParams));
        if (collection === 'operations' && name && method === 'GET' && !wait) {
          return route('zoneOperations.get', 'operation', () => {
            const operation = operations.get(`${project}/${zone}/${name}`);
            if (!operation) throw new GceError(404, 'notFound', `The resource 'projects/${project}/zones/${zone}/operations/${name}' was not found`);
            return json(operation);
          });
        }
        if (collection === 'operations' && name && method === 'POST' && wait) {
          return route('zoneOperations.wait', 'operation', () => waitOperation(`${project}/${zone}/${name}`));
        }
        return errorAnswer(400, 'badRequest', `Unsupported: ${method} ${url.pathname} (${randomUUID()})`);
      },
    },
    options,
    timers,
  );
  return { ...base, instances, operations };
}
