/**
 * A page of a cluster's events in the form the client asks for with Accept:
 * a CloudEvents JSON batch (`application/cloudevents-batch+json`, the HTTP
 * binding's batched content mode: an array of structured events; the web UI
 * asks for it), or by default `{ events, next }` (`application/json`, what the
 * CLI reads). Both say where the next page starts, the batch (a bare array) in
 * `Link: <...>; rel="next"` (RFC 8288) only.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import type { KadendeEvent } from '../../model/index.js';

export const CLOUDEVENTS_BATCH = 'application/cloudevents-batch+json';
/** In order of preference: `*\/*` (a browser's fetch) and no Accept get the first. */
export const EVENTS_MEDIA_TYPES = ['application/json', CLOUDEVENTS_BATCH];

export function sendEventsPage(request: FastifyRequest, reply: FastifyReply, events: KadendeEvent[], page: { limit: number; reverse?: boolean }) {
  // The next page starts after the last event of this one.
  const next = events.length === page.limit ? events.at(-1)!.id : null;
  if (next !== null) {
    const url = new URL(request.url, 'http://host');
    // Newest first (reverse), the next page is the older events: before the last one.
    url.searchParams.set(page.reverse ? 'before' : 'after', next);
    void reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  void reply.header('vary', 'Accept');
  // An Accept naming neither type gets the default rather than a 406 (RFC 9110 12.5.1 allows either).
  const type = new Negotiator(request.raw).mediaType(EVENTS_MEDIA_TYPES) ?? EVENTS_MEDIA_TYPES[0];
  if (type === CLOUDEVENTS_BATCH) return reply.type(`${CLOUDEVENTS_BATCH}; charset=utf-8`).send(JSON.stringify(events));
  return reply.send({ events, next });
}
