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
import { checkTokenLength, tokenMatches } from '../../lib/index.js';
import { clientErrorHandler, errorHandler } from './errors.js';
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

const TEXT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain', 'application/json'];

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
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
    // And what Node refuses before fastify sees a request (431 headers too large, 408, 400).
    clientErrorHandler,
    // Refuse unknown fields (ReconcileBody says additionalProperties: false) rather than silently dropping them.
    ajv: { customOptions: { removeAdditional: false } },
  });
  const streams: SseStreams = new Set();
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'KADENDE_ERR_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/healthz' || request.url === '/readyz' || isUiPath(request.url)) return;
    if (!tokenMatches(options.token, request.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer realm="kadende"');
      return reply.status(401).send({ error: { code: 'KADENDE_ERR_UNAUTHORIZED', message: 'a valid bearer token is required (KADENDE_TOKEN, or the daemon token file)' } });
    }
  });

  /** Runs under the cluster's lock when a scheduler is there. */
  const exclusive = async <T>(ref: string, work: (id: string) => Promise<T>): Promise<T> => {
    const { id } = await service.cluster(ref);
    return scheduler ? scheduler.exclusive(id, () => work(id)) : work(id);
  };

  const forwarding = options.fleet ? registerForwarding(app, service, options.fleet, options.logger) : undefined;
  registerUi(app);
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    const state = options.readiness?.() ?? { ready: true };
    return reply.status(state.ready ? 200 : 503).send(state);
  });
  app.get('/metrics', async (_request, reply) => {
    if (!options.metrics) return reply.status(404).send({ error: { code: 'KADENDE_ERR_NOT_FOUND', message: 'metrics are not enabled' } });
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  app.get('/v1/clusters', async () => service.listClusters());

  app.get<{ Params: Static<typeof Ref>; Querystring: Static<typeof GetQuery> }>(
    '/v1/clusters/:ref',
    { schema: { params: Ref, querystring: GetQuery } },
    async (request) => {
      const cluster = await service.cluster(request.params.ref);
      // Which host works on it (a NATS store); absent on LevelDB.
      const holder = await service.holder(cluster.id);
      const held = holder ? { holder } : {};
      if (request.query.status === false) return { cluster, ...held };
      return { cluster, status: await service.plan(cluster.id), ...held };
    },
  );

  app.delete<{ Params: Static<typeof Ref>; Querystring: Static<typeof DeleteQuery> }>(
    '/v1/clusters/:ref',
    { schema: { params: Ref, querystring: DeleteQuery } },
    async (request) => exclusive(request.params.ref, (id) => service.deleteCluster(id, { timeoutMs: request.query.timeoutMs, wait: request.query.wait, orphanResources: request.query.orphanResources })),
  );

  // The status a pass of this daemon last found; a live look (every plugin's describe) only
  // before the first pass. Pollers such as the web UI use this, so they cost no cloud API calls.
  app.get<{ Params: Static<typeof Ref> }>('/v1/clusters/:ref/status', { schema: { params: Ref } }, async (request) => {
    const { id } = await service.cluster(request.params.ref);
    const last = service.lastPass(id);
    if (last) return { source: 'last-pass', ...last };
    return { source: 'live', report: await service.plan(id), finishedAt: new Date().toISOString() };
  });

  app.get<{ Params: Static<typeof Ref> }>('/v1/clusters/:ref/plan', { schema: { params: Ref } }, async (request) => service.plan(request.params.ref));

  app.post<{ Params: Static<typeof Ref>; Body: Static<typeof ReconcileBody> | undefined }>(
    '/v1/clusters/:ref/reconcile',
    { schema: { params: Ref, body: Type.Optional(ReconcileBody) } },
    async (request) => exclusive(request.params.ref, (id) => service.reconcile(id, request.body ?? {})),
  );

  app.get<{ Params: Static<typeof Ref> }>('/v1/clusters/:ref/resources', { schema: { params: Ref } }, async (request) =>
    service.listResources(request.params.ref),
  );

  app.get<{ Params: Static<typeof Ref>; Querystring: Static<typeof EventsQuery> }>(
    '/v1/clusters/:ref/events',
    { schema: { params: Ref, querystring: EventsQuery } },
    async (request) => {
      const { after, before, limit = 100, reverse, type, group } = request.query;
      const events = await service.listEvents(request.params.ref, { after, before, limit, reverse, type, group });
      // The next page starts after the last event of this one.
      return { events, next: events.length === limit ? events.at(-1)!.id : null };
    },
  );

  app.get<{ Params: Static<typeof Ref>; Querystring: Static<typeof FollowQuery> }>(
    '/v1/clusters/:ref/events/follow',
    { schema: { params: Ref, querystring: FollowQuery } },
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
    scope.addContentTypeParser(TEXT_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));

    scope.post<{ Querystring: Static<typeof ApplyQuery>; Body: string }>(
      '/v1/clusters',
      { schema: { querystring: ApplyQuery, body: ConfigBody } },
      async (request, reply) => {
        const result = await service.apply(request.body, request.query.file ?? 'request body', { upgradePlugins: request.query.upgradePlugins, baseDir: request.query.baseDir });
        if (result.changed || result.created) {
          scheduler?.request(result.cluster.id);
          forwarding?.kick(result.cluster.id, request.headers.authorization);
        }
        return reply.status(result.created ? 201 : 200).send(result);
      },
    );

    scope.post<{ Querystring: Static<typeof ApplyQuery>; Body: string }>(
      '/v1/plan',
      { schema: { querystring: ApplyQuery, body: ConfigBody } },
      async (request) => service.plan({ text: request.body, file: request.query.file ?? 'request body', baseDir: request.query.baseDir }),
    );
  });

  return {
    app,
    endStreams() {
      for (const end of streams) end();
    },
  };
}
