/**
 * The daemon's HTTP API (fastify). Every route calls the same KadendeService
 * method the CLI calls in-process; reconciles and deletes go through the
 * scheduler's per-cluster lock so that they never overlap a scheduled pass.
 * Requests are checked against JSON Schemas (TypeBox) before a handler runs.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Scheduler, KadendeService } from '../controller/index.js';
import type { EventFeed } from '../events/index.js';
import { KADENDE_VERSION, checkTokenLength, tokenMatches } from '../../lib/index.js';
import { kadendeError } from '../../errors/index.js';
import { checkJsonSyntax } from './config-body.js';
import { clientErrorHandler, errorHandler, HINTS_HEADER } from './errors.js';
import { sendEventsPage } from './events-page.js';
import { clusterEtag, clusterPrecondition, clusterView } from './preconditions.js';
import { OPENAPI_PATH, registerOpenApi, serveOpenApi } from './openapi.js';
import { answers, ApplyAnswer, ClusterAnswer, ClusterSummary, CloudEvent, DeleteAnswer, EventsPage, ReconcileReport, ResourceRecord, StatusAnswer } from './responses.js';
import { CLOUDEVENTS_BATCH } from './events-page.js';
import { RouteTable } from './routes.js';
import type { DaemonMetrics } from './metrics.js';
import { registerForwarding, type Fleet } from './forward.js';
import { followEvents, type SseStreams } from './sse.js';
import { isUiPath, registerUi } from './ui.js';

export interface ApiOptions {
  service: KadendeService;
  feed: EventFeed;
  token: string;
  logger: Logger;
  scheduler?: Scheduler;
  metrics?: DaemonMetrics;
  /** What /readyz reports; ready unless told otherwise. */
  readiness?: () => { ready: boolean } & Record<string, unknown>;
  bodyLimit?: number;
  /** On a NATS store: this host's id and who holds each cluster; requests about another host's cluster go to it (forward.ts). */
  fleet?: Fleet;
}

export interface Api {
  app: FastifyInstance;
  /** Every route the server registered (fastify's onRoute), HEAD ones included. */
  routes: RouteTable;
  /** Ends every Server-Sent Events stream (at shutdown: they would keep the server open). */
  endStreams(): void;
}

const REF_MAX_LENGTH = 200;
const Ref = Type.Object({ ref: Type.String({ minLength: 1, maxLength: REF_MAX_LENGTH }) });
const ApplyQuery = Type.Object({
  /** Names the configuration in error messages, as the CLI's -f FILE does. */
  file: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  upgradePlugins: Type.Optional(Type.Boolean()),
  /** The configuration file's folder on the client's machine: relative path properties resolve against it. */
  baseDir: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
});
const ConfigBody = Type.String({ minLength: 1 });
const GetQuery = Type.Object({ status: Type.Optional(Type.Boolean({ default: true })) });
const ReconcileBody = Type.Object(
  {
    wait: Type.Optional(Type.Boolean()),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
    intervalMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 3_600_000 })),
    retryFailed: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const DeleteQuery = Type.Object({
  timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
  wait: Type.Optional(Type.Boolean()),
  orphanResources: Type.Optional(Type.Boolean()),
});
const EventId = Type.String({ pattern: '^[0-9a-f-]{36}$' });
const EventsQuery = Type.Object({
  after: Type.Optional(EventId),
  // With reverse=true, the page of older events: the UI's "load more".
  before: Type.Optional(EventId),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })),
  reverse: Type.Optional(Type.Boolean()),
  type: Type.Optional(Type.String({ pattern: '^io\\.kadende\\.[a-z]+\\.[a-z-]+$', maxLength: 100 })),
  // A group path; a branch matches the groups under it.
  group: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
});
const FollowQuery = Type.Object({ after: Type.Optional(EventId) });
/** Checked by preconditions.ts (a malformed one answers 400 there); here for the document. */
const PreconditionHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'Write only if the cluster has one of these ETags (or exists: *); else 412' })),
  'if-none-match': Type.Optional(Type.String({ description: '*: create only, 412 if the cluster exists' })),
});

const TEXT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain', 'application/json'];
/** What the other routes with a body (reconcile) take. */
const JSON_TYPES = ['application/json'];

