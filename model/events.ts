/**
 * Events are CloudEvents 1.0 (structured JSON). Every decision and outcome of
 * the controller is one, with a human-readable `data.cause`. Types only: the
 * events folder makes them, the store keeps them, the API and NATS carry them.
 */

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
  /** A URI reference: `/kadende/hosts/<hostname>/clusters/<clusterId>`. */
  source: string;
  type: EventType;
  /** `<clusterId>/<groupPath>/<resourceId>`, as far as it applies. */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: EventData;
}
