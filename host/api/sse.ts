/**
 * Following a cluster's events with Server-Sent Events. Each event is sent as
 * `id: <event id>`, `event: <type>`, `data: <CloudEvent JSON>`, so a client
 * that reconnects with Last-Event-ID (or ?after=) misses nothing: the stored
 * events after that id come first, then live ones. Live events that arrive
 * while the backlog is read are held back and sent once, in order.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KadendeService } from '../controller/index.js';
import type { KadendeEvent } from '../../model/index.js';
import type { EventFeed } from '../events/index.js';

/** Functions that end an open stream. */
export type SseStreams = Set<() => void>;

const PAGE = 500;
const HEARTBEAT_MS = 15_000;

export async function followEvents(options: {
  service: KadendeService;
  feed: EventFeed;
  clusterId: string;
  after?: string;
  request: FastifyRequest;
  reply: FastifyReply;
  streams: SseStreams;
}): Promise<void> {
  const { service, feed, clusterId, request, reply, streams } = options;
  const res = reply.raw;
  reply.hijack();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': following\n\n');

  // uuid v7 ids in lower-case hex compare as strings in time order.
  let last = options.after ?? '';
  const send = (event: KadendeEvent) => {
    if (event.id <= last) return;
    last = event.id;
    res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  };
  let held: KadendeEvent[] | undefined = [];
  const onEvents = (events: KadendeEvent[]) => {
    for (const event of events) {
      if (event.data.clusterId !== clusterId) continue;
      if (held) held.push(event);
      else send(event);
    }
  };
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const end = () => {
    clearInterval(heartbeat);
    feed.off('events', onEvents);
    streams.delete(end);
    if (!res.writableEnded) res.end();
  };
  streams.add(end);
  feed.on('events', onEvents);
  request.raw.on('close', end);

  try {
    if (options.after !== undefined) {
      for (;;) {
        const page = await service.listEvents(clusterId, { after: last, limit: PAGE });
        for (const event of page) send(event);
        if (page.length < PAGE || res.writableEnded) break;
      }
    }
  } catch (error) {
    request.log.warn({ err: { message: (error as Error).message }, clusterId }, 'cannot read the backlog of an event stream');
    end();
    return;
  }
  const backlog = held;
  held = undefined;
  for (const event of backlog) send(event);
}
