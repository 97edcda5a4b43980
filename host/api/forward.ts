/**
 * Several daemons on one NATS store: a request about a cluster whose lease another host holds is
 * forwarded to that host's announced address and its answer relayed (the caller sees the
 * holder's answer as if it had asked it), because only the holder may call the cluster's
 * plugins and write its records, and only it knows its last pass. Forwarded: the routes that
 * call plugins or read the last pass (the cluster with its status, status, plan, reconcile,
 * delete); reads of stored data (resources, events, the cluster without status) are answered
 * by any host. A forwarded request carries `x-kadende-forwarded-by` and is never forwarded
 * again. The hosts of one fleet share one API token: the caller's is passed on.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Agent, request as send } from 'undici';
import type { KadendeService } from '../controller/index.js';
import type { Holder, HolderLookup } from '../store/index.js';
import { kadendeError } from '../../errors/index.js';

export const FORWARDED_BY = 'x-kadende-forwarded-by';
export const SERVED_BY = 'x-kadende-served-by';

export interface Fleet {
  hostId: string;
  holders: HolderLookup;
}

const FORWARDED = new Set(['GET /v1/clusters/:ref', 'GET /v1/clusters/:ref/status', 'GET /v1/clusters/:ref/plan', 'POST /v1/clusters/:ref/reconcile', 'DELETE /v1/clusters/:ref']);
const PASSED_HEADERS = ['authorization', 'accept', 'last-event-id'];

export function registerForwarding(app: FastifyInstance, service: KadendeService, fleet: Fleet, logger: Logger): { kick(clusterId: string, authorization?: string): void } {
  // Long reconciles (wait) are legitimate: no read timeouts, as the CLI's own client.
  const agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, connectTimeout: 5000 });
  app.addHook('onClose', async () => agent.close());
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader(SERVED_BY)) reply.header(SERVED_BY, fleet.hostId);
    return payload;
  });

  /** The holder when it is another host; undefined when it is this one; NO_HOLDER when nobody holds it. */
  const elsewhere = async (clusterId: string, name: string): Promise<Holder & { address: string } | undefined> => {
    const holder = await fleet.holders.holder(clusterId);
    if (!holder || !holder.address) throw kadendeError('KADENDE_ERR_NO_HOLDER', name);
    return holder.hostId === fleet.hostId ? undefined : (holder as Holder & { address: string });
  };

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!FORWARDED.has(`${request.method} ${request.routeOptions.url}`)) return;
    if (request.headers[FORWARDED_BY] !== undefined) return;
    const query = request.query as Record<string, unknown>;
    if (request.routeOptions.url === '/v1/clusters/:ref' && request.method === 'GET' && query.status === false) return;
    const cluster = await service.cluster((request.params as { ref: string }).ref);
    const holder = await elsewhere(cluster.id, cluster.name);
    if (!holder) return;
    const headers: Record<string, string> = { [FORWARDED_BY]: fleet.hostId };
    for (const name of PASSED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let body: string | undefined;
    if (request.body !== undefined && request.body !== null) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    const target = new URL(request.url, holder.address);
    let answer;
    try {
      answer = await send(target, { method: request.method as 'GET', headers, body, dispatcher: agent });
    } catch (error) {
      throw kadendeError('KADENDE_ERR_SERVER_UNREACHABLE', `${target.origin} (host ${holder.hostId}, holding cluster ${cluster.name})`, (error as Error).message).with({ cause: error });
    }
    const type = answer.headers['content-type'];
    if (typeof type === 'string') reply.type(type);
    reply.header(SERVED_BY, String(answer.headers[SERVED_BY] ?? holder.hostId));
    return reply.status(answer.statusCode).send(await answer.body.text());
  });

  return {
    /**
     * After an apply, when another host holds the cluster: a reconcile request to it, not
     * awaited, so the holder passes the new configuration at once (this host's scheduler does
     * when it holds it; a cluster nobody holds yet is passed by whoever takes its lease).
     */
    kick(clusterId: string, authorization?: string): void {
      void (async () => {
        const holder = await fleet.holders.holder(clusterId);
        if (!holder?.address || holder.hostId === fleet.hostId) return;
        const headers: Record<string, string> = { [FORWARDED_BY]: fleet.hostId, 'content-type': 'application/json' };
        if (authorization) headers.authorization = authorization;
        const answer = await send(new URL(`/v1/clusters/${encodeURIComponent(clusterId)}/reconcile`, holder.address), { method: 'POST', headers, body: '{}', dispatcher: agent });
        await answer.body.dump();
        if (answer.statusCode >= 400) logger.warn({ clusterId, holder: holder.hostId, status: answer.statusCode }, 'the holder refused the reconcile asked after an apply');
      })().catch((error: Error) => logger.warn({ clusterId, err: { message: error.message } }, 'cannot ask the holder to reconcile after an apply'));
    },
  };
}
