/**
 * Events are CloudEvents 1.0 (structured JSON). Every decision and outcome of
 * the controller is one, with a human-readable `data.cause`.
 */
import { v7 as uuidv7 } from 'uuid';
import type { EventData, EventType, KadendeEvent } from '../../model/index.js';

export const EVENT_SOURCE = 'kadende';

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
