/**
 * Events are CloudEvents 1.0 (structured JSON). Every decision and outcome of
 * the controller is one, with a human-readable `data.cause`.
 */
import { v7 as uuidv7 } from 'uuid';

export const EVENT_SOURCE = 'kadende';

export type EventType =
  | 'io.kadende.cluster.applied'
  | 'io.kadende.cluster.deleting'
  | 'io.kadende.cluster.deleted'
  | 'io.kadende.resource.creating'
  | 'io.kadende.resource.created'
  | 'io.kadende.resource.create-failed'
  | 'io.kadende.resource.failed'
  | 'io.kadende.resource.observed'
  | 'io.kadende.resource.deleting'
  | 'io.kadende.resource.deleted'
  | 'io.kadende.resource.delete-failed'
  | 'io.kadende.resource.lost'
  | 'io.kadende.group.halted'
  | 'io.kadende.group.describe-failed'
  | 'io.kadende.reconcile.completed';

export interface EventData {
  /** Why, for a person reading it. */
  cause: string;
  clusterId: string;
  groupPath?: string;
  resourceId?: string;
  providerId?: string;
  [key: string]: unknown;
}

export interface KadendeEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: EventType;
  /** `<clusterId>/<groupPath>/<resourceId>`, as far as it applies. */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: EventData;
}

export function makeEvent(type: EventType, data: EventData, now: Date = new Date(), id: string = uuidv7()): KadendeEvent {
  const subject = [data.clusterId, data.groupPath, data.resourceId].filter((part) => part !== undefined).join('/');
  return {
    specversion: '1.0',
    // uuid v7 is time-ordered (and monotonic within a process): the store keys events by it.
    id,
    source: EVENT_SOURCE,
    type,
    subject,
    time: now.toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}