export async function buildApi(options: ApiOptions): Promise<Api> {
  const { service, scheduler } = options;
  checkTokenLength(options.token, 'the API options', 'the API token');
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    // Long reconciles (--wait) are legitimate; SSE streams are ended by endStreams().
    requestTimeout: 0,
    // As long as the schemas let a cluster ref be (fastify's default, 100, answered 414 to refs the schema takes).
    routerOptions: { maxParamLength: REF_MAX_LENGTH },
    // A malformed URL (%zz) or an over-long parameter: refused before routing, with our error body.
    frameworkErrors: (error, request, reply) => errorHandler(JSON_TYPES)(error, request, reply),
    // And what Node refuses before fastify sees a request (431 headers too large, 408, 400).
    clientErrorHandler,
    // Refuse unknown fields (ReconcileBody says additionalProperties: false) rather than silently dropping them.
    ajv: { customOptions: { removeAdditional: false } },
  });
  // Response schemas document (OpenAPI); answers are serialized whole, never filtered by them.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await registerOpenApi(app);
  const streams: SseStreams = new Set();
  const routes = new RouteTable({ maxParamLength: REF_MAX_LENGTH });
  app.addHook('onRoute', (route) => routes.add(route.method, route.url));
  // Only JSON bodies outside the configuration routes: a 415 then names exactly what is taken.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler(JSON_TYPES));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = routes.allowed(path);
    if (allowed.length === 0) throw kadendeError('KADENDE_ERR_NOT_FOUND', `no route ${request.method} ${path}`);
    void reply.header('allow', allowed.join(', '));
    throw kadendeError('KADENDE_ERR_METHOD_NOT_ALLOWED', `${path} does not take ${request.method}; it takes ${allowed.join(', ')}`);
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/healthz' || request.url === '/readyz' || request.url === OPENAPI_PATH || isUiPath(request.url)) return;
    if (!tokenMatches(options.token, request.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer realm="kadende"');
      const refusal = kadendeError('KADENDE_ERR_UNAUTHORIZED', 'a valid bearer token is required in the Authorization header').hint(
        ' (KADENDE_TOKEN, or the daemon token file)',
        '',
      );
      return reply.status(401).send({ error: { code: refusal.code, message: request.headers[HINTS_HEADER] === 'cli' ? refusal.message : refusal.apiMessage } });
    }
  });

  /** Runs under the cluster's lock when a scheduler is there. */
  const exclusive = async <T>(ref: string, work: (id: string) => Promise<T>): Promise<T> => {
    const { id } = await service.cluster(ref);
    return scheduler ? scheduler.exclusive(id, () => work(id)) : work(id);
  };

  const forwarding = options.fleet ? registerForwarding(app, service, options.fleet, options.logger) : undefined;
  registerUi(app);
  const Text = (description: string, type = 'text/plain') => ({ description, content: { [type]: { schema: Type.String() } } });
  const open = { security: [] };
  // version: for `kadende version --server` (read-only, as the liveness answer it rides on).
  app.get('/healthz', { schema: { ...open, response: answers({ 200: Type.Object({ ok: Type.Literal(true), version: Type.String() }) }) } }, async () => ({ ok: true, version: KADENDE_VERSION }));
  app.get('/readyz', { schema: { ...open, response: answers({ 200: Type.Object({ ready: Type.Literal(true) }, { additionalProperties: true }), 503: Type.Object({ ready: Type.Literal(false) }, { additionalProperties: true }) }) } }, async (_request, reply) => {
    const state = options.readiness?.() ?? { ready: true };
    return reply.status(state.ready ? 200 : 503).send(state);
  });
  app.get('/metrics', { schema: { response: answers({ 200: Text('Prometheus metrics') }) } }, async (_request, reply) => {
    if (!options.metrics) return reply.status(404).send({ error: { code: 'KADENDE_ERR_NOT_FOUND', message: 'metrics are not enabled' } });
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  app.get('/v1/clusters', { schema: { response: answers({ 200: Type.Array(ClusterSummary) }) } }, async () => service.listClusters());

  app.get<{ Params: Static<typeof Ref>; Querystring: Static<typeof GetQuery> }>(
    '/v1/clusters/:ref',
    { schema: { params: Ref, querystring: GetQuery, response: answers({ 200: ClusterAnswer }) } },
    async (request, reply) => {
      const cluster = await service.cluster(request.params.ref);
      void reply.header('etag', clusterEtag(cluster));
      // Which host works on it (a NATS store); absent on LevelDB.
      const holder = await service.holder(cluster.id);
      const held = holder ? { holder } : {};
      if (request.query.status === false) return { cluster: clusterView(cluster), ...held };
      return { cluster: clusterView(cluster), status: await service.plan(cluster.id), ...held };
    },
  );

  app.delete<{ Params: Static<typeof Ref>; Querystring: Static<typeof DeleteQuery> }>(
    '/v1/clusters/:ref',
    { schema: { params: Ref, querystring: DeleteQuery, headers: PreconditionHeaders, response: answers({ 200: DeleteAnswer }) } },
    async (request) => {
      const precondition = clusterPrecondition(request.headers);
      const { timeoutMs, wait, orphanResources } = request.query;
      return exclusive(request.params.ref, (id) => service.deleteCluster(id, { timeoutMs, wait, orphanResources, precondition }));
    },
  );

  // The status a pass of this daemon last found; a live look (every plugin's describe) only
  // before the first pass. Pollers such as the web UI use this, so they cost no cloud API calls.
  app.get<{ Params: Static<typeof Ref> }>('/v1/clusters/:ref/status', { schema: { params: Ref, response: answers({ 200: StatusAnswer }) } }, async (request) => {
    const { id } = await service.cluster(request.params.ref);
    const last = service.lastPass(id);
    if (last) return { source: 'last-pass', ...last };
    return { source: 'live', report: await service.plan(id), finishedAt: new Date().toISOString() };
  });

  app.get<{ Params: Static<typeof Ref> }>('/v1/clusters/:ref/plan', { schema: { params: Ref, response: answers({ 200: ReconcileReport }) } }, async (request) => service.plan(request.params.ref));

  app.post<{ Params: Static<typeof Ref>; Body: Static<typeof ReconcileBody> | undefined }>(
    '/v1/clusters/:ref/reconcile',
    { schema: { params: Ref, body: Type.Optional(ReconcileBody), response: answers({ 200: ReconcileReport }) } },
    async (request) => exclusive(request.params.ref, (id) => service.reconcile(id, request.body ?? {})),
  );

  app.get<{ Params: Static<typeof Ref> }>('/v1/clusters/:ref/resources', { schema: { params: Ref, response: answers({ 200: Type.Array(ResourceRecord) }) } }, async (request) =>
    service.listResources(request.params.ref),
  );

  app.get<{ Params: Static<typeof Ref>; Querystring: Static<typeof EventsQuery> }>(
    '/v1/clusters/:ref/events',
    {
      schema: {
        params: Ref,
        querystring: EventsQuery,
        response: answers({
          200: {
            description: 'A page of events, oldest first (reverse: newest first); the next page in Link rel="next"',
            content: { 'application/json': { schema: EventsPage }, [CLOUDEVENTS_BATCH]: { schema: Type.Array(CloudEvent) } },
          },
        }),
      },
    },
    async (request, reply) => {
      const { after, before, limit = 100, reverse, type, group } = request.query;
      const events = await service.listEvents(request.params.ref, { after, before, limit, reverse, type, group });
      return sendEventsPage(request, reply, events, { limit, reverse });
    },
  );

  app.get<{ Params: Static<typeof Ref>; Querystring: Static<typeof FollowQuery> }>(
    '/v1/clusters/:ref/events/follow',
    { schema: { params: Ref, querystring: FollowQuery, response: answers({ 200: Text('Server-Sent Events: id, event (the type), data (the CloudEvent)', 'text/event-stream') }) } },
    async (request, reply) => {
      const cluster = await service.cluster(request.params.ref);
      const lastEventId = request.headers['last-event-id'];
      const after = request.query.after ?? (typeof lastEventId === 'string' && /^[0-9a-f-]{36}$/.test(lastEventId) ? lastEventId : undefined);
      await followEvents({ service, feed: options.feed, clusterId: cluster.id, after, request, reply, streams });
    },
  );

  // Configurations arrive as text (YAML, or JSON, which is YAML too) so that
  // errors point at lines and columns of what the operator sent.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(TEXT_TYPES, { parseAs: 'string' }, (request, body, done) => {
      try {
        if (request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() === 'application/json') checkJsonSyntax(body as string, configFile(request));
        done(null, body);
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    scope.setErrorHandler(errorHandler(TEXT_TYPES));

    scope.post<{ Querystring: Static<typeof ApplyQuery>; Body: string }>(
      '/v1/clusters',
      { schema: { querystring: ApplyQuery, body: ConfigBody, consumes: TEXT_TYPES, headers: PreconditionHeaders, response: answers({ 200: ApplyAnswer, 201: ApplyAnswer }) } },
      async (request, reply) => {
        const precondition = clusterPrecondition(request.headers);
        const result = await service.apply(request.body, configFile(request), { upgradePlugins: request.query.upgradePlugins, baseDir: request.query.baseDir, precondition });
        if (result.changed || result.created) {
          scheduler?.request(result.cluster.id);
          forwarding?.kick(result.cluster.id, request.headers.authorization);
        }
        return reply
          .status(result.created ? 201 : 200)
          .header('etag', clusterEtag(result.cluster))
          .send({ ...result, cluster: clusterView(result.cluster) });
      },
    );

    scope.post<{ Querystring: Static<typeof ApplyQuery>; Body: string }>(
      '/v1/plan',
      { schema: { querystring: ApplyQuery, body: ConfigBody, consumes: TEXT_TYPES, response: answers({ 200: ReconcileReport }) } },
      async (request) => service.plan({ text: request.body, file: configFile(request), baseDir: request.query.baseDir }),
    );
  });

  serveOpenApi(app);

  return {
    app,
    routes,
    endStreams() {
      for (const end of streams) end();
    },
  };
}

/** The name a posted configuration goes by in its issues: `?file=`, as the CLI's -f FILE. */
function configFile(request: { query: unknown }): string {
  return (request.query as { file?: string } | undefined)?.file ?? 'request body';
}
