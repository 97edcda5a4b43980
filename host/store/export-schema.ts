/**
 * The lines of a `kadende store export` (JSON lines), as JSON Schemas (TypeBox), so an import
 * checks every line before it writes anything: what the model's types say, as schemas. Strict
 * where a wrong value would break a reconcile (ids, states, pins, group sizes), open where the
 * store keeps what others own (resource properties, event data beyond its named fields).
 */
import { Type, type Static } from '@sinclair/typebox';

const Text = Type.String({ minLength: 1 });
const Time = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}' });
const Count = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1 })]);

const PluginPin = Type.Object({
  name: Text,
  version: Text,
  source: Type.Union([Type.Literal('builtin'), Type.Literal('local'), Type.Literal('registry'), Type.Literal('url')]),
  integrity: Type.Optional(Text),
  url: Type.Optional(Text),
  requested: Type.Object({ name: Text, version: Text, url: Type.Optional(Text) }),
});
const RetiredGroup = Type.Object({ pin: PluginPin, properties: Type.Record(Type.String(), Type.Unknown()) });
const LeafGroup = Type.Object({
  path: Text,
  size: Type.Integer({ minimum: 0 }),
  plugin: Type.Object({ name: Text, version: Text, url: Type.Optional(Text), integrity: Type.Optional(Text) }),
  properties: Type.Record(Type.String(), Type.Unknown()),
  policy: Type.Object({
    maxUnhealthy: Count,
    maxSurge: Count,
    maxUnavailable: Count,
    startupTimeoutSeconds: Type.Number({ minimum: 0 }),
    orphanMinAgeSeconds: Type.Number({ minimum: 0 }),
  }),
});

export const ClusterRecordSchema = Type.Object({
  id: Text,
  name: Text,
  generation: Type.Integer({ minimum: 0 }),
  createdAt: Time,
  updatedAt: Time,
  spec: Type.Object({ id: Text, version: Text, name: Text, groups: Type.Array(LeafGroup) }),
  source: Type.Object({ file: Type.String(), text: Type.String() }),
  pins: Type.Record(Type.String(), PluginPin),
  retired: Type.Record(Type.String(), RetiredGroup),
  deleting: Type.Optional(Type.Boolean()),
  retiredPlacements: Type.Optional(Type.Record(Type.String(), Type.Array(RetiredGroup))),
});

const ResourceStatus = Type.Union(['pending', 'active', 'unhealthy', 'terminating', 'terminated'].map((s) => Type.Literal(s)));
export const ResourceRecordSchema = Type.Object({
  id: Text,
  clusterId: Text,
  groupPath: Text,
  state: Type.Union(['creating', 'active', 'deleting', 'failed'].map((s) => Type.Literal(s))),
  specHash: Text,
  createdAt: Time,
  updatedAt: Time,
  providerId: Type.Optional(Text),
  observedAt: Type.Optional(Time),
  status: Type.Optional(ResourceStatus),
  address: Type.Optional(Type.String()),
  attempts: Type.Integer({ minimum: 0 }),
  createSentAt: Type.Optional(Time),
  lastError: Type.Optional(Type.String()),
  deleteReason: Type.Optional(Type.String()),
});

export const EventSchema = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Text,
  source: Text,
  type: Type.String({ pattern: '^io\\.kadende\\.' }),
  subject: Text,
  time: Time,
  datacontenttype: Type.Literal('application/json'),
  data: Type.Object({ cause: Type.String(), clusterId: Text, groupPath: Type.Optional(Text), resourceId: Type.Optional(Text), providerId: Type.Optional(Text) }),
});

export const EXPORT_FORMAT = 'kadende-store-export';

export const HeaderSchema = Type.Object(
  { kind: Type.Literal('header'), format: Type.Literal(EXPORT_FORMAT), version: Type.Literal(1), installation: Text, exportedAt: Time },
  { additionalProperties: false },
);

/** Each line's schema by its `kind`: a line is checked against its kind's alone, so the error says what is wrong with it. */
export const LINE_SCHEMAS = {
  header: HeaderSchema,
  cluster: Type.Object({ kind: Type.Literal('cluster'), cluster: ClusterRecordSchema }, { additionalProperties: false }),
  resource: Type.Object({ kind: Type.Literal('resource'), resource: ResourceRecordSchema }, { additionalProperties: false }),
  event: Type.Object({ kind: Type.Literal('event'), event: EventSchema }, { additionalProperties: false }),
};

export type ExportHeader = Static<typeof HeaderSchema>;
