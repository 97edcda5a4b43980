/**
 * Events are CloudEvents 1.0 (structured JSON). Every decision and outcome of
 * the controller is one, with a human-readable `data.cause`.
 */
import { hostname } from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import type { EventData, EventType, KadendeEvent } from '../../model/index.js';

/** The machine events are made on. */
const HOST = hostname();

/**
 * An event's `source`: a URI reference naming the host that made it and its cluster, as
 * CloudEvents asks (the context in which the event happened; with `id`, unique per event).
 */
export function eventSource(clusterId: string, host: string = HOST): string {
  return `/kadende/hosts/${encodeURIComponent(host)}/clusters/${encodeURIComponent(clusterId)}`;
}

export function makeEvent(type: EventType, data: EventData, now: Date = new Date(), id: string = uuidv7()): KadendeEvent {
  const subject = [data.clusterId, data.groupPath, data.resourceId].filter((part) => part !== undefined).join('/');
  return {
    specversion: '1.0',
    // uuid v7 is time-ordered (and monotonic within a process): the store keys events by it.
    id,
    source: eventSource(data.clusterId),
    type,
    subject,
    time: now.toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}
