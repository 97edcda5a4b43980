/**
 * What each route answers, as TypeBox (JSON) Schemas: the OpenAPI document's
 * responses. They document, they do not filter: the server serializes with
 * JSON.stringify (server.ts), so a field missing here is never dropped from an
 * answer. Nested records the controller owns (a cluster's spec, a report's
 * groups) are described by their stable fields and left open.
 */
import { Type, type TSchema } from '@sinclair/typebox';

const Open = <T extends Parameters<typeof Type.Object>[0]>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: true, ...(description ? { description } : {}) });

const ConfigIssue = Type.Object({ file: Type.String(), line: Type.Integer(), column: Type.Integer(), path: Type.String(), message: Type.String() });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'A KADENDE_ERR_* code (docs/ERRORS.md)' }),
      message: Type.String(),
      issues: Type.Optional(Type.Array(ConfigIssue, { description: 'KADENDE_ERR_CONFIG_INVALID: every problem, located' })),
      details: Type.Optional(Type.Unknown({ description: 'What the operation had when it failed: the last reconcile report of a wait' })),
    }),
  },
  { description: 'An error: { error: { code, message, issues?, details? } }' },
);

const PluginPin = Open({ name: Type.String(), version: Type.String(), source: Type.String() });

export const Cluster = Open(
  {
    id: Type.String(),
    name: Type.String(),
    generation: Type.Integer({ minimum: 1 }),
    metadata: Type.Object({ generation: Type.Integer({ minimum: 1, description: 'One more per applied change of the configuration or a pin' }) }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    spec: Open({ name: Type.String(), groups: Type.Array(Open({ path: Type.String(), size: Type.Integer() })) }),
    source: Type.Object({ file: Type.String(), text: Type.String() }),
    pins: Type.Record(Type.String(), PluginPin),
    retired: Type.Record(Type.String(), Open({})),
    deleting: Type.Optional(Type.Boolean()),
  },
  'A stored cluster: its configuration, plugin pins and generation',
);

export const ReconcileReport = Open({
  clusterId: Type.String(),
  clusterName: Type.String(),
  converged: Type.Boolean(),
  groups: Type.Array(Open({ path: Type.String() })),
  durationMs: Type.Number(),
  deleting: Type.Optional(Type.Boolean()),
  deleted: Type.Optional(Type.Boolean()),
});

export const ClusterSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  generation: Type.Integer(),
  groups: Type.Integer(),
  resources: Type.Integer(),
  deleting: Type.Boolean(),
  updatedAt: Type.String({ format: 'date-time' }),
});

/** Which host works on the cluster (a NATS store); absent on LevelDB. */
const Holder = Type.Object({ hostId: Type.String(), address: Type.Optional(Type.String()), since: Type.String({ format: 'date-time' }) });
export const ClusterAnswer = Type.Object({ cluster: Cluster, status: Type.Optional(ReconcileReport), holder: Type.Optional(Holder) });
export const ApplyAnswer = Type.Object({ cluster: Cluster, created: Type.Boolean(), changed: Type.Boolean() });
export const StatusAnswer = Open({ source: Type.Union([Type.Literal('last-pass'), Type.Literal('live')]), report: ReconcileReport, finishedAt: Type.String({ format: 'date-time' }) });
export const DeleteAnswer = Open({ clusterId: Type.String(), clusterName: Type.String(), deleted: Type.Boolean(), report: Type.Optional(ReconcileReport) });

export const ResourceRecord = Open({
  id: Type.String(),
  clusterId: Type.String(),
  groupPath: Type.String(),
  state: Type.Union(['creating', 'active', 'deleting', 'failed'].map((s) => Type.Literal(s))),
  specHash: Type.String(),
  attempts: Type.Integer(),
});

/** A CloudEvent 1.0 in the JSON format, as Kadende makes them. */
export const CloudEvent = Open({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1 }),
  source: Type.String({ format: 'uri-reference', description: '/kadende/hosts/<hostname>/clusters/<clusterId>' }),
  type: Type.String({ minLength: 1 }),
  subject: Type.String(),
  time: Type.String({ format: 'date-time' }),
  datacontenttype: Type.Literal('application/json'),
  data: Open({ cause: Type.String(), clusterId: Type.String() }),
});

export const EventsPage = Type.Object({ events: Type.Array(CloudEvent), next: Type.Union([Type.String(), Type.Null()], { description: 'The cursor of the next page (after=), null on the last' }) });

/** Every route may answer these with the error body. */
export const ERRORS = { '4xx': ErrorBody, '5xx': ErrorBody };

/** A route's responses: its own, and the error body for the rest. */
export const answers = (own: Record<string, TSchema | { description: string; content: Record<string, { schema: TSchema }> }>) => ({ ...own, ...ERRORS });
